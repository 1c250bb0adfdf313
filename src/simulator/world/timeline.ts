/** Every power state a machine passed through, with when: what tests and the run's report read back. */
import type { Machine } from "./types";

export interface StateChange {
  resourceId: string;
  instanceId?: string;
  from: string;
  to: string;
  /** Simulated epoch ms. */
  at: number;
}

export class Timeline {
  private readonly changes: StateChange[] = [];

  record(m: Machine, from: string, to: string, at: number): void {
    const c: StateChange = { resourceId: m.resourceId, from, to, at };
    if (m.instanceId !== undefined) c.instanceId = m.instanceId;
    this.changes.push(c);
  }

  /** The changes, of one resource or all, oldest first. */
  list(resourceId?: string): StateChange[] {
    const key = resourceId?.toLowerCase();
    const list = key === undefined ? [...this.changes] : this.changes.filter((c) => c.resourceId.toLowerCase() === key);
    return list.sort((a, b) => a.at - b.at);
  }
}
