/** Turns the ARM failures a resource is expected to meet into data; anything else is rethrown. */
import { ensureError, isAzureOperationError } from "../src/errors";
import type { ArmFailure } from "../src/contracts/durable/common";
import { governanceReason } from "../src/contracts/outcome";
import type { ArmGateway } from "../src/azure/gateway";
import { withPacing, type RateBudget } from "../src/azure/pacing";

/**
 * The one way an activity calls ARM: `body` runs with the gateway, and a failure the resource is expected to meet
 * comes back as data (toArmFailure) while anything else is rethrown for the orchestration's activity retry.
 * `onFailure` turns such a failure into the activity's own answer where it means the goal is met.
 */
export function callArm<T>(gateway: ArmGateway, body: (arm: ArmGateway) => Promise<T>): Promise<T | ArmFailure>;
export function callArm<T, F>(
  gateway: ArmGateway,
  body: (arm: ArmGateway) => Promise<T>,
  onFailure: (failure: ArmFailure) => F,
): Promise<T | F>;
export async function callArm<T, F>(
  gateway: ArmGateway,
  body: (arm: ArmGateway) => Promise<T>,
  onFailure?: (failure: ArmFailure) => F,
): Promise<T | F | ArmFailure> {
  try {
    return await body(gateway);
  } catch (e) {
    const failure = toArmFailure(e);
    return onFailure === undefined ? failure : onFailure(failure);
  }
}

/**
 * callArm for an answer after which the orchestration sends another request on the same resource: when ARM's
 * rate-limit headers said a budget is nearly spent (src/azure/pacing.ts), the wait they ask for comes back as
 * `paceSeconds` on the answers `paces` picks, and the orchestration waits that long on its durable timer.
 */
export function callArmPaced<T extends object>(
  gateway: ArmGateway,
  body: (arm: ArmGateway) => Promise<T>,
  paces: (value: T) => boolean = () => true,
  heard?: (budgets: readonly RateBudget[]) => void,
): Promise<T | (T & { paceSeconds: number }) | ArmFailure> {
  return callArm(gateway, async (arm) => {
    const { value, paceSeconds, budgets } = await withPacing(() => body(arm));
    heard?.(budgets);
    return paceSeconds > 0 && paces(value) ? { ...value, paceSeconds } : value;
  });
}

/** ARM says "too many requests" in several ways (SubscriptionRequestsThrottled, TooManyRequests, RetryableError, …). */
const THROTTLE_CODE = /throttl|toomanyrequests|^retryableerror|operationpreempted/i;

/**
 * 429 (or "locked by another operation") → throttled; 409 → conflict, except ScopeLocked (a management lock) and an
 * OperationNotAllowed that names a quota, a policy or an unsupported operation (final: failed); 404 → notFound; any
 * other 4xx (a policy's 403 RequestDisallowedByPolicy among them) → failed.
 * 5xx, socket errors and bugs are rethrown: they are not a verdict on the resource, and the orchestration's
 * activity retry handles them.
 */
export function toArmFailure(error: unknown): ArmFailure {
  const e = ensureError(error);
  if (!isAzureOperationError(e)) throw e;
  const code = e.code;
  const lower = code.toLowerCase();
  const base = {
    code,
    message: e.message,
    statusCode: e.statusCode,
    retryAfterSeconds: e.retryAfterSeconds,
  };
  if (e.statusCode === 429 || THROTTLE_CODE.test(code)) return { status: "throttled", ...base };
  // A management lock (409 ScopeLocked) or a policy deny (403 RequestDisallowedByPolicy): the owner's decision,
  // final at once, never waited out as a conflict.
  if (governanceReason(code) !== undefined) return { status: "failed", ...base };
  // A quota, a policy or an unsupported operation (see src/azure/errors.ts): final now, not after the deadline.
  if (lower === "operationnotallowed" && !e.retryable) return { status: "failed", ...base };
  if (e.statusCode === 409 && !isAllocationCode(code)) return { status: "conflict", ...base };
  if (e.statusCode === 404) return { status: "notFound", ...base };
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return { status: "failed", ...base };
  throw e;
}

/** ARM's codes for "no capacity to place this VM" (start after deallocate can meet them). */
function isAllocationCode(code: string): boolean {
  return /allocation|overconstrained|skunotavailable|capacity/i.test(code);
}
