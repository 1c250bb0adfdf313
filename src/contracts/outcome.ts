/** Per-resource outcome: every discovered resource ends with exactly one. */
import { z } from "zod";
import { PowerStateSchema } from "./power";

export const ResourceKindSchema = z.enum(["vm", "scaleSet", "vnet"]);
export type ResourceKind = z.output<typeof ResourceKindSchema>;

/** Why a resource was skipped or failed; stable codes for reports and audits. */
export const ReasonCodeSchema = z.enum([
  // skips decided by the plan
  "alreadyDeallocated",
  "ephemeralOsDisk",
  "managedResourceGroup",
  "skipTag",
  "transitionalState",
  "provisioningFailed",
  "unknownPowerState",
  "noRunningInstances",
  "noDelegatedSubnet",
  "noFreeSubnetRange",
  "noIpv4AddressSpace",
  "ipamManaged",
  "subnetRefreshDisabled",
  "notSelected", // the run was limited to other resources (options.onlyResourceIds)
  "groupMemberFailed", // another member of its availability set or flexible scale set failed: left running, untouched
  // skips decided during the run
  "planOnly",
  "notExemptible",
  "notBlocked", // port 25 is not blocked on this subscription: nothing to do
  "approvalTimedOut",
  "cancelled",
  "haltedByCanary",
  "disappeared",
  // failures
  "operationFailed",
  "transitionTimedOut",
  "allocationFailed",
  "throttled",
  "conflict",
  "canaryProbeFailed",
  "unexpected",
]);
export type ReasonCode = z.output<typeof ReasonCodeSchema>;

export const OutcomeKindSchema = z.enum(["cycled", "skipped", "failed"]);
export type OutcomeKind = z.output<typeof OutcomeKindSchema>;

export const ResourceOutcomeSchema = z.object({
  resourceId: z.string(),
  kind: ResourceKindSchema,
  name: z.string(),
  resourceGroup: z.string(),
  outcome: OutcomeKindSchema,
  /** Set for skipped and failed; for cycled, optional detail (e.g. "restoredToStopped"). */
  reasonCode: ReasonCodeSchema.optional(),
  message: z.string().optional(),
  /** ARM error code when an operation failed. */
  errorCode: z.string().optional(),
  /** Power operations actually performed, in order (e.g. ["powerOff","deallocate","start"]). */
  actions: z.array(z.string()).default([]),
  stateBefore: z.union([PowerStateSchema, z.string()]).optional(),
  stateAfter: z.union([PowerStateSchema, z.string()]).optional(),
  startedAt: z.iso.datetime({ offset: true }).optional(),
  endedAt: z.iso.datetime({ offset: true }).optional(),
  /** For scale sets: instance ids acted on; for VNets: the temporary subnet used. */
  detail: z.record(z.string(), z.unknown()).optional(),
  wave: z.number().int().optional(),
  canary: z.boolean().optional(),
});
export type ResourceOutcome = z.output<typeof ResourceOutcomeSchema>;
