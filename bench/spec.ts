/** Shapes exchanged between the benchmark entry (bench/run.ts) and the processes it starts, checked with zod. */
import { z } from "zod";
import { OutcomeCountsSchema } from "../src/contracts/remediation";

/** Seconds a VM's three power operations take on Azure at the scenario's nominal latencies (30 + 60 + 60). */
export const NOMINAL_CYCLE_SECONDS = 150;
/** ARM's subscription write bucket: capacity and refill per second (docs/scenario.md, throttling defaults). */
export const WRITE_BUCKET = { capacity: 200, refillPerSecond: 10 } as const;
/** ARM's subscription read bucket, and the VMs one page of a VM listing holds (docs/performance.md). */
export const READ_BUCKET = { capacity: 250, refillPerSecond: 25 } as const;
export const LISTING_PAGE_VMS = 50;

export const FleetCaseSpecSchema = z
  .object({
    label: z.string().min(1),
    vms: z.number().int().min(1),
    seed: z.number().int().min(0),
    /** Remediation options for the run (maxConcurrency and the per-group caps). */
    options: z.record(z.string(), z.unknown()),
    /** Real seconds after which the run is abandoned and reported as timed out. */
    realLimitSeconds: z.number().positive(),
    out: z.string().min(1),
  })
  .strict();
export type FleetCaseSpec = z.output<typeof FleetCaseSpecSchema>;

const Count = z.number().int().nonnegative();

export const ByNameSchema = z.object({
  instances: Count,
  replays: Count,
  maxReplays: Count,
  maxHistory: Count,
  cpuMs: z.number(),
});

export const WaveTimingSchema = z.object({
  wave: z.number().int(),
  canary: z.boolean(),
  resources: Count,
  seconds: z.number(),
  boundSeconds: z.number(),
});

/** One wave's term of the honest bound: the largest of its floors, in seconds. */
export const HonestWaveSchema = z.object({
  wave: z.number().int(),
  canary: z.boolean(),
  resources: Count,
  /** The longer of ceil(full cycles / cap) cycle times and the wave's Azure seconds over the cap's slots. */
  capSeconds: z.number(),
  writeFloorSeconds: z.number(),
  readFloorSeconds: z.number(),
  /** Rounds of the wave's largest availability set under the run's rule (members over the cap, or update domains). */
  setRounds: Count,
  /** The slowest set's least duration under the rule, each member at its own planned steps. */
  setSeconds: z.number(),
  /** The longest one resource of the wave spent in Azure's own operations in the run. */
  slowestSeconds: z.number().optional(),
  boundSeconds: z.number(),
  /** The term at the nominal latencies alone (the bound as measured before 8 December 2026). */
  nominalSeconds: z.number().optional(),
});

/**
 * The bound a run is measured against: the canary (the subnet refresh before it, its cycle, the agents' readiness
 * and its probe) plus, over the waves in order, the largest of each wave's floors (bench/analyse.ts honestBound).
 */
export const HonestBoundSchema = z.object({
  availabilitySetRule: z.enum(["member", "updateDomain"]),
  canarySeconds: z.number(),
  waves: z.array(HonestWaveSchema),
  boundSeconds: z.number(),
  ratio: z.number(),
  /** The bound at the nominal latencies alone, without Azure's own durations in the run. */
  nominalBoundSeconds: z.number().optional(),
  nominalRatio: z.number().optional(),
});
export type HonestBound = z.output<typeof HonestBoundSchema>;

