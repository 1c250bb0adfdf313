/** The virtual clock: only durable timers (and explicit calls) move it, so nothing in a test waits in real time. */

export interface VirtualClock {
  /** Current virtual time, epoch milliseconds. */
  now(): number;
  /** Moves the clock forward to `epochMs`; earlier values are ignored (time never goes back). */
  advanceTo(epochMs: number): void;
  advanceBy(ms: number): void;
}

export function createVirtualClock(start: Date | number | string = Date.UTC(2025, 0, 6, 8, 0, 0)): VirtualClock {
  let current = typeof start === "number" ? start : new Date(start).getTime();
  if (!Number.isFinite(current)) throw new RangeError(`Invalid clock start time: ${String(start)}`);
  return {
    now: () => current,
    advanceTo(epochMs: number): void {
      if (epochMs > current) current = epochMs;
    },
    advanceBy(ms: number): void {
      if (ms > 0) current += ms;
    },
  };
}
