/** Microsoft.Compute's own throttling: its published policies' per-minute buckets, its counting windows, and the headers and 429s it answers with. */

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
  LowCostGet: {
    resource: { refillPerMinute: 12, capacity: 36 },
    subscription: { refillPerMinute: 8000, capacity: 24000 },
  },
  HighCostGet: { subscription: { refillPerMinute: 300, capacity: 900 } },
  GetOperation: {
    resource: { refillPerMinute: 15, capacity: 45 },
    subscription: { refillPerMinute: 5000, capacity: 15000 },
  },
  UpdateVMScaleSet: {
    resource: { refillPerMinute: 4, capacity: 12 },
    subscription: { refillPerMinute: 500, capacity: 1500 },
  },
  DeleteVMScaleSet: {
    resource: { refillPerMinute: 4, capacity: 12 },
    subscription: { refillPerMinute: 175, capacity: 525 },
  },
  LowCostGetVMScaleSet: {
    resource: { refillPerMinute: 12, capacity: 36 },
    subscription: { refillPerMinute: 800, capacity: 2400 },
  },
  HighCostGetVMScaleSet: {
    resource: { refillPerMinute: 10, capacity: 30 },
    subscription: { refillPerMinute: 360, capacity: 1080 },
  },
  GetVMScaleSetVM: {
    resource: { refillPerMinute: 12, capacity: 36 },
    subscription: { refillPerMinute: 2000, capacity: 6000 },
  },
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
      this.tokens = Math.min(
        this.config.capacity,
        this.tokens + (minutes - this.minutes) * this.config.refillPerMinute,
      );
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

/**
 * The counting windows real Compute answers name in `x-ms-ratelimit-remaining-resource`, two per policy:
 * `Microsoft.Compute/HighCostGet3Min;133,Microsoft.Compute/HighCostGet30Min;657`,
 * `Microsoft.Compute/PutVM3Min;239,Microsoft.Compute/PutVM30Min;1199`, `…/LowCostGet3Min;3989,…/LowCostGet30Min;31790`
 * (captured in public SDK tests and issue threads: Azure/azure-libraries-for-java#1252, the SupportArticles page
 * `troubleshooting-throttling-errors.md`). A window admits `threeMin` (`thirtyMin`) requests per subscription and
 * region in each fixed 3-minute (30-minute) period, counted from its first request.
 */
export interface WindowLimits {
  threeMin: number;
  thirtyMin: number;
}

/** The name a policy's windows carry on real responses (the captured ones; the policy's own name otherwise). */
export const COMPUTE_WINDOW_NAMES: Readonly<Record<ComputePolicyName, string>> = {
  UpdateVM: "PutVM",
  DeleteVM: "DeleteVM",
  LowCostGet: "LowCostGet",
  HighCostGet: "HighCostGet",
  GetOperation: "GetOperation",
  UpdateVMScaleSet: "UpdateVMScaleSet",
  DeleteVMScaleSet: "DeleteVMScaleSet",
  LowCostGetVMScaleSet: "LowCostGetVMScaleSet",
  HighCostGetVMScaleSet: "HighCostGetVMScaleSet",
  GetVMScaleSetVM: "GetVMScaleSetVM",
};

/**
 * The Retry-After of a 429 when a 30-minute window is spent: at most 1,200 s, the value of the documented example
 * (SupportArticles `troubleshooting-throttling-errors.md`); a client that comes back before the window ends is
 * refused again with the time still left.
 */
export const THIRTY_MIN_RETRY_AFTER_CAP_SECONDS = 1200;

/** Which entries Compute answers carry: the windows real responses show, the page's buckets, or both. */
export type ComputeHeaderForm = "windows" | "buckets" | "both";

/** Scenario knobs: off, every limit scaled, or single policies replaced. */
export interface ComputeThrottlingConfig {
  enabled: boolean;
  /** Multiplies every capacity and refill (at least 1 token each). */
  scale: number;
  overrides: Partial<
    Record<
      ComputePolicyName,
      { resource?: MinuteBucketConfig | undefined; subscription?: MinuteBucketConfig | undefined }
    >
  >;
  /** Per-policy window limits; a policy not named gets windowsOf(its subscription bucket). */
  windows?:
    Partial<Record<ComputePolicyName, { threeMin?: number | undefined; thirtyMin?: number | undefined }>> | undefined;
  header?: ComputeHeaderForm | undefined;
}

/**
 * Default windows: the most the policy's subscription bucket can admit in 3 and in 30 minutes (burst plus a refill
 * a minute), so that by default the windows only report and the page's buckets decide. Older subscriptions show
 * far tighter windows (PutVM3Min 240, PutVM30Min 1200 in the captures): set them with `windows`.
 */
export function windowsOf(subscription: MinuteBucketConfig): WindowLimits {
  return {
    threeMin: subscription.capacity + 3 * subscription.refillPerMinute,
    thirtyMin: subscription.capacity + 30 * subscription.refillPerMinute,
  };
}

/** A fixed counting window: `limit` requests per `lengthMs`, periods counted from the first request. */
class CountingWindow {
  private period = 0;
  private count = 0;
  constructor(
    readonly limit: number,
    readonly lengthMs: number,
    private readonly createdAt: number,
  ) {}

