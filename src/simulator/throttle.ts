/** ARM's per-subscription token buckets (reads, writes, deletes), refilled in simulated time. */
import type { RequestKind } from "./faults";

export interface BucketConfig {
  capacity: number;
  refillPerSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly config: BucketConfig,
    now: number,
  ) {
    this.tokens = config.capacity;
    this.last = now;
  }

  private refill(now: number): void {
    // A clock that goes backwards (a test rewinding) must not drain the bucket.
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.config.capacity, this.tokens + elapsed * this.config.refillPerSecond);
    this.last = Math.max(this.last, now);
  }

  /** Takes one token; when none is left says how many simulated seconds until one is. */
  take(now: number): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number } {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.config.refillPerSecond)) };
  }

  remaining(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }
}

export class Throttler {
  private readonly buckets: Record<RequestKind, TokenBucket>;
  /**
   * A subscription's buckets (reads, writes, deletes), or the tenant's (reads and writes: a tenant-level delete
   * draws on the writes bucket), each named in its own `x-ms-ratelimit-remaining-<scope>-*` headers.
   */
  constructor(
    readonly enabled: boolean,
    config: Record<"reads" | "writes", BucketConfig> & { deletes?: BucketConfig },
    now: number,
    readonly scope: "subscription" | "tenant" = "subscription",
  ) {
    const writes = new TokenBucket(config.writes, now);
    this.buckets = {
      read: new TokenBucket(config.reads, now),
      write: writes,
      delete: config.deletes === undefined ? writes : new TokenBucket(config.deletes, now),
    };
  }

  take(kind: RequestKind, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (!this.enabled) return { ok: true };
    return this.buckets[kind].take(now);
  }

  /**
   * The remaining count of the bucket the request drew on, and only that one: ARM returns `…-reads` on read
   * operations, `…-writes` on writes and `…-deletes` on deletes (Learn, "Understand how Azure Resource Manager
   * throttles requests", "Remaining requests"); the tenant's scope has no deletes header.
   */
  headers(now: number, kind: RequestKind): Record<string, string> {
    const name = kind === "read" ? "reads" : kind === "write" ? "writes" : "deletes";
    if (this.scope === "tenant")
      return kind === "delete"
        ? {}
        : { [`x-ms-ratelimit-remaining-tenant-${name}`]: String(this.buckets[kind].remaining(now)) };
    return { [`x-ms-ratelimit-remaining-subscription-${name}`]: String(this.buckets[kind].remaining(now)) };
  }
}
