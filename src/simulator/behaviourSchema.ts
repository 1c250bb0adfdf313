/** The simulator's behaviour, as the scenario sets it: latencies and jitter, throttling, guest agents, write conflicts, response shapes, faults and denied operations. */
import { z } from "zod";
import { COMPUTE_POLICY_NAMES } from "./computeThrottle";
import { FaultSpecSchema, OperationNameSchema } from "./faults";
import { Iso } from "./scenarioResources";
import { ResponseShapesSchema } from "./shapes";

const Seconds = z.number().nonnegative();
export const BucketSchema = z
  .object({ capacity: z.number().positive(), refillPerSecond: z.number().positive() })
  .strict();
const MinuteBucketSchema = z
  .object({ capacity: z.number().int().positive(), refillPerMinute: z.number().int().positive() })
  .strict();

export const BehaviourSchema = z
  .object({
    /** Simulated seconds each long-running operation takes (per VM or instance). */
    latencies: z
      .object({
        powerOff: Seconds.default(30),
        deallocate: Seconds.default(60),
        start: Seconds.default(60),
        subnetCreate: Seconds.default(10),
        subnetDelete: Seconds.default(10),
        connectivityCheck: Seconds.default(20),
        effectiveRouteTable: Seconds.default(10),
        /** An owner's VM delete (UNVERIFIED: how long Azure takes; the VM is marked for deletion meanwhile). */
        delete: Seconds.default(60),
      })
      .strict()
      .prefault({}),
    /** Relative jitter on every latency: 0.2 means ±20 %. */
    jitter: z.number().min(0).max(1).default(0.2),
    pageSize: z.number().int().min(1).max(1000).default(100),
    /** Simulated seconds per real second when the simulator keeps its own clock. */
    timeScale: z.number().positive().default(1),
    /** Simulated time at start when the simulator keeps its own clock (default: now). */
    startTime: Iso.optional(),
    throttling: z
      .object({
        enabled: z.boolean().default(true),
        reads: BucketSchema.default({ capacity: 250, refillPerSecond: 25 }),
        writes: BucketSchema.default({ capacity: 200, refillPerSecond: 10 }),
        deletes: BucketSchema.default({ capacity: 200, refillPerSecond: 10 }),
      })
      .strict()
      .prefault({}),
    /**
     * Microsoft.Compute's own throttling (compute-throttling-limits.md), on top of `throttling`: per region, per
     * resource and per subscription token buckets per policy, refilled once a minute. `scale` multiplies every
     * published limit; `overrides` replaces single buckets (e.g. a tight per-VM budget in a test).
     */
    computeThrottling: z
      .object({
        enabled: z.boolean().default(true),
        scale: z.number().positive().default(1),
        overrides: z
          .partialRecord(
            z.enum(COMPUTE_POLICY_NAMES),
            z.object({ resource: MinuteBucketSchema.optional(), subscription: MinuteBucketSchema.optional() }).strict(),
          )
          .default({}),
        /** The 3- and 30-minute windows of single policies (requests per subscription and region); computeThrottle.ts. */
        windows: z
          .partialRecord(
            z.enum(COMPUTE_POLICY_NAMES),
            z
              .object({ threeMin: z.number().int().min(1).optional(), thirtyMin: z.number().int().min(1).optional() })
              .strict(),
          )
          .default({}),
        /** Entries of x-ms-ratelimit-remaining-resource: the windows real answers show, the page's buckets, or both. */
        header: z.enum(["windows", "buckets", "both"]).default("both"),
      })
      .strict()
      .prefault({}),
    /**
     * Guest agents after a start: the VM agent reports Ready `afterStartSeconds` after PowerState/running, its
     * extensions (the Network Watcher agent) `extensionsAfterAgentSeconds` later (both ± jitter). Until then the
     * instance view says Not Ready and a connectivity check from the VM answers `checkAnswer`: "unknown"
     * (Unknown with an AgentStopped issue), "failed" (the operation fails) or "either".
     */
    agentReady: z
      .object({
        afterStartSeconds: Seconds.default(180),
        extensionsAfterAgentSeconds: Seconds.default(30),
        /** A check can still find the agent stopped this long after its extension reports provisioned. */
        checksAfterExtensionsSeconds: Seconds.default(0),
        checkAnswer: z.enum(["unknown", "failed", "either"]).default("either"),
      })
      .strict()
      .prefault({}),
    /**
     * A start from deallocated reads `PowerState/stopped` for `seconds`, `afterSeconds` into the start (Learn "States
     * and billing status of Azure Virtual Machines": the Stopped state "might also be observed briefly ... while
     * starting a VM from Stopped (Deallocated) state"); only while the start is still running.
     */
    stoppedWhileStarting: z
      .object({ afterSeconds: Seconds.default(10), seconds: Seconds.default(10) })
      .strict()
      .prefault({}),
    /**
     * The share of VMs a statusOnly=true listing of the subscription gives without a power state (Learn "States and
     * billing status": "in some rare situations, the power state may not [be] available"), per VM and listing.
     */
    listingPowerStateMissing: z.number().min(0).max(1).default(0.01),
    /** What a second write on a VNet gets while one is in flight. */
    vnetWriteConflict: z.enum(["409", "429", "either"]).default("either"),
    /**
     * What a power operation on a VM gets while one of another kind runs: refused with 409 OperationNotAllowed ("since another operation is in progress"),
     * or it preempts the running one, which ends Failed with OperationPreempted while the newer one proceeds
     * (docs/architecture.md, "Azure's answers"; Azure/azure-sdk-for-java#1783, Azure/azure-sdk-for-python#5167), or either (varied per VM and
     * moment). Owners' actions (actors) meet the same rule.
     */
    powerConflict: z.enum(["409", "preempt", "either"]).default("409"),
    /**
     * The status a preempted operation's Azure-AsyncOperation URL ends with: `Canceled` or `Failed` (each with
     * `OperationPreempted`; both reported, docs/architecture.md "Azure's answers"), or either (by a hash of the operation).
     */
    preemptedStatus: z.enum(["Failed", "Canceled", "either"]).default("either"),
    /** Answers where ARM allows several shapes: varied per request (seeded) unless pinned (shapes.ts). */
    responseShapes: ResponseShapesSchema.prefault({}),
    faults: z.array(FaultSpecSchema).default([]),
    /**
     * Operations the product's role is not granted: ARM answers 403 AuthorizationFailed, naming the action where the
     * simulator knows it (server.ts). For a role assigned without an action the product needs.
     */
    deniedOperations: z.array(OperationNameSchema).default([]),
  })
  .strict();
