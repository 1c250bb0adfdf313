/**
 * A worker's view of ARM's subscription write bucket (200 tokens, 10 more a second; Learn, "Understand how Azure
 * Resource Manager throttles requests"), so that a write the bucket cannot pay for waits without being sent rather
 * than being sent to meet a 429. The view is what `x-ms-ratelimit-remaining-subscription-writes` said on this
 * worker's own answers, refilled at the documented rate between them, less the writes taken since; it is never more
 * hopeful than ARM's last word. Other workers and other writers of the subscription spend the bucket too: their
 * writes show in the next answer's count, and a 429 still comes back as ARM sent it.
 *
 * Times are the callers' (an orchestration's replay-safe clock, passed in), as in fleetObserver.ts, so the same rules
 * hold under a virtual clock.
 */
import { tryParseArmResourceId } from "../contracts/ids";
import type { RateBudget } from "./pacing";
import { WRITE_BUCKET_CAPACITY as CAPACITY, WRITE_REFILL_PER_SECOND as REFILL_PER_SECOND } from "../domain/sendPace";

/** Tokens left alone: the subscription's other writers (its owners' deployments) keep a few. */
const KEEP = 5;

interface View {
  tokens: number;
  /** Caller time (epoch ms) the count stands at. */
  at: number;
}

export class WriteBudget {
  private readonly views = new Map<string, View>();

  /**
   * Takes a token for a write on `resourceId` at caller time `at`: undefined when the write may go, else the seconds
   * until the bucket has refilled enough for it. Without a word from ARM yet, every write may go.
   */
  take(resourceId: string, at: number): number | undefined {
    const view = this.views.get(subscriptionOf(resourceId));
    if (view === undefined) return undefined;
    refill(view, at);
    if (view.tokens < KEEP + 1) return Math.max(1, Math.ceil((KEEP + 1 - view.tokens) / REFILL_PER_SECOND));
    view.tokens -= 1;
    return undefined;
  }

  /** A token taken for a write that did not leave after all (the state read showed nothing to send). */
  giveBack(resourceId: string): void {
    const view = this.views.get(subscriptionOf(resourceId));
    if (view !== undefined) view.tokens = Math.min(CAPACITY, view.tokens + 1);
  }

  /** What an answer to a request on `resourceId` at caller time `at` said of the write bucket, if anything. */
  heard(resourceId: string, at: number, budgets: readonly RateBudget[]): void {
    const writes = budgets.find((b) => b.bucket === "subscription-writes");
    if (writes !== undefined) this.remaining(resourceId, at, writes.remaining);
  }

  /** ARM's count of writes left at caller time `at` (0 after a 429). */
  remaining(resourceId: string, at: number, count: number): void {
    const key = subscriptionOf(resourceId);
    const view = this.views.get(key);
    if (view === undefined) {
      this.views.set(key, { tokens: count, at });
      return;
    }
    refill(view, at);
    view.tokens = Math.min(view.tokens, count);
  }
}

function refill(view: View, at: number): void {
  if (at <= view.at) return;
  view.tokens = Math.min(CAPACITY, view.tokens + ((at - view.at) / 1000) * REFILL_PER_SECOND);
  view.at = at;
}

function subscriptionOf(resourceId: string): string {
  const id = tryParseArmResourceId(resourceId);
  return (typeof id === "string" ? resourceId : id.subscriptionId).toLowerCase();
}

const byGateway = new WeakMap<object, WriteBudget>();

/** The one view of every activity built on `gateway` (one per worker). */
export function writeBudgetOf(gateway: object): WriteBudget {
  let budget = byGateway.get(gateway);
  if (budget === undefined) {
    budget = new WriteBudget();
    byGateway.set(gateway, budget);
  }
  return budget;
}
