/**
 * The group wait (orchestrations/toolkit/groupWait.ts), replayed through the SDK's own handler over histories the
 * test writes (replayHistory.ts): work started together is scheduled once however the ends and events interleave.
 */
import { describe, expect, it } from "vitest";
import type { OrchestrationContext, Task } from "durable-functions";
import { awaitGroup } from "../../../orchestrations/toolkit/groupWait";
import { ActionType } from "../../../src/durable-host/wire";
import { drive, type Answer } from "./replayHistory";

const echo = (action: { input?: unknown }): Answer => ({ result: action.input });

/** Three activities and a cancel waiter, waited on with the group wait; what each returned or why it failed. */
function* threeWithCancel(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const cancel = context.df.waitForExternalEvent("cancel");
  const tasks = [0, 1, 2].map((i) => context.df.callActivity("work", i));
  const ends: string[] = [];
  const settledWhileCancelled: boolean[] = [];
  yield* awaitGroup(context, tasks, [cancel], {
    done: (raw, i) => ends.push(`${i}:${JSON.stringify(raw)}`),
    failed: (e, i) => ends.push(`${i}:failed:${e.message}`),
    settled: () => settledWhileCancelled.push(cancel.isCompleted),
  });
  return { ends, settledWhileCancelled };
}

describe("the group wait", () => {
  it("schedules each task of the group once while the ends come in one by one", async () => {
    const r = await drive(threeWithCancel, echo);
    expect(r.isDone).toBe(true);
    expect(r.scheduled.map((a) => a.input)).toEqual([0, 1, 2]);
    expect(r.output).toMatchObject({ ends: ["0:0", "1:1", "2:2"] });
  });

  it("hears a cancel raised while the group runs, and still awaits every task without scheduling it again", async () => {
    const r = await drive(threeWithCancel, echo, {
      events: [{ afterEpisode: 1, name: "cancel", value: { by: "ops" } }],
    });
    expect(r.scheduled.filter((a) => a.actionType === ActionType.CallActivity)).toHaveLength(3);
    expect(r.output).toMatchObject({ ends: ["0:0", "1:1", "2:2"] });
    expect((r.output as { settledWhileCancelled: boolean[] }).settledWhileCancelled.at(-1)).toBe(true);
  });

  it("hands a failed task to `failed` and goes on with the others, in order", async () => {
    const r = await drive(threeWithCancel, (a) => (a.input === 1 ? { failure: "the activity threw" } : echo(a)));
    expect(r.output).toMatchObject({
      ends: ["0:0", expect.stringMatching(/^1:failed:.*the activity threw/) as unknown, "2:2"],
    });
    expect(r.scheduled).toHaveLength(3);
  });

  it("counts a result `done` refuses as that task's failure", async () => {
    const r = await drive(function* (context: OrchestrationContext): Generator<Task, unknown, unknown> {
      const out: string[] = [];
      yield* awaitGroup(context, [context.df.callActivity("work", "x")], [], {
        done: () => {
          throw new Error("output of work: not a number");
        },
        failed: (e) => out.push(e.message),
      });
      return out;
    }, echo);
    expect(r.output).toEqual(["output of work: not a number"]);
  });

  it("runs `heard` once when a waiter ends the first wait while tasks still run, and never otherwise", async () => {
    /** Two activities the test leaves running until the cancel; `heard` calls one more activity (a relay). */
    function* withHeard(context: OrchestrationContext): Generator<Task, unknown, unknown> {
      const cancel = context.df.waitForExternalEvent("cancel");
      const tasks = [0, 1].map((i) => context.df.callActivity("work", i));
      const ends: string[] = [];
      let heardWhileRunning = 0;
      yield* awaitGroup(context, tasks, [cancel], {
        heard: function* () {
          heardWhileRunning += tasks.filter((t) => !t.isCompleted).length;
          ends.push(`relayed:${String(yield context.df.callActivity("relay", "cancel"))}`);
        },
        done: (raw, i) => ends.push(`${i}:${JSON.stringify(raw)}`),
        failed: (e, i) => ends.push(`${i}:failed:${e.message}`),
      });
      return { ends, heardWhileRunning };
    }
    // Raised before the first wait: the waiter ends it at once, while both activities are still to run.
    const heard = await drive(withHeard, echo, { events: [{ afterEpisode: 0, name: "cancel", value: {} }] });
    expect(heard.output).toEqual({ ends: ["relayed:cancel", "0:0", "1:1"], heardWhileRunning: 2 });
    expect(heard.scheduled.map((a) => a.functionName)).toEqual(["work", "work", "relay"]);

    const quiet = await drive(withHeard, echo);
    expect(quiet.output).toEqual({ ends: ["0:0", "1:1"], heardWhileRunning: 0 });
    expect(quiet.scheduled.map((a) => a.functionName)).toEqual(["work", "work"]);
  });

  it("waits on nothing for an empty group", async () => {
    const r = await drive(function* (context: OrchestrationContext): Generator<Task, unknown, unknown> {
      yield* awaitGroup(context, [], [context.df.waitForExternalEvent("cancel")], {
        done: () => undefined,
        failed: () => undefined,
      });
      return "done";
    }, echo);
    expect(r.output).toBe("done");
    expect(r.scheduled).toEqual([]);
  });

  it("is what keeps work from running twice: waiting again on the tasks left, in a new Task.any, schedules them again", async () => {
    // The pattern of azure-functions-durable-js#574, replayed by the same SDK: the harness sees the duplicates.
    const r = await drive(function* (context: OrchestrationContext): Generator<Task, unknown, unknown> {
      const cancel = context.df.waitForExternalEvent("cancel");
      let left = [0, 1, 2].map((i) => context.df.callActivity("work", i));
      while (left.length > 0) {
        const first = (yield context.df.Task.any([...left, cancel])) as Task;
        left = left.filter((t) => t !== first);
      }
      return "done";
    }, echo);
    expect(r.scheduled.length).toBeGreaterThan(3);
  });
});