export const FleetMetricsSchema = z.object({
  label: z.string(),
  vms: Count,
  seed: Count,
  maxConcurrency: Count,
  options: z.record(z.string(), z.unknown()),
  status: z.enum(["completed", "timedOut", "error"]),
  runStatus: z.string().nullable(),
  error: z.string().optional(),
  /** The product code measured: HEAD, and whether orchestrations/activities/src had uncommitted changes. */
  code: z.object({ commit: z.string().nullable(), uncommittedChanges: z.boolean() }).optional(),
  /** One-minute load average when the case started (the machine may be shared). */
  loadAverage: z.number().optional(),
  real: z.object({
    seconds: z.number(),
    cpuUserSeconds: z.number(),
    cpuSystemSeconds: z.number(),
    peakRssMiB: z.number(),
  }),
  outcomes: z.object({
    total: Count,
    cycled: Count,
    cycledVms: Count,
    cycledScaleSets: Count,
    cycledFullVms: Count,
    failed: Count,
    skipped: Count,
    failedByReason: z.record(z.string(), Count),
    failedByThrottling: Count,
  }),
  orchestration: z.object({
    instances: Count,
    episodes: Count,
    orchestratorCpuMs: z.number(),
    orchestratorHandlerMs: z.number(),
    episodeMs: z.number(),
    replaysPerCycledVm: z.number(),
    maxHistory: z.object({ events: Count, instanceId: z.string(), name: z.string() }),
    byName: z.record(z.string(), ByNameSchema),
  }),
  arm: z.object({
    requests: Count,
    reads: Count,
    writes: Count,
    deletes: Count,
    throttled: Count,
    beforeFleet: Count,
    perCycledVm: z.number(),
    fleetPerCycledVm: z.number(),
    byOperation: z.record(z.string(), Count),
  }),
  /** Availability sets that had every member down at once (absent in results measured before it was counted). */
  availabilitySets: z.lazy(() => AvailabilitySetsDownSchema).optional(),
  time: z.object({
    simulatedSeconds: z.number(),
    /** N of the bound: resources the run set out to cycle (cycled or failed). */
    cycledForBound: Count,
    concurrencyBoundSeconds: z.number(),
    writeBoundSeconds: z.number(),
    boundSeconds: z.number(),
    ratio: z.number(),
    ratioToWriteBound: z.number(),
    /** The honest bound (absent in results measured before it was computed); boundSeconds above is the old one. */
    honest: HonestBoundSchema.optional(),
    beforeFleetSeconds: z.number(),
    fleetSeconds: z.number(),
    waves: z.array(WaveTimingSchema),
    sumOfWaveBoundsSeconds: z.number(),
    /** Time-weighted mean of resources in their cycle during the fleet phase, and that over the cap. */
    meanInFlight: z.number(),
    utilisation: z.number(),
    perVm: z.object({
      samples: Count,
      meanOperationSeconds: z.number(),
      meanEndToEndSeconds: z.number(),
      meanBeforeFirstOpSeconds: z.number(),
      meanBetweenOpsSeconds: z.number(),
      meanAfterLastOpSeconds: z.number(),
    }),
  }),
});
export type FleetMetrics = z.output<typeof FleetMetricsSchema>;

export const FootprintSchema = z.object({
  /** VMs of the fleet, or of each subscription of a campaign. */
  vms: Count,
  /** A campaign's subscriptions (`simulate --subscriptions N --vms M`); absent for one subscription. */
  subscriptions: Count.optional(),
  command: z.string(),
  status: z.enum(["completed", "timedOut", "error"]),
  exitCode: z.number().int().nullable(),
  error: z.string().optional(),
  realSeconds: z.number(),
  /** Highest sum of VmRSS over the process tree (simulate, tsx, Azurite), sampled. */
  peakTreeRssMiB: z.number(),
  /** Highest VmHWM of any one process of the tree (the kernel's own peak). */
  peakProcessHwmMiB: z.number(),
  samples: Count,
  /** What `port25 simulate --json` reported about its own run. */
  simulatedSeconds: z.number().nullable(),
  armRequests: Count.nullable(),
  runStatus: z.string().nullable(),
  /** The machine's 1-minute load average when the run started and when it ended: real seconds depend on it. */
  loadAverage: z.object({ start: z.number(), end: z.number() }).optional(),
  /** CPU seconds (user + system) of the process tree, summed from each process's last sample. */
  cpuSeconds: z.number().optional(),
});
export type Footprint = z.output<typeof FootprintSchema>;

