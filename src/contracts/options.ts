/** Options of a remediation run (start request → orchestration input → planner). */
import { z } from "zod";
import { ArmResourceIdSchema } from "./ids";

/**
 * How a running VM (or a scale set's running instances) is cycled: "powerOffDeallocateStart" (three writes: power
 * off, then deallocate, then start) or "deallocateStart" (two writes: deallocate shuts the machine down and releases
 * its compute in one operation, then start). Stopped machines are unaffected.
 */
export const RunningVmCycleSchema = z.enum(["powerOffDeallocateStart", "deallocateStart"]);
export type RunningVmCycle = z.output<typeof RunningVmCycleSchema>;

/**
 * How the members of one availability set may go down: "member" (the default) — at most
 * maxUnavailablePerAvailabilitySet members at once; "updateDomain" — the members of one update domain together,
 * the set's next domain only once that one is back, as Azure's own planned maintenance takes a set ("only one update
 * domain is rebooted at a time": Learn, "Availability sets overview",
 * https://learn.microsoft.com/azure/virtual-machines/availability-set-overview). The domain is the VM's
 * `instanceView.platformUpdateDomain`; a member whose domain is unknown is cycled alone.
 */
export const AvailabilitySetRuleSchema = z.enum(["member", "updateDomain"]);
export type AvailabilitySetRule = z.output<typeof AvailabilitySetRuleSchema>;

/** Most resources one run can be limited to (onlyResourceIds). */
export const MAX_SELECTED_RESOURCES = 5000;

/** Most resource groups one run can be limited to (resourceGroups). */
export const MAX_SELECTED_RESOURCE_GROUPS = 100;

/**
 * A resource group name as ARM allows it: 1-90 characters, letters, digits, underscores, hyphens, periods and
 * parentheses, not ending in a period (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftresources).
 */
export const ResourceGroupNameSchema = z
  .string()
  .min(1)
  .max(90)
  .regex(/^[-\w.()\p{L}\p{N}]+$/u, "must be a resource group name (letters, digits, _ - . ( ))")
  .refine((s) => !s.endsWith("."), "must not end in a period");

export const RemediationOptionsSchema = z
  .object({
    /** Global cap on resources being cycled at once. */
    maxConcurrency: z.number().int().min(1).max(1000).default(20),
    /** Never more VMs of one availability set down at once. */
    maxUnavailablePerAvailabilitySet: z.number().int().min(1).max(100).default(1),
    /** Members or update domains (see AvailabilitySetRuleSchema); under "updateDomain" the member cap above is not used. */
    availabilitySetRule: AvailabilitySetRuleSchema.default("member"),
    /** Never more members of one flexible scale set down at once. */
    maxUnavailablePerScaleSet: z.number().int().min(1).max(1000).default(5),
    /** The steps of a running VM's cycle (see RunningVmCycleSchema); the default powers it off first. */
    runningVmCycle: RunningVmCycleSchema.default("powerOffDeallocateStart"),
    /** A VM that was stopped (allocated) is deallocated; with this on, it is started and stopped again. */
    restoreStoppedVms: z.boolean().default(false),
    /** "canaryProbe": prove TCP 25 from the canary before the fleet; "attestationOnly": trust the attestation. */
    verification: z.enum(["canaryProbe", "attestationOnly"]).default("canaryProbe"),
    /** Host probed on TCP 25 from the canary (default from the app setting PORT25_PROBE_HOST). */
    probeHost: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.-]+$/, "must be a host name or IPv4 address")
      .optional(),
    /** How many canaries to cycle and probe when none is tagged. */
    canaryCount: z.number().int().min(1).max(10).default(1),
    /** How long to wait for the "approve" event when approval is required. */
    approvalTimeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(24 * 60),
    /** Deadline for one power transition (power off, deallocate, start) before the VM is reported failed. */
    transitionTimeoutMinutes: z.number().int().min(1).max(240).default(30),
    /**
     * How long the run keeps trying to bring back a resource it took down when a later step failed (start again,
     * AllocationFailed retried with backoff) before it reports the resource left down.
     */
    restoreTimeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
    /**
     * How long a canary's probe may wait, from the end of its cycle, for the VM agent and the Network Watcher agent
     * to report ready and for a connectivity check to give a verdict (an `Unknown` / `AgentStopped` answer, or a
     * failed check, is probed again with backoff until then). Agents report minutes after PowerState/running.
     */
    agentReadyTimeoutMinutes: z.number().int().min(1).max(120).default(20),
    /** Refresh VNets with delegated subnets (add and remove a temporary subnet). */
    refreshDelegatedSubnets: z.boolean().default(true),
    /** Go on when the billing property cannot be read (classification "unknown"). */
    forceUnknownBilling: z.boolean().default(false),
    /** Most VMs per lane of a wave (one sub-orchestration each); keeps histories short. */
    batchSize: z.number().int().min(1).max(200).default(100),
    /**
     * Limit the run to these resources (ARM ids, compared case-insensitively); every other resource is skipped
     * with reason "notSelected". Used by re-verification to remediate only the stragglers it found.
     */
    onlyResourceIds: z.array(ArmResourceIdSchema).min(1).max(MAX_SELECTED_RESOURCES).optional(),
    /**
     * Limit the run to the resources of these resource groups (names compared case-insensitively, as ARM does); every
     * other resource is skipped with reason "notSelected". Discovery still reads the whole subscription: a VM's VNet,
     * route table or NAT gateway may sit in another group, and its egress path is judged from them.
     */
    resourceGroups: z.array(ResourceGroupNameSchema).min(1).max(MAX_SELECTED_RESOURCE_GROUPS).optional(),
  })
  .strict();
export type RemediationOptions = z.output<typeof RemediationOptionsSchema>;
export type RemediationOptionsInput = z.input<typeof RemediationOptionsSchema>;

/** Tag names the product reads. */
export const TAGS = {
  skip: "port25-remediation", // value "skip"
  wave: "port25-wave", // integer ≥ 0
  canary: "port25-canary", // "true"
} as const;

/** Prefix of temporary subnets the product creates (leak detection relies on it). */
export const TEMP_SUBNET_PREFIX = "port25-temp-";
