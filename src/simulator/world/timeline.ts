/** Every power state a machine passed through, with when: what tests and the run's report read back. */
import { float64Column, int32Column, StringTable } from "./columns";
import type { Machine } from "./types";

export interface StateChange {
  resourceId: string;
  instanceId?: string;
  from: string;
  to: string;
  /** Simulated epoch ms. */
  at: number;
}

const NONE = -1;
/** Numbers stored per change in `fields`: resource id, the same lower-cased, instance id, from, to. */
const FIELDS = 5;

/**
 * Kept in columns (columns.ts), a change costs a few dozen bytes whatever the fleet's size; change objects are built
 * only for what `list` returns.
 */
export class Timeline {
  private readonly strings = new StringTable();
  private readonly at = float64Column();
  private readonly fields = int32Column();

  record(m: Machine, from: string, to: string, at: number): void {
    const t = this.strings;
    this.at.push(at);
    this.fields.push(t.id(m.resourceId));
    this.fields.push(t.id(m.resourceId.toLowerCase()));
    this.fields.push(m.instanceId === undefined ? NONE : t.id(m.instanceId));
    this.fields.push(t.id(from));
    this.fields.push(t.id(to));
  }

  /** The changes, of one resource or all, oldest first. */
  list(resourceId?: string): StateChange[] {
    const key = resourceId === undefined ? undefined : (this.strings.find(resourceId.toLowerCase()) ?? NONE);
    const hits: number[] = [];
    for (let i = 0; i < this.at.length; i++) if (key === undefined || this.field(i, 1) === key) hits.push(i);
    // Stable: changes at the same time keep the order they were recorded in.
    return hits.sort((a, b) => this.at.get(a) - this.at.get(b)).map((i) => this.change(i));
  }

  /** Changes kept, and the distinct strings they share (test/e2e/footprint.test.ts). */
  counts(): { stateChanges: number; timelineStrings: number } {
    return { stateChanges: this.at.length, timelineStrings: this.strings.size };
  }

  private field(i: number, k: number): number {
    return this.fields.get(i * FIELDS + k);
  }

  private change(i: number): StateChange {
    const c: StateChange = {
      resourceId: this.strings.value(this.field(i, 0)),
      from: this.strings.value(this.field(i, 3)),
      to: this.strings.value(this.field(i, 4)),
      at: this.at.get(i),
    };
    const instance = this.field(i, 2);
    if (instance !== NONE) c.instanceId = this.strings.value(instance);
    return c;
  }
}
