/** The plan: one entry per discovered resource, and the waves the actionable ones run in. */
import { z } from "zod";
import { PowerStateSchema } from "./power";
import { ReasonCodeSchema, ResourceKindSchema } from "./outcome";
import { AvailabilitySetRuleSchema, RunningVmCycleSchema } from "./options";
import { EgressPathSchema } from "./egress";

export const PowerStepSchema = z.enum(["powerOff", "deallocate", "start"]);
export type PowerStep = z.output<typeof PowerStepSchema>;

export const PlanEntrySchema = z.object({
  resourceId: z.string(),
  kind: ResourceKindSchema,
  name: z.string(),
  resourceGroup: z.string(),
  location: z.string(),
  /** "cycle" for VMs and scale sets (steps say which), "refreshSubnet" for VNets, "skip" otherwise. */
  action: z.enum(["cycle", "refreshSubnet", "skip"]),
  /** Power steps in order, e.g. running → powerOff, deallocate, start; stopped → deallocate. */
  steps: z.array(PowerStepSchema).default([]),
  /** The state the resource should end in. */
  targetState: PowerStateSchema.optional(),
  stateBefore: z.union([PowerStateSchema, z.string()]).optional(),
  skipReason: ReasonCodeSchema.optional(),
  skipMessage: z.string().optional(),
  /** Grouping keys for availability caps. */
  availabilitySetId: z.string().optional(),
  flexScaleSetId: z.string().optional(),
  zone: z.string().optional(),
  /** VMs in an availability set: the update domain discovery read (instanceView.platformUpdateDomain). */
  updateDomain: z.number().int().min(0).optional(),
  /** Why the run's availability-set rule treats this entry differently (e.g. its update domain is unknown). */
  availabilityNote: z.string().optional(),
  /** Wave tag value, if tagged. */
  waveTag: z.number().int().optional(),
  canary: z.boolean().default(false),
  /** Uniform scale sets: instance ids to cycle (those running) and to deallocate (those stopped). */
  instanceIds: z.array(z.string()).optional(),
  stoppedInstanceIds: z.array(z.string()).optional(),
  /** VNets: the temporary subnet's prefix and name. */
  tempSubnetPrefix: z.string().optional(),
  tempSubnetName: z.string().optional(),
  delegatedSubnets: z.array(z.string()).optional(),
  /** VNets: the network security group the temporary subnet carries (a delegated subnet's), when one has one. */
  tempSubnetNetworkSecurityGroupId: z.string().optional(),
  spot: z.boolean().optional(),
  networkWatcherAgent: z.boolean().optional(),
  /** VMs and scale sets: where their internet-bound traffic leaves (src/domain/egress.ts). */
  egress: EgressPathSchema.optional(),
  /** VNets skipped `noSubnetPermission`: the command that grants the subnet role at the VNet's resource group. */
  grantCommand: z.string().optional(),
});
export type PlanEntry = z.output<typeof PlanEntrySchema>;

/** A lane of a wave: one cycleBatch instance, run exactly as planned. */
const WaveBatchSchema = z.object({
  /** Stable id, e.g. "w1l0"; names the lane's cycleBatch instance. */
  id: z.string(),
  /** Resource ids (VMs and uniform scale sets) in this lane, in plan order. */
  items: z.array(z.string()),
  /** The lane's share of the global cap: 1 (serial) unless the cap exceeds the lanes that may run at once. */
  share: z.number().int().min(1).default(1),
});
export type WaveBatch = z.output<typeof WaveBatchSchema>;

const WaveSchema = z.object({
  index: z.number().int().min(0),
  /** "canary", "wave tag 3", "untagged". */
  label: z.string(),
  canary: z.boolean().default(false),
  /**
   * The wave's lanes, run `parallel` at a time in this order (src/domain/lanes.ts). With serial lanes (share 1) an
   * availability set or flexible scale set with a cap of k is spread over at most k lanes, so at most k of its
   * members are ever down together; with shared caps a group stays in one lane, which enforces its cap itself.
   */
  batches: z.array(WaveBatchSchema),
  /** Lanes of this wave in flight at once. */
  parallel: z.number().int().min(1).default(1),
});
export type Wave = z.output<typeof WaveSchema>;

export const CapsSchema = z.object({
  maxConcurrency: z.number().int().min(1),
  maxUnavailablePerAvailabilitySet: z.number().int().min(1),
  maxUnavailablePerScaleSet: z.number().int().min(1),
  /** "updateDomain": one update domain of an availability set down at a time; absent or "member": members, capped. */
  availabilitySetRule: AvailabilitySetRuleSchema.optional(),
});
export type Caps = z.output<typeof CapsSchema>;

/**
 * An availability set the run may leave with no member running: every member running before the run is cycled,
 * and the caps let them all be down at once (src/domain/planSetOutages.ts).
 */
export const SetOutageSchema = z.object({
  availabilitySetId: z.string(),
  name: z.string(),
  resourceGroup: z.string(),
  members: z.number().int().min(1),
  /** Members stopped or deallocated (or in transition) when the run was planned. */
  notRunningBefore: z.number().int().min(0),
  runningCycled: z.number().int().min(1),
});
export type SetOutage = z.output<typeof SetOutageSchema>;

export const PlanSchema = z.object({
  entries: z.array(PlanEntrySchema),
  waves: z.array(WaveSchema),
  caps: CapsSchema,
  /** The steps a running VM goes through in this plan (the run's option; absent in plans made before it existed: powerOffDeallocateStart). */
  runningVmCycle: RunningVmCycleSchema.optional(),
  /** The resource groups the run was limited to (options.resourceGroups); absent when it covers the subscription. */
  resourceGroups: z.array(z.string()).optional(),
  /** Availability sets the run may take fully down (absent when none, and in plans made before it was counted). */
  setOutages: z.array(SetOutageSchema).optional(),
  counts: z.object({
    vms: z.number().int(),
    scaleSets: z.number().int(),
    vnets: z.number().int(),
    toCycle: z.number().int(),
    toRefresh: z.number().int(),
    skipped: z.number().int(),
  }),
});
export type Plan = z.output<typeof PlanSchema>;