export const BaselineSpecSchema = z
  .object({
    label: z.string().min(1),
    script: z.enum(["sequential", "allAtOnce"]),
    vms: z.number().int().min(1),
    seed: z.number().int().min(0),
    /** Retries of a throttled call: the SDK's default 3, or more for a script that waits 429s out. */
    maxRetries: z.number().int().min(0).default(3),
    /** Sequential only: cycle the first `sample` targets and scale the time to all of them. */
    sample: z.number().int().min(1).optional(),
    out: z.string().min(1),
  })
  .strict();
export type BaselineSpec = z.output<typeof BaselineSpecSchema>;

/**
 * Availability sets of two or more members, and how many had every member down at the same time; of those, how
 * many had members already down before the run (the run took down the last running ones), which they were, and —
 * the product's runs — how many its plan named beforehand (plan.setOutages). Absent in results measured before.
 */
export const AvailabilitySetsDownSchema = z.object({
  sets: Count,
  fullyDown: Count,
  withMembersDownBefore: Count.optional(),
  fullyDownSets: z.array(z.string()).optional(),
  namedByPlan: Count.optional(),
});
export type AvailabilitySetsDown = z.output<typeof AvailabilitySetsDownSchema>;

export const BaselineMetricsSchema = z.object({
  label: z.string(),
  script: z.enum(["sequential", "allAtOnce"]),
  maxRetries: Count.default(3),
  vms: Count,
  seed: Count,
  /** VMs the script cycled, and how many the fleet holds (they differ for a sample). */
  targets: Count,
  fleetTargets: Count,
  status: z.enum(["completed", "timedOut", "error"]),
  error: z.string().optional(),
  loadAverage: z.number().optional(),
  realSeconds: z.number(),
  simulatedSeconds: z.number(),
  extrapolatedSeconds: z.number().nullable(),
  requests: Count,
  throttled: Count,
  retriedAfter429: Count,
  vmsFailed: Count,
  failedBy: z.record(z.string(), Count),
  /** Targets not running when the script ended. */
  vmsLeftDown: Count,
  availabilitySets: AvailabilitySetsDownSchema,
});
export type BaselineMetrics = z.output<typeof BaselineMetricsSchema>;

export const CampaignCaseSpecSchema = z
  .object({
    label: z.string().min(1),
    subscriptions: z.number().int().min(1),
    vmsPerSubscription: z.number().int().min(1),
    maxConcurrentSubscriptions: z.number().int().min(1),
    seed: z.number().int().min(0),
    realLimitSeconds: z.number().positive(),
    out: z.string().min(1),
  })
  .strict();
export type CampaignCaseSpec = z.output<typeof CampaignCaseSpecSchema>;

export const CampaignMetricsSchema = z.object({
  label: z.string(),
  subscriptions: Count,
  vmsPerSubscription: Count,
  maxConcurrentSubscriptions: Count,
  status: z.enum(["completed", "timedOut", "error"]),
  error: z.string().optional(),
  campaignStatus: z.string().optional(),
  byState: z.record(z.string(), Count).optional(),
  resources: OutcomeCountsSchema.optional(),
  /** Every subscription of the estate is a member exactly once. */
  everySubscriptionOnce: z.boolean().optional(),
  /** Members whose run's counts do not account for every resource of their subscription (or left alone without a reason). */
  subscriptionsUnaccounted: z.array(z.string()).optional(),
  simulatedSeconds: z.number().optional(),
  realSeconds: z.number(),
  cpuSeconds: z.number().optional(),
  peakRssMiB: z.number().optional(),
  /** One-minute load average when the case started (absent in results measured before it was recorded). */
  loadAverage: z.number().optional(),
  arm: z
    .object({ requests: Count, throttled: Count, computeThrottled: Count, writes: Count, maxPerSubscription: Count })
    .optional(),
  orchestration: z
    .object({
      instances: Count,
      maxHistoryEvents: Count,
      maxHistoryInstance: z.string(),
      campaignHistoryEvents: Count,
      episodes: Count,
    })
    .optional(),
});
export type CampaignMetrics = z.output<typeof CampaignMetricsSchema>;
