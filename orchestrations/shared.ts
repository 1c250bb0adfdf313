/** Small deterministic helpers shared by the orchestrations (timers, retries, outcome records). */
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { addSeconds } from "../src/contracts/functions/clock";
import type { PlanEntry } from "../src/contracts/plan";
import type { ReasonCode, ResourceOutcome } from "../src/contracts/outcome";

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

/** Exponential backoff (10 s, 20 s, 40 s … capped at 5 min), or ARM's Retry-After when it gave one. */
export function backoffSeconds(attempt: number, retryAfterSeconds: number | undefined): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) return Math.min(retryAfterSeconds, 600);
  return Math.min(10 * 2 ** Math.max(0, attempt - 1), 300);
}

/** The outcome fields every record of a plan entry carries. */
export function outcomeBase(entry: PlanEntry): Pick<ResourceOutcome, "resourceId" | "kind" | "name" | "resourceGroup"> {
  return { resourceId: entry.resourceId, kind: entry.kind, name: entry.name, resourceGroup: entry.resourceGroup };
}

/** A "skipped" outcome for an entry the run did not touch, with why. */
export function skippedOutcome(entry: PlanEntry, reasonCode: ReasonCode, message: string, wave?: number): ResourceOutcome {
  return {
    ...outcomeBase(entry),
    outcome: "skipped",
    reasonCode,
    message,
    actions: [],
    ...(entry.stateBefore !== undefined ? { stateBefore: entry.stateBefore, stateAfter: entry.stateBefore } : {}),
    ...(wave !== undefined ? { wave } : {}),
    ...(entry.canary ? { canary: true } : {}),
  };
}
