/**
 * Waiting for one task while a cancel waiter keeps being heard. The waiter is one task for the orchestration's whole
 * life (a waiter never yielded is never handed its event, and a fresh waiter per wait would leave the event with
 * one nobody looks at any more); putting it in several Task.any calls is safe, as waiters use no sequence ids.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { ensureError } from "../../src/errors";

/**
 * Waits for `task`, waking early when `cancel` completes; the task is still awaited, so work in flight always
 * finishes. `stopped` says whether the cancel has been seen (the caller's check, which may publish it the first
 * time): while it has not, the wait holds `cancel` too, and `stopped` is asked again on waking.
 * Returns the task's result, or throws its failure.
 */
export function* awaitUnlessCancelled(
  context: OrchestrationContext,
  task: Task,
  cancel: Task,
  stopped: () => boolean,
): Generator<Task, unknown, unknown> {
  if (!stopped()) {
    yield context.df.Task.any([task, cancel]);
    stopped();
  }
  if (!task.isCompleted && !task.isFaulted) yield task;
  if (task.isFaulted) throw ensureError(task.result);
  return task.result;
}

/**
 * Runs `body` (a generator of durable tasks, as `yield*` would) with `waiter` held in its first wait only: from then
 * on the waiter is tracked for the rest of the episode and of every replay, so its event completes it whenever it
 * comes, and the caller reads `waiter.isCompleted` between steps. One waiter in one Task.any, beside a task yielded
 * there for the first time (a task put again into a new Task.any is scheduled again, azure-functions-durable-js#574).
 * The body's tasks, results and failures pass through unchanged.
 */
export function* holdingFirst<R>(
  context: OrchestrationContext,
  body: Generator<Task, R, unknown>,
  waiter: Task,
): Generator<Task, R, unknown> {
  let step = body.next();
  if (step.done === true) return step.value;
  const first = step.value;
  if (!waiter.isCompleted) yield context.df.Task.any([first, waiter]);
  step = yield* settle(body, first);
  while (step.done !== true) {
    let value: unknown;
    try {
      value = yield step.value;
    } catch (e) {
      step = body.throw(e);
      continue;
    }
    step = body.next(value);
  }
  return step.value;
}

/** Hands `task`'s result (or failure) to `body`, waiting for it alone if it has not ended yet. */
function* settle<R>(body: Generator<Task, R, unknown>, task: Task): Generator<Task, IteratorResult<Task, R>, unknown> {
  let value: unknown;
  try {
    value = task.isCompleted || task.isFaulted ? task.result : yield task;
  } catch (e) {
    return body.throw(e);
  }
  return task.isFaulted ? body.throw(ensureError(value)) : body.next(value);
}
