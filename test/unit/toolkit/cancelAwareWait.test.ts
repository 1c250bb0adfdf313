/**
 * The cancel-aware wait (orchestrations/toolkit/cancelAwareWait.ts), replayed through the SDK's own handler: a cancel
 * wakes the wait early, yet the task in flight is still awaited and scheduled once.
 */
import { describe, expect, it } from "vitest";
import type { OrchestrationContext, Task } from "durable-functions";
import { awaitUnlessCancelled } from "../../../orchestrations/toolkit/cancelAwareWait";
import { drive } from "./replayHistory";

/** Two activities one after the other, each waited on while a cancel is heard; what the checks saw. */
function* twoSteps(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const cancel = context.df.waitForExternalEvent("cancel");
  const seen: boolean[] = [];
  const stopped = (): boolean => {
    seen.push(cancel.isCompleted);
    return cancel.isCompleted;
  };
  const results: unknown[] = [];
  for (const step of ["a", "b"]) {
    try {
      results.push(yield* awaitUnlessCancelled(context, context.df.callActivity("step", step), cancel, stopped));
    } catch (e) {
      results.push(e instanceof Error ? `failed: ${e.message}` : "failed");
    }
  }
  return { results, seen };
}

describe("the cancel-aware wait", () => {
  it("returns each task's result when no cancel comes", async () => {
    const r = await drive(twoSteps, (a) => ({ result: `${String(a.input)} done` }));
    expect(r.output).toMatchObject({ results: ["a done", "b done"] });
    expect(r.scheduled).toHaveLength(2);
  });

  it("wakes on a cancel that arrives while the task runs, tells the caller, and still awaits the task once", async () => {
    // The first activity is answered only after the cancel: the wait wakes on the cancel first.
    const r = await drive(twoSteps, (a) => ({ result: `${String(a.input)} done` }), {
      events: [{ afterEpisode: 0, name: "cancel", value: {} }],
    });
    const out = r.output as { results: unknown[]; seen: boolean[] };
    expect(out.results).toEqual(["a done", "b done"]);
    expect(r.scheduled.map((a) => a.input)).toEqual(["a", "b"]);
    // Asked before the first wait (not yet), on waking (heard), and before the second (no second Task.any).
    expect(out.seen.slice(0, 2)).toEqual([false, true]);
    expect(out.seen).toHaveLength(3);
  });

  it("throws the task's failure", async () => {
    const r = await drive(twoSteps, (a) => (a.input === "a" ? { failure: "boom" } : { result: "ok" }));
    expect((r.output as { results: unknown[] }).results).toEqual([
      expect.stringMatching(/^failed: .*boom/) as unknown,
      "ok",
    ]);
  });
});
