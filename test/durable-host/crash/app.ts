/**
 * The crash-test app: two orchestrations with an activity, a durable timer, a fan-out and a sub-orchestration, and
 * one activity whose every run leaves a line in a side-effect file. `CRASH_KILL_AT` makes the process kill itself
 * with SIGKILL (or pause for its parent to kill it) inside a given activity run.
 */
import { appendFileSync, writeSync } from "node:fs";
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { z } from "zod";

const LabelSchema = z.string().min(1);

function killHere(point: string): void {
  writeSync(1, `KILL ${point}\n`);
  process.kill(process.pid, "SIGKILL");
}

df.app.activity("crashEffect", {
  handler: async (input: unknown) => {
    const label = LabelSchema.parse(input);
    const file = process.env.CRASH_EFFECTS_FILE;
    if (file) appendFileSync(file, `${label}\n`);
    const at = process.env.CRASH_KILL_AT ?? "";
    if (at === `activity:${label}`) killHere(at);
    if (at === `pause:${label}`) {
      writeSync(1, `PAUSED ${label}\n`);
      // Keeps the process alive, mid-activity, until the parent kills it.
      setInterval(() => undefined, 1 << 30);
      await new Promise<never>(() => undefined);
    }
    return `done:${label}`;
  },
});

df.app.orchestration("crashChild", function* (context: OrchestrationContext): Generator<df.Task, unknown, unknown> {
  const prefix = LabelSchema.parse(context.df.getInput());
  const a = yield context.df.callActivity("crashEffect", `${prefix}#child-a`);
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 10 * 60_000));
  const b = yield context.df.callActivity("crashEffect", `${prefix}#child-b`);
  return [a, b];
});

df.app.orchestration("crashFlow", function* (context: OrchestrationContext): Generator<df.Task, unknown, unknown> {
  const id = context.df.instanceId;
  const first = yield context.df.callActivity("crashEffect", `${id}#first`);
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60 * 60_000));
  const fan = yield context.df.Task.all(
    [0, 1, 2, 3].map((i) => context.df.callActivity("crashEffect", `${id}#fan-${i}`)),
  );
  const child = yield context.df.callSubOrchestrator("crashChild", id, `${id}:child`);
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 5 * 60_000));
  const last = yield context.df.callActivity("crashEffect", `${id}#last`);
  return { first, fan, child, last, finishedAt: context.df.currentUtcDateTime.toISOString() };
});
