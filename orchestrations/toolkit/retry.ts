/**
 * Reading again what ARM answered throttled (429) or in conflict (409), after its Retry-After or a backoff, a
 * bounded number of times. ARM sends Retry-After on 429 and asks callers to wait at least that long
 * (Learn, "Understand how Azure Resource Manager throttles requests"); a request is never sent again before it.
 */
import type { Task } from "durable-functions";

/**
 * The longest Retry-After honoured as given: Compute's documented 429 example asks for 1,200 s, and a 30-minute
 * window can take up to 1,800 s to end (SupportArticles `troubleshooting-throttling-errors.md`). A request is never
 * sent again before the Retry-After it met; only an absurd value is cut to this.
 */
export const MAX_RETRY_AFTER_SECONDS = 1800;

/** Exponential backoff (10 s, 20 s, 40 s … capped at 5 min), or ARM's Retry-After when it gave one. */
export function backoffSeconds(attempt: number, retryAfterSeconds: number | undefined): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds > 0)
    return Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
  return Math.min(10 * 2 ** Math.max(0, attempt - 1), 300);
}

/** What an activity answers when ARM asked it to come back later. */
export interface Answer {
  status: string;
  retryAfterSeconds?: number | undefined;
}

/** Whether ARM asked to come back later (throttled, or a conflicting operation in progress). */
export function isBusy(answer: Answer): boolean {
  return answer.status === "throttled" || answer.status === "conflict";
}

export interface Retried<T> {
  /** The last answer: not busy (ok, or a failure that waiting does not cure), or still busy when the attempts ran out. */
  last: T;
  attempts: number;
}

/**
 * Reads with `read` until the answer is not busy, waiting `backoffSeconds` with `wait` (a durable timer, the
 * caller's own way: a cancel-aware one wakes on a cancel) between attempts; at most `maxAttempts` reads, and none
 * after `stop()` (a cancel) says to stop waiting.
 */
export function* retryWhileBusy<T extends Answer>(
  read: () => Generator<Task, T, unknown>,
  wait: (seconds: number) => Generator<Task, void, unknown>,
  options: { maxAttempts: number; stop?: () => boolean },
): Generator<Task, Retried<T>, unknown> {
  for (let attempt = 1; ; attempt++) {
    const last = yield* read();
    if (!isBusy(last) || attempt >= options.maxAttempts || options.stop?.() === true)
      return { last, attempts: attempt };
    yield* wait(backoffSeconds(attempt, last.retryAfterSeconds));
  }
}
