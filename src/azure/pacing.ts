/**
 * Pacing from ARM's rate-limit headers instead of waiting for 429s. Every response's
 * `x-ms-ratelimit-remaining-resource` (Microsoft.Compute's buckets: `Microsoft.Compute/<bucket>;<count>`, one
 * entry per policy that applied) and `x-ms-ratelimit-remaining-subscription-*` (ARM's own buckets) is read by a
 * pipeline policy on every client. An activity that wraps its ARM calls in `withPacing` learns how long to wait
 * before the next request on the same resource; it never sleeps itself: the orchestration waits on a durable timer.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { z } from "zod";
import type { HeaderSource } from "./errors";
import { LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS } from "../contracts/azure";

export const PACING_POLICY_NAME = "port25RateLimitPacingPolicy";

/** One bucket's remaining count, as a response stated it. */
export interface RateBudget {
  /** `Microsoft.Compute/LowCostGetResource`, `Microsoft.Compute/PutVM30Min`, `subscription-reads`, … */
  bucket: string;
  remaining: number;
  /**
   * Compute's token buckets refill once a minute; ARM's subscription buckets every second; Compute's counting
   * windows (`…3Min`, `…30Min`) allow `remaining` more requests until the window ends.
   */
  refill: "minute" | "second" | "window";
  /** A window's length in seconds (`…3Min` 180, `…30Min` 1800). */
  windowSeconds?: number;
}

/**
 * At or below this many tokens a Compute bucket is treated as spent: the next request on the resource waits for
 * the bucket's next refill, which Compute grants once a minute.
 */
const COMPUTE_LOW_WATER = 1;
const COMPUTE_REFILL_SECONDS = 60;
/** At or below this many tokens ARM's subscription bucket is treated as spent; it refills every second. */
const SUBSCRIPTION_LOW_WATER = 5;
const SUBSCRIPTION_PACE_SECONDS = 5;

/**
 * A window's pace: its remaining requests spread over its length, asked for only once that spacing is at least
 * this long (a window with plenty left paces nothing), and never longer than the longest documented Retry-After
 * (a 429 then says exactly how long).
 */
const WINDOW_PACE_FLOOR_SECONDS = 10;
export { LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS };

const ComputeEntrySchema = z.object({
  bucket: z.string().regex(/^[A-Za-z0-9.]+\/[A-Za-z0-9]+$/),
  remaining: z.coerce.number().int().nonnegative(),
});
const CountSchema = z.coerce.number().int().nonnegative();

/**
 * Both forms Compute answers in → budgets: the token buckets of its published policies
 * (`Microsoft.Compute/LowCostGetResource;35,Microsoft.Compute/LowCostGetSubscriptionMaximum;23999`) and the two
 * counting windows real responses carry per policy (`Microsoft.Compute/HighCostGet3Min;133,Microsoft.Compute/HighCostGet30Min;657`,
 * `PutVM3Min` / `PutVM30Min`, `GetOperation3Min` …; docs/architecture.md, "Azure's answers"). Malformed entries are skipped.
 */
export function parseRemainingResource(value: string | undefined): RateBudget[] {
  if (value === undefined || value.trim() === "") return [];
  const out: RateBudget[] = [];
  for (const entry of value.split(",")) {
    const [bucket, count] = entry.trim().split(";");
    const parsed = ComputeEntrySchema.safeParse({
      bucket: bucket?.trim(),
      remaining: count?.trim() === "" ? undefined : count?.trim(),
    });
    if (!parsed.success) continue;
    const window = /(\d+)Min$/.exec(parsed.data.bucket);
    const minutes = window?.[1] === undefined ? undefined : Number(window[1]);
    out.push(
      minutes !== undefined && minutes > 0
        ? { ...parsed.data, refill: "window", windowSeconds: minutes * 60 }
        : { ...parsed.data, refill: "minute" },
    );
  }
  return out;
}

const SUBSCRIPTION_HEADERS = ["reads", "writes", "deletes"] as const;

/** Every budget a response states: Compute's per-policy buckets and ARM's subscription buckets. */
export function budgetsFromHeaders(headers: HeaderSource): RateBudget[] {
  const out = parseRemainingResource(headers.get("x-ms-ratelimit-remaining-resource"));
  for (const kind of SUBSCRIPTION_HEADERS) {
    const raw = headers.get(`x-ms-ratelimit-remaining-subscription-${kind}`);
    if (raw === undefined || raw.trim() === "") continue;
    const parsed = CountSchema.safeParse(raw.trim());
    if (parsed.success) out.push({ bucket: `subscription-${kind}`, remaining: parsed.data, refill: "second" });
  }
  return out;
}

/**
 * The spacing a counting window asks for: its length over the requests it still allows (so the tighter of a
 * policy's 3- and 30-minute windows decides: 133 left of 3 minutes is 1.4 s apart, 20 left of 30 minutes 86 s),
 * 0 while that is under WINDOW_PACE_FLOOR_SECONDS, at most LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS.
 */
function windowPaceSeconds(remaining: number, windowSeconds: number): number {
  const spacing = Math.ceil(windowSeconds / Math.max(1, remaining + 1));
  if (spacing < WINDOW_PACE_FLOOR_SECONDS) return 0;
  return Math.min(spacing, LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS);
}

/** Seconds to wait before the next request the budgets cover: 0 while none is nearly spent; the tightest decides. */
export function paceSecondsFor(budgets: readonly RateBudget[]): number {
  let pace = 0;
  for (const b of budgets) {
    if (b.refill === "minute" && b.remaining <= COMPUTE_LOW_WATER) pace = Math.max(pace, COMPUTE_REFILL_SECONDS);
    if (b.refill === "second" && b.remaining <= SUBSCRIPTION_LOW_WATER)
      pace = Math.max(pace, SUBSCRIPTION_PACE_SECONDS);
    if (b.refill === "window" && b.windowSeconds !== undefined)
      pace = Math.max(pace, windowPaceSeconds(b.remaining, b.windowSeconds));
  }
  return pace;
}

interface Recorder {
  paceSeconds: number;
  budgets: RateBudget[];
}
const current = new AsyncLocalStorage<Recorder>();

/**
 * Runs `fn` and returns what it returned with the pace every response it caused asks for (the largest), and the
 * budgets the last response stated. Responses outside any `withPacing` are not recorded.
 */
export async function withPacing<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; paceSeconds: number; budgets: RateBudget[] }> {
  const recorder: Recorder = { paceSeconds: 0, budgets: [] };
  const value = await current.run(recorder, fn);
  return { value, paceSeconds: recorder.paceSeconds, budgets: recorder.budgets };
}

/** Records the budgets of every response (retries included) into the enclosing `withPacing`. */
export function pacingPolicy(): PipelinePolicy {
  return {
    name: PACING_POLICY_NAME,
    async sendRequest(request, next) {
      const response = await next(request);
      const recorder = current.getStore();
      if (recorder !== undefined) {
        const budgets = budgetsFromHeaders(response.headers);
        recorder.budgets = budgets;
        recorder.paceSeconds = Math.max(recorder.paceSeconds, paceSecondsFor(budgets));
      }
      return response;
    },
  };
}
