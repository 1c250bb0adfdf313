/** Who hears what the host does: progress listeners, and callers waiting for an instance to reach a status. */
import { ensureError } from "../errors";
import type { HostLogger, HostProgressEvent, InstanceStatus } from "./types";

export class Progress {
  private readonly listeners = new Set<(event: HostProgressEvent) => void>();
  private readonly statusWaiters = new Set<() => void>();

  constructor(private readonly log: HostLogger | undefined) {}

  on(listener: (event: HostProgressEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener; a listener that throws is logged and does not stop the host. */
  emit(event: HostProgressEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        this.log?.("error", "durable-host", "progress listener failed", ensureError(e));
      }
    }
  }

  /** Resolves once `predicate` holds for what `read` returns, checked now and after every state change. */
  waitFor(read: () => InstanceStatus | undefined, predicate: (s: InstanceStatus) => boolean): Promise<InstanceStatus> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const s = read();
        if (s && predicate(s)) {
          this.statusWaiters.delete(check);
          resolve(s);
          return true;
        }
        return false;
      };
      if (!check()) this.statusWaiters.add(check);
    });
  }

  /** An instance's state changed: re-check every waiter. */
  stateChanged(): void {
    for (const check of [...this.statusWaiters]) check();
  }
}
