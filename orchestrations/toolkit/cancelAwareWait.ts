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
