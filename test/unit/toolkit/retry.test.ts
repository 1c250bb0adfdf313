/**
 * Retry while ARM is busy (orchestrations/toolkit/retry.ts), replayed through the SDK's own handler: each wait is a
 * durable timer of ARM's Retry-After (or the backoff), and the reads stop at the budget or on a stop.
 */
import { describe, expect, it } from "vitest";
import type { OrchestrationContext, Task } from "durable-functions";
import {
  backoffSeconds,
  MAX_RETRY_AFTER_SECONDS,
  retryWhileBusy,
  type Answer as BusyAnswer,
} from "../../../orchestrations/toolkit/retry";
import { addSeconds } from "../../../src/contracts/durable/clock";
import { ActionType, EventType } from "../../../src/durable-host/wire";
import { drive, type Answer } from "./replayHistory";

type Read = BusyAnswer & { attempt?: number };

/** Reads "read" until it is not busy, at most `max` times; stops waiting once a "stop" event has come. */
function reader(max: number) {
  return function* (context: OrchestrationContext): Generator<Task, unknown, unknown> {
    const stop = context.df.waitForExternalEvent("stop");
    let n = 0;
    return yield* retryWhileBusy(
      function* (): Generator<Task, Read, unknown> {
        n++;
        return (yield context.df.callActivity("read", n)) as Read;
      },
      function* (seconds) {
        yield context.df.Task.any([context.df.createTimer(addSeconds(context.df.currentUtcDateTime, seconds)), stop]);
      },
      { maxAttempts: max, stop: () => stop.isCompleted },
    );
  };
}

const timersOf = (scheduled: { actionType: number; fireAt?: string | undefined }[]): number =>
  scheduled.filter((a) => a.actionType === ActionType.CreateTimer).length;

describe("retry while ARM is busy", () => {
  it("reads again after each throttled or conflicting answer, and returns the first that is not busy", async () => {
    const answers: Answer[] = [
      { result: { status: "throttled", retryAfterSeconds: 17 } },
      { result: { status: "conflict" } },
      { result: { status: "ok", attempt: 3 } },
    ];
    let next = 0;
    const r = await drive(reader(10), (a) =>
      a.actionType === ActionType.CallActivity ? (answers[next++] ?? "pending") : "pending",
    );
    expect(r.output).toEqual({ last: { status: "ok", attempt: 3 }, attempts: 3 });
    const timers = r.scheduled.filter((a) => a.actionType === ActionType.CreateTimer).map((a) => a.fireAt ?? "");
    // ARM's Retry-After first (17 s), then the backoff of the second attempt (20 s), each from the replay clock.
    expect(timers).toHaveLength(2);
    const [first, second] = timers.map((t) => Date.parse(t));
    // Measured from the episode that received the busy answer: its clock is the replay clock.
    const reads = r.history.filter((e) => e.EventType === EventType.TaskCompleted).map((e) => Date.parse(e.Timestamp));
    expect(((first ?? 0) - (reads[0] ?? 0)) / 1000).toBe(17);
    expect(((second ?? 0) - (reads[1] ?? 0)) / 1000).toBe(20);
  });

  it("gives up after the budget of reads, returning the last busy answer", async () => {
    const r = await drive(reader(3), (a) =>
      a.actionType === ActionType.CallActivity ? { result: { status: "throttled" } } : "pending",
    );
    expect(r.output).toEqual({ last: { status: "throttled" }, attempts: 3 });
    expect(timersOf(r.scheduled)).toBe(2);
  });

  it("does not wait on an answer that waiting does not cure", async () => {
    const r = await drive(reader(10), () => ({ result: { status: "failed" } }));
    expect(r.output).toEqual({ last: { status: "failed" }, attempts: 1 });
    expect(timersOf(r.scheduled)).toBe(0);
  });

  it("stops waiting once told to stop (a cancel), with the busy answer", async () => {
    const r = await drive(
      reader(10),
      (a) => (a.actionType === ActionType.CallActivity ? { result: { status: "throttled" } } : "pending"),
      {
        events: [{ afterEpisode: 2, name: "stop", value: {} }],
      },
    );
    expect(r.output).toMatchObject({ last: { status: "throttled" } });
    expect((r.output as { attempts: number }).attempts).toBeLessThan(10);
  });

  it("never comes back before ARM's Retry-After, and only cuts an absurd one", () => {
    expect(backoffSeconds(1, 1200)).toBe(1200);
    expect(backoffSeconds(7, 90_000)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect([1, 2, 3, 6, 12].map((n) => backoffSeconds(n, undefined))).toEqual([10, 20, 40, 300, 300]);
  });
});
