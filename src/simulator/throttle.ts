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

  headers(now: number): Record<string, string> {
    if (this.scope === "tenant")
      return {
        "x-ms-ratelimit-remaining-tenant-reads": String(this.buckets.read.remaining(now)),
        "x-ms-ratelimit-remaining-tenant-writes": String(this.buckets.write.remaining(now)),
      };
    return {
      "x-ms-ratelimit-remaining-subscription-reads": String(this.buckets.read.remaining(now)),
      "x-ms-ratelimit-remaining-subscription-writes": String(this.buckets.write.remaining(now)),
      "x-ms-ratelimit-remaining-subscription-deletes": String(this.buckets.delete.remaining(now)),
    };
  }
}

// ------------------------------------------------------------------ Microsoft.Compute's own policies

/**
 * Compute's published throttling policies (MicrosoftDocs `articles/virtual-machines/compute-throttling-limits.md`):
 * token buckets per region, per resource and per subscription, each request taking one token from every bucket of
 * its policy. A bucket starts full and is refilled once a minute (not continuously): after the burst is spent, a
 * minute's refill is all there is until the next minute.
 */
export const COMPUTE_POLICY_NAMES = [
  "UpdateVM",
  "DeleteVM",
  "LowCostGet",
  "HighCostGet",
  "GetOperation",
  "UpdateVMScaleSet",
  "DeleteVMScaleSet",
  "LowCostGetVMScaleSet",
  "HighCostGetVMScaleSet",
  "GetVMScaleSetVM",
] as const;
export type ComputePolicyName = (typeof COMPUTE_POLICY_NAMES)[number];

export interface MinuteBucketConfig {
  capacity: number;
  refillPerMinute: number;
}
interface PolicyLimits {
  /** Absent where the page says only the subscription's limit applies. */
  resource?: MinuteBucketConfig;
  subscription: MinuteBucketConfig;
}

export const COMPUTE_POLICIES: Readonly<Record<ComputePolicyName, PolicyLimits>> = {
  UpdateVM: { resource: { refillPerMinute: 4, capacity: 12 }, subscription: { refillPerMinute: 500, capacity: 1500 } },
  DeleteVM: { resource: { refillPerMinute: 4, capacity: 12 }, subscription: { refillPerMinute: 500, capacity: 1500 } },
  LowCostGet: { resource: { refillPerMinute: 12, capacity: 36 }, subscription: { refillPerMinute: 8000, capacity: 24000 } },
  HighCostGet: { subscription: { refillPerMinute: 300, capacity: 900 } },
  GetOperation: { resource: { refillPerMinute: 15, capacity: 45 }, subscription: { refillPerMinute: 5000, capacity: 15000 } },
  UpdateVMScaleSet: { resource: { refillPerMinute: 4, capacity: 12 }, subscription: { refillPerMinute: 500, capacity: 1500 } },
  DeleteVMScaleSet: { resource: { refillPerMinute: 4, capacity: 12 }, subscription: { refillPerMinute: 175, capacity: 525 } },
  LowCostGetVMScaleSet: { resource: { refillPerMinute: 12, capacity: 36 }, subscription: { refillPerMinute: 800, capacity: 2400 } },
  HighCostGetVMScaleSet: { resource: { refillPerMinute: 10, capacity: 30 }, subscription: { refillPerMinute: 360, capacity: 1080 } },
  GetVMScaleSetVM: { resource: { refillPerMinute: 12, capacity: 36 }, subscription: { refillPerMinute: 2000, capacity: 6000 } },
};

/** Which policy a Compute request falls under, and whether its resource's own bucket applies (the page's footnotes). */
export interface ComputeCharge {
  policy: ComputePolicyName;
  /** Key of the per-resource bucket (a lower-cased resource id or operation id); absent = subscription only. */
  resourceKey?: string;
  region: string;
}

/** A bucket refilled by `refillPerMinute` tokens at each whole minute since it was created, up to `capacity`. */
export class MinuteBucket {
  private tokens: number;
  private minutes = 0;
  constructor(
    private readonly config: MinuteBucketConfig,
    private readonly createdAt: number,
  ) {
    this.tokens = config.capacity;
  }

  private refill(now: number): void {
    const minutes = Math.floor(Math.max(0, now - this.createdAt) / 60_000);
    if (minutes > this.minutes) {
      this.tokens = Math.min(this.config.capacity, this.tokens + (minutes - this.minutes) * this.config.refillPerMinute);
      this.minutes = minutes;
    }
  }

  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  /** Call only after `available(now) >= 1`. */
  take(): void {
    this.tokens -= 1;
  }

