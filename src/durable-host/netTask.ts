/**
 * The .NET side's tasks in miniature, as the extension's replay code awaits them: a task settles once and runs its
 * continuations inline; `whenAll` waits for every child even after a failure, `whenAny` never faults.
 */

export type NetState = "pending" | "completed" | "faulted" | "canceled";

/** A .NET Task in miniature: settles once; continuations run inline, in registration order. */
export class NetTask {
  state: NetState = "pending";
  error: Error | undefined;
  private continuations: (() => void)[] = [];

  get done(): boolean {
    return this.state !== "pending";
  }
  resolve(): void {
    this.settle("completed");
  }
  reject(error: Error): void {
    if (this.done) return;
    this.error = error;
    this.settle("faulted");
  }
  cancel(): void {
    this.settle("canceled");
  }
  whenDone(callback: () => void): void {
    if (this.done) callback();
    else this.continuations.push(callback);
  }
  private settle(state: NetState): void {
    if (this.done) return;
    this.state = state;
    const callbacks = this.continuations;
    this.continuations = [];
    for (const cb of callbacks) cb();
  }
}

/** What fire-and-forget APIs (continueAsNew) hand back: already complete, and left out of V1's WhenAny. */
export const FIRE_AND_FORGET = new NetTask();
FIRE_AND_FORGET.resolve();

export function whenAll(tasks: readonly NetTask[]): NetTask {
  const all = new NetTask();
  let remaining = tasks.length;
  if (remaining === 0) {
    all.resolve();
    return all;
  }
  const onChild = (): void => {
    remaining -= 1;
    if (remaining > 0) return;
    const faulted = tasks.find((t) => t.state === "faulted");
    if (faulted) all.reject(faulted.error ?? new Error("A task failed"));
    else if (tasks.some((t) => t.state === "canceled")) all.cancel();
    else all.resolve();
  };
  for (const t of tasks) t.whenDone(onChild);
  return all;
}

export function whenAny(tasks: readonly NetTask[]): NetTask {
  if (tasks.length === 0) throw new ExtensionError("Task.any was given no tasks; it would never complete.");
  const any = new NetTask();
  for (const t of tasks) t.whenDone(() => any.resolve());
  return any;
}

/** An exception the extension itself raises while replaying the actions (fails the orchestration). */
export class ExtensionError extends Error {
  override readonly name = "ExtensionError";
}
