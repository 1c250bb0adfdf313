/**
 * The clock the HTTP and timer triggers stamp records with (requests, approvals, cancellations, refusals). On Azure it
 * is the host's wall clock; a local stack (`port25 serve`) hands in its virtual clock, so a request, its approval and
 * the run the orchestration stamps with its own (virtual) time read in order on one time line.
 */
import type { ClockKind } from "../contracts/clock";

interface TriggerClock {
  now(): Date;
  /** Recorded with what the triggers stamp, so a simulated run says so wherever its times are shown. */
  readonly kind: ClockKind;
}

const WALL_CLOCK: TriggerClock = { now: () => new Date(), kind: "wall" };

let current: TriggerClock = WALL_CLOCK;

/** The clock the triggers of this process stamp with. */
export function triggerClock(): TriggerClock {
  return current;
}

/**
 * Hands the triggers a clock (the composition root of a local stack); the returned function puts back the previous
 * one. One stack with triggers per process at a time, as for its app settings.
 */
export function useTriggerClock(clock: TriggerClock): () => void {
  const previous = current;
  current = clock;
  return () => {
    current = previous;
  };
}