  /** Simulated seconds until the next refill. */
  secondsToRefill(now: number): number {
    const next = this.createdAt + (this.minutes + 1) * 60_000;
    return Math.max(1, Math.ceil((next - now) / 1000));
  }

  get capacity(): number {
    return this.config.capacity;
  }
}

/** Scenario knobs: off, every limit scaled, or single policies replaced. */
export interface ComputeThrottlingConfig {
  enabled: boolean;
  /** Multiplies every capacity and refill (at least 1 token each). */
  scale: number;
  overrides: Partial<Record<ComputePolicyName, { resource?: MinuteBucketConfig | undefined; subscription?: MinuteBucketConfig | undefined }>>;
}

export type ComputeVerdict =
  | { ok: true; headers: Record<string, string> }
  | {
      ok: false;
      headers: Record<string, string>;
      retryAfterSeconds: number;
      /** The exhausted bucket, as the 429's TooManyRequests detail names it. */
      operationGroup: string;
      allowedRequestCount: number;
      measuredRequestCount: number;
      startTime: string;
      endTime: string;
    };

/** The name a bucket has in `x-ms-ratelimit-remaining-resource` and in a 429's `operationGroup`. */
export function computeBucketName(policy: ComputePolicyName, scope: "resource" | "subscription"): string {
  return `${policy}${scope === "resource" ? "Resource" : "SubscriptionMaximum"}`;
}

export class ComputeThrottler {
  private readonly buckets = new Map<string, MinuteBucket>();
  /** Requests each bucket was asked for in its current minute (admitted or not): a 429's measuredRequestCount. */
  private readonly measured = new Map<string, { minute: number; count: number }>();
  constructor(private readonly config: ComputeThrottlingConfig) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  limits(policy: ComputePolicyName): PolicyLimits {
    const base = COMPUTE_POLICIES[policy];
    const o = this.config.overrides[policy];
    const scaled = (c: MinuteBucketConfig): MinuteBucketConfig => ({
      capacity: Math.max(1, Math.round(c.capacity * this.config.scale)),
      refillPerMinute: Math.max(1, Math.round(c.refillPerMinute * this.config.scale)),
    });
    const resource = o?.resource ?? (base.resource === undefined ? undefined : scaled(base.resource));
    return { ...(resource !== undefined ? { resource } : {}), subscription: o?.subscription ?? scaled(base.subscription) };
  }

  private bucket(key: string, config: MinuteBucketConfig, now: number): MinuteBucket {
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = new MinuteBucket(config, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  /**
   * Takes one token from each bucket of the request's policy when every one has a token; otherwise takes none and
   * says which is empty. Headers name every bucket that applied, with its count after this request.
   */
  take(charge: ComputeCharge, now: number): ComputeVerdict {
    const limits = this.limits(charge.policy);
    const region = charge.region.toLowerCase();
    const applied: { name: string; key: string; bucket: MinuteBucket }[] = [];
    if (limits.resource !== undefined && charge.resourceKey !== undefined) {
      const key = `${region}|${charge.policy}|r|${charge.resourceKey}`;
      applied.push({ name: computeBucketName(charge.policy, "resource"), key, bucket: this.bucket(key, limits.resource, now) });
    }
    const subKey = `${region}|${charge.policy}|s`;
    applied.push({ name: computeBucketName(charge.policy, "subscription"), key: subKey, bucket: this.bucket(subKey, limits.subscription, now) });
    const minute = Math.floor(now / 60_000);
    for (const a of applied) {
      const m = this.measured.get(a.key);
      this.measured.set(a.key, m?.minute === minute ? { minute, count: m.count + 1 } : { minute, count: 1 });
    }
    const empty = applied.filter((a) => a.bucket.available(now) < 1);
    if (empty.length === 0) for (const a of applied) a.bucket.take();
    const headers = {
      "x-ms-ratelimit-remaining-resource": applied.map((a) => `Microsoft.Compute/${a.name};${a.bucket.available(now)}`).join(","),
    };
    const first = empty[0];
    if (first === undefined) return { ok: true, headers };
    const retryAfterSeconds = Math.max(...empty.map((a) => a.bucket.secondsToRefill(now)));
    return {
      ok: false,
      headers,
      retryAfterSeconds,
      operationGroup: first.name,
      allowedRequestCount: first.bucket.capacity,
      measuredRequestCount: this.measured.get(first.key)?.count ?? 1,
      startTime: new Date(minute * 60_000).toISOString(),
      endTime: new Date(now + retryAfterSeconds * 1000).toISOString(),
    };
  }
}
