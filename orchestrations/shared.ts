/** Small deterministic helpers shared by the orchestrations (timers, retries, outcome records). */
import * as df from "durable-functions";
import type { z } from "zod";
import type { OrchestrationContext, Task } from "durable-functions";
import { addSeconds } from "../src/contracts/durable/clock";
import type { PlanEntry } from "../src/contracts/plan";
import type { ReasonCode, ResourceOutcome } from "../src/contracts/outcome";
import type { Classification } from "../src/contracts/classification";
import type { ClassifySubscriptionOutput } from "../src/contracts/durable/classifySubscription";
import { backoffSeconds, MAX_RETRY_AFTER_SECONDS, retryWhileBusy } from "./toolkit/retry";
import { clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

// Where the orchestrations have always found them.
export { backoffSeconds, MAX_RETRY_AFTER_SECONDS };

/**
 * Retry for activities that throw (5xx after the SDK's own retries, socket errors): expected per-resource
 * failures come back as data, so what throws is transient or a bug. No retryTimeout: durable-functions hangs
 * when one is exceeded (azure-functions-durable-js#629).
 */
export function transientRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(5_000, 4);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 60_000;
  return retry;
}

/** A durable timer `seconds` from the replay clock. */
export function* sleep(context: OrchestrationContext, seconds: number): Generator<Task, void, unknown> {
  yield context.df.createTimer(addSeconds(context.df.currentUtcDateTime, Math.max(1, seconds)));
}

export function nowIso(context: OrchestrationContext): string {
  return context.df.currentUtcDateTime.toISOString();
}

/** A number in [0, 1) fixed by `seed`: FNV-1a over its characters, so replays get the same value. */
export function spreadFraction(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche so that seeds differing only in their last characters land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 0x1_0000_0000;
}

/** Longest spread added to a wait after throttling or a conflict. */
export const MAX_BUSY_SPREAD_SECONDS = 60;

/**
 * The wait before retrying a throttled or conflicting request: ARM's Retry-After (else 5 s) plus a spread over a
 * window doubling with each attempt up to a minute. Hundreds of callers throttled together otherwise come back
 * together every Retry-After and meet the same empty bucket; spread by a hash of who is waiting (`seed`) they
 * come back at about the rate ARM refills. Pure, so orchestrations replay it identically.
 */
export function busyWaitSeconds(attempt: number, retryAfterSeconds: number | undefined, seed: string): number {
  const base =
    retryAfterSeconds !== undefined && retryAfterSeconds > 0 ? Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) : 5;
  const window = Math.min(MAX_BUSY_SPREAD_SECONDS, 2 ** Math.min(Math.max(1, attempt), 10));
  return base + Math.round(spreadFraction(`${seed}#${attempt}`) * window * 10) / 10;
}

/** The outcome fields every record of a plan entry carries. */
export function outcomeBase(entry: PlanEntry): Pick<ResourceOutcome, "resourceId" | "kind" | "name" | "resourceGroup"> {
  return { resourceId: entry.resourceId, kind: entry.kind, name: entry.name, resourceGroup: entry.resourceGroup };
}

/** A "skipped" outcome for an entry the run did not touch, with why. */
export function skippedOutcome(
  entry: PlanEntry,
  reasonCode: ReasonCode,
  message: string,
  wave?: number,
): ResourceOutcome {
  return {
    ...outcomeBase(entry),
    outcome: "skipped",
    reasonCode,
    message,
    actions: [],
    ...(entry.stateBefore !== undefined ? { stateBefore: entry.stateBefore, stateAfter: entry.stateBefore } : {}),
    wave,
    ...(entry.canary ? { canary: true } : {}),
  };
}

/** A resource a cancel kept from starting: skipped, nothing sent. */
export function cancelledOutcome(entry: PlanEntry, wave?: number): ResourceOutcome {
  return skippedOutcome(entry, "cancelled", "the run was cancelled before this resource was started", wave);
}

/**
 * A "failed" outcome for an entry whose sub-orchestration threw (a bug, or the engine gave up): reported, never
 * silently lost. `endedAt` when the caller knows the time.
 */
export function unexpectedOutcome(
  entry: PlanEntry,
  error: unknown,
  extra: { wave?: number; endedAt?: string } = {},
): ResourceOutcome {
  return {
    ...outcomeBase(entry),
    outcome: "failed",
    reasonCode: "unexpected",
    message: clippedMessage(error, TEXT_LIMITS.message),
    actions: [],
    wave: extra.wave,
    endedAt: extra.endedAt,
    ...(entry.canary ? { canary: true } : {}),
  };
}

/** The verdict when the subscription itself cannot be read: unknown, naming the permission to check first. */
export function unreadableSubscription(why: string): Classification {
  return {
    category: "unknown",
    reason: `the subscription could not be read (${why})`,
    decidedBy: ["subscription=unreadable"],
    missingPermission: "Microsoft.Resources/subscriptions/read",
  };
}

/** Reads that ARM throttles are repeated after its Retry-After (or a backoff), this many times at most. */
export const MAX_READ_ATTEMPTS = 10;

/**
 * Step 1 of both orchestrations, one implementation: classify the subscription, waiting out throttling and
 * conflicts; when it cannot be read, "unknown" with the reason. `read` calls the classifySubscription activity and
 * `wait` sleeps on a durable timer, each the caller's own way (a remediation's are cancel-aware); `stop` ends the
 * waiting early (a cancel).
 */
export function* classifyWithWaits(
  read: () => Generator<Task, z.output<typeof ClassifySubscriptionOutput>, unknown>,
  wait: (seconds: number) => Generator<Task, void, unknown>,
  stop: () => boolean = () => false,
): Generator<Task, Classification, unknown> {
  let why: string;
  try {
    const { last } = yield* retryWhileBusy(read, wait, { maxAttempts: MAX_READ_ATTEMPTS, stop });
    if (last.status === "ok") return last.classification;
    why = `${last.code}: ${last.message}`;
  } catch (e) {
    why = clippedMessage(e, TEXT_LIMITS.detail);
  }
  return unreadableSubscription(why);
}
