/**
 * The durable monitor (orchestrations/toolkit/monitor.ts), without a host: the generator is driven by a fake
 * context that records every task it yields — durable timers with their fire times, and the operation's own sends
 * and reads — and answers them from a script, as a replay of a recorded history would.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { describe, expect, it } from "vitest";
import { monitor, type OperationShape } from "../../../orchestrations/toolkit/monitor";

const START = Date.UTC(2026, 2, 3, 8, 0, 0);

type Yielded = { kind: "timer"; at: number } | { kind: "send"; n: number } | { kind: "read"; n: number };

/** A context whose only clock is the replay clock: a timer's completion moves it to the timer's fire time. */
function fakeContext(): { context: OrchestrationContext; now: () => number; setNow: (ms: number) => void } {
  const clock = { now: START };
  const df = {
    get currentUtcDateTime(): Date {
      return new Date(clock.now);
    },
    createTimer: (fireAt: Date): Task => ({ kind: "timer", at: fireAt.getTime() }) as unknown as Task,
  };
  return { context: { df } as unknown as OrchestrationContext, now: () => clock.now, setNow: (ms) => (clock.now = ms) };
}

type Status = { state: "running" | "done" | "failed" | "lost"; retryAfter?: number };

interface Script {
  /** Answers of successive sends: "sync" ends at once; a number is the first wait. */
  sends: ("sync" | number)[];
  reads: Status[];
  deadlineSeconds?: number;
}

/** Runs the monitor over a scripted operation and records every yielded task with the time it was yielded. */
function run(script: Script): { result: string; yielded: (Yielded & { t: number })[] } {
  const { context, now, setNow } = fakeContext();
  let sends = 0;
  let reads = 0;
  const deadline = START + (script.deadlineSeconds ?? 3600) * 1000;
  const shape: OperationShape<Status, string> = {
    *begin() {
      const n = sends++;
      yield { kind: "send", n } as unknown as Task;
      const answer = script.sends[n] ?? "sync";
      return answer === "sync" ? { end: `sent ${n}, done` } : { wait: answer };
    },
    *readStatus() {
      const n = reads++;
      yield { kind: "read", n } as unknown as Task;
      return script.reads[n] ?? { state: "running" };
    },
    readError: (s) => (s.state === "failed" ? { end: "failed" } : s.state === "lost" ? { resend: 30 } : undefined),
    isDone: (s) => (s.state === "done" ? `done after ${reads} read(s)` : undefined),
    nextWait: (s) => Math.max(10, s.retryAfter ?? 0),
    beforeWait: (wait) =>
      now() >= deadline ? { end: "timed out" } : { wait: Math.min(wait, (deadline - now()) / 1000) },
  };
  const gen = monitor(context, shape);
  const yielded: (Yielded & { t: number })[] = [];
  let step = gen.next();
  while (step.done !== true) {
    const task = step.value as unknown as Yielded;
    yielded.push({ ...task, t: (now() - START) / 1000 });
    if (task.kind === "timer") setNow(task.at);
    step = gen.next(undefined);
  }
  return { result: step.value, yielded };
}

/** The fire times of the yielded timers, in seconds from the start. */
const timers = (y: (Yielded & { t: number })[]): number[] =>
  y.flatMap((x) => (x.kind === "timer" ? [(x.at - START) / 1000] : []));

describe("the durable monitor", () => {
  it("waits the begin's first wait on one timer, then reads, and ends when the read shows the operation done", () => {
    const { result, yielded } = run({ sends: [60], reads: [{ state: "done" }] });
    expect(result).toBe("done after 1 read(s)");
    expect(yielded.map((y) => y.kind)).toEqual(["send", "timer", "read"]);
    expect(timers(yielded)).toEqual([60]);
  });

  it("ends without a timer or a read when the begin answers synchronously", () => {
    const { result, yielded } = run({ sends: ["sync"], reads: [] });
    expect(result).toBe("sent 0, done");
    expect(yielded.map((y) => y.kind)).toEqual(["send"]);
  });

  it("reads at once after a begin whose first wait is 0", () => {
    const { yielded } = run({ sends: [0], reads: [{ state: "done" }] });
    expect(yielded.map((y) => y.kind)).toEqual(["send", "read"]);
  });

  it("waits what nextWait chooses between reads, Retry-After lengthening it", () => {
    const { result, yielded } = run({
      sends: [30],
      reads: [{ state: "running", retryAfter: 45 }, { state: "running" }, { state: "done" }],
    });
    expect(result).toBe("done after 3 read(s)");
    // The first read at 30 s; then 45 s (Retry-After), then 10 s.
    expect(timers(yielded)).toEqual([30, 75, 85]);
  });

  it("sends again after the re-send wait when a read shows the operation lost, and watches the new send", () => {
    const { result, yielded } = run({ sends: [20, 20], reads: [{ state: "lost" }, { state: "done" }] });
    expect(result).toBe("done after 2 read(s)");
    expect(yielded.map((y) => y.kind)).toEqual(["send", "timer", "read", "timer", "send", "timer", "read"]);
    expect(timers(yielded)).toEqual([20, 50, 70]);
  });

  it("ends with the error's result when a read shows the operation failed, without another read", () => {
    const { result, yielded } = run({ sends: [20], reads: [{ state: "failed" }, { state: "done" }] });
    expect(result).toBe("failed");
    expect(yielded.filter((y) => y.kind === "read")).toHaveLength(1);
  });

  it("ends when beforeWait says the deadline has passed, and never sleeps beyond it", () => {
    const { result, yielded } = run({ sends: [60], reads: [], deadlineSeconds: 95 });
    expect(result).toBe("timed out");
    // 60 s, then 10 s polls, the last cut to the deadline.
    expect(timers(yielded)).toEqual([60, 70, 80, 90, 95]);
  });

  it("takes its waits through the caller's pause when one is given (a cancel-aware wait)", () => {
    const { context } = fakeContext();
    const paused: number[] = [];
    const shape: OperationShape<Status, string> = {
      *begin() {
        yield { kind: "send", n: 0 } as unknown as Task;
        return { wait: 25 };
      },
      *readStatus() {
        yield { kind: "read", n: 0 } as unknown as Task;
        return { state: "done" };
      },
      readError: () => undefined,
      isDone: (s) => (s.state === "done" ? "done" : undefined),
      nextWait: () => 10,
    };
    const gen = monitor(context, shape, function* (seconds) {
      paused.push(seconds);
      yield { kind: "pause" } as unknown as Task;
    });
    let step = gen.next();
    while (step.done !== true) step = gen.next(undefined);
    expect(step.value).toBe("done");
    expect(paused).toEqual([25]);
  });
});