  private roll(now: number): void {
    const period = Math.floor(Math.max(0, now - this.createdAt) / this.lengthMs);
    if (period !== this.period) {
      this.period = period;
      this.count = 0;
    }
  }

  available(now: number): number {
    this.roll(now);
    return Math.max(0, this.limit - this.count);
  }

  take(): void {
    this.count += 1;
  }

  startOf(now: number): number {
    this.roll(now);
    return this.createdAt + this.period * this.lengthMs;
  }

  secondsToEnd(now: number): number {
    return Math.max(1, Math.ceil((this.startOf(now) + this.lengthMs - now) / 1000));
  }
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
  private readonly windowMap = new Map<string, CountingWindow>();
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
    return {
      ...(resource !== undefined ? { resource } : {}),
      subscription: o?.subscription ?? scaled(base.subscription),
    };
  }

  windowLimits(policy: ComputePolicyName): WindowLimits {
    const base = windowsOf(this.limits(policy).subscription);
    const o = this.config.windows?.[policy];
    return { threeMin: o?.threeMin ?? base.threeMin, thirtyMin: o?.thirtyMin ?? base.thirtyMin };
  }

  private window(key: string, limit: number, lengthMs: number, now: number): CountingWindow {
    let w = this.windowMap.get(key);
    if (w === undefined) {
      w = new CountingWindow(limit, lengthMs, now);
      this.windowMap.set(key, w);
    }
    return w;
  }

  private bucket(key: string, config: MinuteBucketConfig, now: number): MinuteBucket {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.sweepAt) this.sweep(now);
      b = new MinuteBucket(config, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Bucket count at which the next sweep runs: twice what the last one kept, so sweeps cost O(1) per request. */
  private sweepAt = 1024;

  /**
   * Forgets the buckets that are full again, and counts of minutes gone by: one bucket per VM would otherwise stay
   * for the whole run. A full bucket made afresh at its next request holds the same tokens, and its first refill
   * comes a whole minute after that request, never sooner than the old one's would: no answer gets kinder.
   */
  private sweep(now: number): void {
    const minute = Math.floor(now / 60_000);
    for (const [key, b] of this.buckets) if (b.available(now) >= b.capacity) this.buckets.delete(key);
    for (const [key, m] of this.measured) if (m.minute !== minute) this.measured.delete(key);
    this.sweepAt = Math.max(1024, 2 * this.buckets.size);
  }

  /** Buckets held now (per-resource ones come and go; for tests of what the simulator retains). */
  get bucketCount(): number {
    return this.buckets.size;
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
      applied.push({
        name: computeBucketName(charge.policy, "resource"),
        key,
        bucket: this.bucket(key, limits.resource, now),
      });
    }
    const subKey = `${region}|${charge.policy}|s`;
    applied.push({
      name: computeBucketName(charge.policy, "subscription"),
      key: subKey,
      bucket: this.bucket(subKey, limits.subscription, now),
    });
    const wl = this.windowLimits(charge.policy);
    const windowName = COMPUTE_WINDOW_NAMES[charge.policy];
    const windows = [
      { name: `${windowName}3Min`, window: this.window(`${region}|${charge.policy}|w3`, wl.threeMin, 3 * 60_000, now) },
      {
        name: `${windowName}30Min`,
        window: this.window(`${region}|${charge.policy}|w30`, wl.thirtyMin, 30 * 60_000, now),
      },
    ];
    const minute = Math.floor(now / 60_000);
    for (const a of applied) {
      const m = this.measured.get(a.key);
      this.measured.set(a.key, m?.minute === minute ? { minute, count: m.count + 1 } : { minute, count: 1 });
    }
    const empty = applied.filter((a) => a.bucket.available(now) < 1);
    const spent = windows.filter((w) => w.window.available(now) < 1);
    if (empty.length === 0 && spent.length === 0) {
      for (const a of applied) a.bucket.take();
      for (const w of windows) w.window.take();
    }
    const form = this.config.header ?? "both";
    const entries = [
      ...(form === "buckets" ? [] : windows.map((w) => `Microsoft.Compute/${w.name};${w.window.available(now)}`)),
      ...(form === "windows" ? [] : applied.map((a) => `Microsoft.Compute/${a.name};${a.bucket.available(now)}`)),
    ];
    const headers = { "x-ms-ratelimit-remaining-resource": entries.join(",") };
    // A spent window names itself in the 429; the 30-minute one asks for the longest wait (capped as documented).
    const longWindow = spent.find((w) => w.name.endsWith("30Min")) ?? spent[0];
    if (longWindow !== undefined) {
      const toEnd = longWindow.window.secondsToEnd(now);
      const retryAfterSeconds = longWindow.name.endsWith("30Min")
        ? Math.min(THIRTY_MIN_RETRY_AFTER_CAP_SECONDS, toEnd)
        : toEnd;
      return {
        ok: false,
        headers,
        retryAfterSeconds: Math.max(retryAfterSeconds, ...empty.map((a) => a.bucket.secondsToRefill(now))),
        operationGroup: longWindow.name,
        allowedRequestCount: longWindow.window.limit,
        measuredRequestCount: longWindow.window.limit + 1,
        startTime: new Date(longWindow.window.startOf(now)).toISOString(),
        endTime: new Date(longWindow.window.startOf(now) + longWindow.window.lengthMs).toISOString(),
      };
    }
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
