/**
 * The away-counting clock (orchestrations/toolkit/monitor.ts, `awayClock`): a durable timer that fires late, because
 * the host was stopped past its due time, moves the clock's deadlines back by the lateness; one on time, or a wait
 * that wakes early, moves nothing. Driven by a fake context whose replay clock the test sets at each wake, and once
 * through the durable-functions SDK over a written history, where the lateness comes from the history alone.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { describe, expect, it } from "vitest";
import { awayClock, type Pause } from "../../../orchestrations/toolkit/monitor";
import { EventType, type HistoryEvent } from "../../../src/durable-host/wire";
import { register, replay, START_MS } from "./replayHistory";

const HOUR = 3600;

/** A context whose replay clock the test sets (`set`, seconds from the start); the timers it was asked for, as due times. */
function fakeContext(): { context: OrchestrationContext; set: (seconds: number) => void; timers: number[] } {
  const clock = { now: START_MS };
  const timers: number[] = [];
  const df = {
    get currentUtcDateTime(): Date {
      return new Date(clock.now);
    },
    createTimer: (fireAt: Date): Task => {
      timers.push((fireAt.getTime() - START_MS) / 1000);
      return { fireAt } as unknown as Task;
    },
  };
  return {
    context: { df } as unknown as OrchestrationContext,
    set: (seconds) => (clock.now = START_MS + seconds * 1000),
    timers,
  };
}

/** Runs one wait to its end; `wake` sets the replay clock to when the orchestrator is woken. */
function wait(pause: Pause, seconds: number, wake: () => void): void {
  const gen = pause(seconds);
  let step = gen.next();
  while (step.done !== true) {
    wake();
    step = gen.next(undefined);
  }
}

describe("the away-counting clock", () => {
  it("keeps a deadline where it was when its timers fire on time", () => {
    const { context, set, timers } = fakeContext();
    const clock = awayClock(context);
    const deadline = clock.deadline(600);
    wait(clock.pause, 60, () => set(60));
    expect(timers).toEqual([60]);
    expect(deadline.left()).toBe(540);
    wait(clock.pause, 600, () => set(660));
    expect(deadline.passed()).toBe(true);
  });

  it("moves a deadline back by the time a timer fired late, so the time left is what it was before the host left", () => {
    const { context, set } = fakeContext();
    const clock = awayClock(context);
    const deadline = clock.deadline(600);
    const grace = deadline.after(600);
    // Due at 60 s; the host was stopped and the timer is seen fired two hours later.
    wait(clock.pause, 60, () => set(2 * HOUR));
    expect(deadline.passed()).toBe(false);
    expect(deadline.left()).toBe(540);
    expect(grace.left()).toBe(1140);
  });

  it("counts nothing for a wait that woke before its due time (a cancel)", () => {
    const { context, set } = fakeContext();
    const clock = awayClock(context);
    const deadline = clock.deadline(600);
    wait(clock.pause, 300, () => set(10));
    expect(deadline.left()).toBe(590);
  });

  it("does not move a deadline set after the absence", () => {
    const { context, set } = fakeContext();
    const clock = awayClock(context);
    wait(clock.pause, 60, () => set(HOUR));
    const deadline = clock.deadline(600);
    expect(deadline.left()).toBe(600);
    wait(clock.pause, 60, () => set(HOUR + 60));
    expect(deadline.left()).toBe(540);
  });

  it("moves the deadlines of a clock made over another's pause, and the other's too", () => {
    const { context, set } = fakeContext();
    const outer = awayClock(context);
    const restoreDeadline = outer.deadline(3600);
    const inner = awayClock(context, outer.pause);
    const stepDeadline = inner.deadline(300);
    wait(inner.pause, 60, () => set(60 + 2 * HOUR));
    expect(stepDeadline.left()).toBe(240);
    expect(restoreDeadline.left()).toBe(3540);
  });

  it("counts time away no timer showed when told of it, and never a negative one", () => {
    const { context, set } = fakeContext();
    const clock = awayClock(context);
    const deadline = clock.deadline(600);
    set(1000);
    clock.addAway(900);
    clock.addAway(-50);
    expect(deadline.left()).toBe(500);
  });

  it("takes the lateness from the history, so every replay of a late wake reads the same time left", async () => {
    const name = register(function* (context) {
      const clock = awayClock(context);
      const deadline = clock.deadline(600);
      yield* clock.pause(60);
      return deadline.left();
    });
    const at = (seconds: number): string => new Date(START_MS + seconds * 1000).toISOString();
    const fireAt = at(60);
    // The timer was due 60 s in; the host came back two hours later and the orchestrator woke then.
    const history: HistoryEvent[] = [
      { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: true, Timestamp: at(0) },
      {
        EventType: EventType.ExecutionStarted,
        EventId: -1,
        IsPlayed: true,
        Timestamp: at(0),
        Name: name,
        Input: "null",
      },
      { EventType: EventType.TimerCreated, EventId: 0, IsPlayed: true, Timestamp: at(0), FireAt: fireAt },
      { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: true, Timestamp: at(2 * HOUR) },
      {
        EventType: EventType.TimerFired,
        EventId: -1,
        IsPlayed: true,
        Timestamp: at(2 * HOUR),
        TimerId: 0,
        FireAt: fireAt,
      },
    ];
    const first = await replay(name, history);
    const again = await replay(name, history);
    expect(first).toMatchObject({ isDone: true, output: 540 });
    expect(again.output).toBe(first.output);
  });
});
