/**
 * Waiting on a group of tasks already started (activities, sub-orchestrations) together with event waiters that
 * must keep being heard (a cancel), and handling each task's end in order.
 *
 * The group is waited on once, in one Task.any (it is what schedules the tasks, and what hands the waiters their
 * events), and after that each task alone. A task put again into a new Task.any (or Task.all) is scheduled again:
 * the SDK adds its action a second time, so an activity runs twice and a sub-orchestration is started twice
 * (azure-functions-durable-js#574, open against durable-functions 3.x; the replay test of this module reproduces it).
 * Re-yielding a scheduled task alone adds no action (azure-functions-durable-js#85, fixed in 1.3.2). Event waiters
 * use no sequence ids, so the same waiter may stand in several Task.any calls.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { ensureError } from "../../src/errors";

export interface GroupHandlers {
  /** A task's result. What this throws (a result that does not parse) counts as that task's failure. */
  done(result: unknown, index: number): void;
  /** A task that failed (or whose result `done` refused): the caller records it; the group goes on. */
  failed(error: Error, index: number): void;
  /** After each task, whichever way it ended (to publish progress, to look at the waiters again). */
  settled?(index: number): void;
  /** After the first wait, when it was a waiter of `hold` that ended it: what to do before the tasks still running end. */
  heard?(): Generator<Task, void, unknown>;
}

/**
 * Waits for every task of `tasks`, handing each end to `on` in the order of `tasks`. The first wait also holds
 * `hold` (waiters, never work): it wakes on the first task to end or on any waiter, so the caller hears an event as
 * soon as it comes. Task.any, never Task.all: a Task.all over a task that fails throws at once, before the others
 * are handed to `on`.
 */
export function* awaitGroup(
  context: OrchestrationContext,
  tasks: readonly Task[],
  hold: readonly Task[],
  on: GroupHandlers,
): Generator<Task, void, unknown> {
  if (tasks.length === 0) return;
  const held = hold.filter((w) => !w.isCompleted);
  yield context.df.Task.any([...tasks, ...held]);
  if (on.heard !== undefined && held.some((w) => w.isCompleted) && tasks.some((t) => !t.isCompleted && !t.isFaulted))
    yield* on.heard();
  for (const [i, task] of tasks.entries()) {
    try {
      const raw: unknown = task.isCompleted || task.isFaulted ? task.result : yield task;
      if (task.isFaulted) throw ensureError(raw);
      on.done(raw, i);
    } catch (e) {
      on.failed(ensureError(e), i);
    }
    on.settled?.(i);
  }
}
