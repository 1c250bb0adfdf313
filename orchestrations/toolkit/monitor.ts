/**
 * The durable monitor: send a long-running operation, poll it on durable timers until it ends, send it again when
 * ARM lost it. One loop for every operation the orchestrations watch (a power step, a subnet add or delete, a
 * connectivity check), so no activity ever waits for Azure and the loop's order (wait, read, error, done, next wait)
 * exists once.
 *
 * Shaped as core-lro's `pollOperation` (Azure/azure-sdk-for-js, sdk/core/core-lro/src/poller/operation.ts): what
 * an operation is — how to begin it, read its status, whether it is done, its error, how long to wait before the next
 * read — is passed in as callbacks; the monitor owns only the sequence and the timers. Unlike core-lro, each wait
 * is a durable timer on the replay clock, and the callbacks are generators so that a begin or a read may itself
 * yield (an activity, or a wait for throttling).
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { sleep } from "../shared";

/** The end of the watch, with its result. */
export interface Ended<R> {
  end: R;
}

/** What a begin leads to: the result at once (nothing to watch), or the first wait before a read. */
export type Begun<R> = Ended<R> | { wait: number };

/** What a failure a read shows leads to: the result, or the operation sent again after `resend` seconds. */
export type Failure<R> = Ended<R> | { resend: number };

export interface OperationShape<S, R> {
  /** Sends the operation (or finds it under way): the first wait, from what is known of its duration and ARM's Retry-After. */
  begin(): Generator<Task, Begun<R>, unknown>;
  /** One read of the operation's status. */
  readStatus(): Generator<Task, S, unknown>;
  /** A failure the status shows: how the watch ends, or when to send again; undefined when the status shows none. */
  readError(status: S): Failure<R> | undefined;
  /** The result when the status shows the operation has ended well; undefined while it runs. */
  isDone(status: S): R | undefined;
  /** Seconds until the next read, from what is known now: the usual duration, Retry-After, a shared listing's renewal. */
  nextWait(status: S): number;
  /**
   * Before each wait: the result when the watch must end now (a deadline passed), else the wait to take — never
   * shorter than a Retry-After still owed, and only one timer however many reasons there are to wait.
   */
  beforeWait?(wait: number): Begun<R>;
  /** How its waits are taken, unless the caller of `monitor` says: a durable timer by default. */
  pause?: Pause | undefined;
}

/** How a wait is taken: a durable timer, or the caller's own (a cancel-aware one, one that notes a late timer). */
export type Pause = (seconds: number) => Generator<Task, void, unknown>;

/** A deadline that does not count the time the host was away (see `awayClock`). */
export interface Deadline {
  /** Seconds left before it, the host's absence since it was set added back; negative once past. */
  left(): number;
  passed(): boolean;
  /** A deadline `seconds` after this one, moved back by the same absence. */
  after(seconds: number): Deadline;
}

/** Waits whose late wakes are counted as time the host was away, and the deadlines that discount it. */
export interface AwayClock {
  /** The wait (the caller's, else a durable timer), its lateness past its due time counted as time away. */
  pause: Pause;
  /** Counts time away that no timer showed: an activity that outlasted its own retries was run again after a restart. */
  addAway(seconds: number): void;
  /** A deadline `seconds` from now, moved back by the time away counted from now on. */
  deadline(seconds: number): Deadline;
}

/**
 * Deadlines that count only the time the orchestration could act. A durable timer fires no sooner than it was set
 * for, and later when the app was stopped, redeployed or scaled to zero meanwhile ("Timers in Durable Functions",
 * Learn: the timer message becomes visible at its time and activates the app again), as when `port25 run` is killed
 * and started again, or a `--time-scale` run turns seconds of a kill into simulated hours. A deadline measured on the
 * replay clock alone would then pass while nobody watched, and the first read after the wake would be the only one
 * left. Here each wait's lateness (the replay clock at the wake, minus the timer's due time: both in the history, so
 * replays agree) moves every deadline of this clock back by as much. A wait that wakes early (a cancel) adds nothing.
 * Clocks nest: a clock made over another's `pause` counts its lateness, and so does the other.
 */
export function awayClock(context: OrchestrationContext, inner?: Pause): AwayClock {
  const wait: Pause = inner ?? ((seconds) => sleep(context, seconds));
  const now = (): number => context.df.currentUtcDateTime.getTime();
  /** Milliseconds away so far. */
  let away = 0;
  /** A deadline at `at` (epoch ms) that moves back by the time away counted since `since` (ms away then). */
  const deadlineAt = (at: number, since: number): Deadline => {
    const left = (): number => (at + (away - since) - now()) / 1000;
    return { left, passed: () => left() <= 0, after: (seconds) => deadlineAt(at + seconds * 1000, since) };
  };
  return {
    pause: function* (seconds) {
      // sleep() never sets a timer under a second ahead.
      const due = now() + Math.max(1, seconds) * 1000;
      yield* wait(seconds);
      away += Math.max(0, now() - due);
    },
    addAway: (seconds) => {
      away += Math.max(0, seconds) * 1000;
    },
    deadline: (seconds) => deadlineAt(now() + seconds * 1000, away),
  };
}

/**
 * Runs the send → poll → re-send loop of one operation to its end. A wait of 0 reads at once (the begin answered
 * synchronously); a re-send of 0 sends again at once. Throws only what the callbacks throw.
 */
export function* monitor<S, R>(
  context: OrchestrationContext,
  shape: OperationShape<S, R>,
  pause?: Pause,
): Generator<Task, R, unknown> {
  const wait: Pause = pause ?? shape.pause ?? ((seconds) => sleep(context, seconds));
  for (;;) {
    const begun = yield* shape.begin();
    if ("end" in begun) return begun.end;
    let next = begun.wait;
    for (;;) {
      const gate = shape.beforeWait !== undefined ? shape.beforeWait(next) : { wait: next };
      if ("end" in gate) return gate.end;
      if (gate.wait > 0) yield* wait(gate.wait);
      const status = yield* shape.readStatus();
      const failure = shape.readError(status);
      if (failure !== undefined) {
        if ("end" in failure) return failure.end;
        if (failure.resend > 0) yield* wait(failure.resend);
        break;
      }
      const done = shape.isDone(status);
      if (done !== undefined) return done;
      next = shape.nextWait(status);
    }
  }
}
