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
  constructor(
    readonly enabled: boolean,
    config: Record<"reads" | "writes" | "deletes", BucketConfig>,
    now: number,
  ) {
    this.buckets = {
      read: new TokenBucket(config.reads, now),
      write: new TokenBucket(config.writes, now),
      delete: new TokenBucket(config.deletes, now),
    };
  }

  take(kind: RequestKind, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (!this.enabled) return { ok: true };
    return this.buckets[kind].take(now);
  }

  headers(now: number): Record<string, string> {
    return {
      "x-ms-ratelimit-remaining-subscription-reads": String(this.buckets.read.remaining(now)),
      "x-ms-ratelimit-remaining-subscription-writes": String(this.buckets.write.remaining(now)),
      "x-ms-ratelimit-remaining-subscription-deletes": String(this.buckets.delete.remaining(now)),
    };
  }
}
