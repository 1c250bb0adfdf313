/**
 * A cancel waiter held only in a body's first wait (orchestrations/toolkit/cancelAwareWait.ts, holdingFirst), replayed
 * through the SDK's own handler: the waiter hears an event that comes at any later point of the body, the body's
 * tasks are each scheduled once, and its results and failures pass through unchanged.
 */
import { describe, expect, it } from "vitest";
import type { OrchestrationContext, Task } from "durable-functions";
import { holdingFirst } from "../../../orchestrations/toolkit/cancelAwareWait";
import { ensureError } from "../../../src/errors";
import { drive, type Answer } from "./replayHistory";

const echo = (action: { input?: unknown }): Answer => ({ result: `${String(action.input)} done` });

/** Three activities one after the other; a failure is caught and named. */
function* threeSteps(context: OrchestrationContext, prefix: string): Generator<Task, string[], unknown> {
  const results: string[] = [];
  for (const step of ["a", "b", "c"]) {
    try {
      results.push(String(yield context.df.callActivity("step", `${prefix}${step}`)));
    } catch (e) {
      results.push(`failed: ${ensureError(e).message}`);
    }
  }
  return results;
}

/** A first body run with the waiter held in its first wait, then whether the cancel was heard, then a second body. */
function* chain(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const cancel = context.df.waitForExternalEvent("cancel");
  const first = yield* holdingFirst(context, threeSteps(context, "1"), cancel);
  const heard = cancel.isCompleted;
  const second = heard ? [] : yield* threeSteps(context, "2");
  return { first, heard, second };
}

describe("a waiter held in a body's first wait", () => {
  it("passes the body's results through and schedules each task once when nothing is raised", async () => {
    const r = await drive(chain, echo);
    expect(r.output).toEqual({
      first: ["1a done", "1b done", "1c done"],
      heard: false,
      second: ["2a done", "2b done", "2c done"],
    });
    expect(r.scheduled.map((a) => a.input)).toEqual(["1a", "1b", "1c", "2a", "2b", "2c"]);
  });

  it("hears an event raised after its first wait, while a later task of the body runs", async () => {
    // Episode 0 schedules 1a; 1 takes its result and schedules 1b; the cancel comes while 1b runs.
    const r = await drive(chain, echo, { events: [{ afterEpisode: 2, name: "cancel", value: { by: "ops" } }] });
    expect(r.output).toEqual({ first: ["1a done", "1b done", "1c done"], heard: true, second: [] });
    expect(r.scheduled.map((a) => a.input)).toEqual(["1a", "1b", "1c"]);
  });

  it("hears an event that comes with the first task's end, and the body goes on", async () => {
    const r = await drive(chain, echo, { events: [{ afterEpisode: 1, name: "cancel", value: {} }] });
    expect(r.output).toMatchObject({ first: ["1a done", "1b done", "1c done"], heard: true });
    expect(r.scheduled.map((a) => a.input)).toEqual(["1a", "1b", "1c"]);
  });

  it("hears an event raised before the body began at its first wait, and still waits for the first task", async () => {
    const r = await drive(chain, echo, { events: [{ afterEpisode: 0, name: "cancel", value: {} }] });
    expect(r.output).toMatchObject({ first: ["1a done", "1b done", "1c done"], heard: true, second: [] });
    expect(r.scheduled.map((a) => a.input)).toEqual(["1a", "1b", "1c"]);
  });

  it("throws a task's failure into the body, the first task's as any other's", async () => {
    const r = await drive(chain, (a) =>
      a.input === "1a" || a.input === "1c" ? { failure: `${String(a.input)} broke` } : echo(a),
    );
    expect((r.output as { first: string[] }).first).toEqual([
      expect.stringMatching(/^failed: .*1a broke/) as unknown,
      "1b done",
      expect.stringMatching(/^failed: .*1c broke/) as unknown,
    ]);
  });
});
