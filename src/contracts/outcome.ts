/** Per-resource outcome: every discovered resource ends with exactly one. */
import { z } from "zod";
import { EgressPathSchema } from "./egress";
import { PowerStateSchema } from "./power";

export const ResourceKindSchema = z.enum(["vm", "scaleSet", "vnet"]);

/** Why a resource was skipped or failed; stable codes for reports and audits. */
export const ReasonCodeSchema = z.enum([
  // skips decided by the plan
  "alreadyDeallocated",
  "ephemeralOsDisk",
  "managedResourceGroup",
  "skipTag",
  "invalidWaveTag", // port25-wave is not an integer ≥ 0: skipped rather than cycled in a guessed wave
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
  "subscriptionUnknown", // the subscription could not be classified (billing property unreadable or incomplete): refused
  "notBlocked", // port 25 is not blocked on this subscription: nothing to do
  "approvalTimedOut",
  "cancelled",
  "haltedByCanary",
  "disappeared", // deleted by someone else during the run
  "changedByOther", // someone else stopped, deallocated or started it after planning: left as they chose
  "evicted", // a spot VM the platform evicted during the run
  "createdAfterPlan", // created after the plan: it starts under the new network policy already
  "resourceLocked", // a management lock (ReadOnly, or CanNotDelete for a delete) blocks the write
  "deniedByPolicy", // an Azure Policy assignment denied the write (RequestDisallowedByPolicy)
  "noSubnetPermission", // the app identity lacks subnet write or delete at the VNet's resource group: never attempted
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

/**
 * A resource the run took down and could not bring back to its state before the run: the one outcome an operator
 * must act on. `manualAction` says what to do (resize, another zone or size, redeploy); for a uniform scale set,
 * `instanceIds` names the instances left down (the others are back).
 */
const LeftDownSchema = z.object({
  /** Why it could not be brought back (ARM's message, or the state it stayed in). */
  reason: z.string().min(1),
  /** ARM error code of the last attempt to bring it back, when ARM gave one. */
  errorCode: z.string().optional(),
  /** The power state it was left in. */
  state: z.string(),
  manualAction: z.string().min(1),
  instanceIds: z.array(z.string()).optional(),
  /** Attempts made to bring it back, within the restore deadline (restoreTimeoutMinutes). */
  attempts: z.number().int().min(0),
});
export type LeftDown = z.output<typeof LeftDownSchema>;

/** A left-down resource as the run's summary lists it (the first thing an operator must read). */
export const LeftDownResourceSchema = LeftDownSchema.extend({
  resourceId: z.string(),
  kind: ResourceKindSchema,
  name: z.string(),
  resourceGroup: z.string(),
});
export type LeftDownResource = z.output<typeof LeftDownResourceSchema>;

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
  /**
   * A step failed after the run had taken the resource down, and the run brought it back to its state before the
   * run (started it again). The outcome stays "failed" (the cycle did not complete: run it again for this
   * resource), but nothing is left down.
   */
  restored: z.boolean().optional(),
  /** Set when the resource could not be brought back: it is down because of the run. */
  leftDown: LeftDownSchema.optional(),
  /** VMs and scale sets: their egress path, from the plan (the port-25 verdict of the path is the canary's, per path). */
  egress: EgressPathSchema.optional(),
  /**
   * The lane of its wave that took it (the plan's `waves[].batches[].id`, e.g. "w1l0"); absent for VNets, for
   * resources skipped at planning, and in records written before outcomes named their lane.
   */
  lane: z.string().optional(),
});
export type ResourceOutcome = z.output<typeof ResourceOutcomeSchema>;

/**
 * ARM's answers that are the subscription owner's decision, not a state to wait out: a management lock
 * (409 `ScopeLocked`; Learn "Lock your resources to protect your infrastructure") and an Azure Policy deny (403
 * `RequestDisallowedByPolicy`). Each has its own reason; neither is retried.
 */
export function governanceReason(
  code: string | undefined,
): Extract<ReasonCode, "resourceLocked" | "deniedByPolicy"> | undefined {
  const lower = (code ?? "").toLowerCase();
  if (lower === "scopelocked") return "resourceLocked";
  if (lower === "requestdisallowedbypolicy") return "deniedByPolicy";
  return undefined;
}

/** The scopes a `ScopeLocked` message names ("… because following scope(s) are locked: '<scope>'[,'<scope>']…"). */
export function lockedScopesOf(message: string | undefined): string[] {
  const tail = /following scope\(s\) are locked: (.*?)(?:\. Please remove the lock|$)/i.exec(message ?? "")?.[1] ?? "";
  return [...tail.matchAll(/'([^']+)'/g)].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
}

/** What to do about a management lock ARM named by its scope: find it there, remove it, run again. */
export function lockManualAction(message: string | undefined, what: string): string {
  const scopes = lockedScopesOf(message);
  const where = scopes.length === 0 ? "on it or a scope above it" : `on ${scopes.join(", ")}`;
  const list =
    scopes.length === 0
      ? "az lock list"
      : scopes
          .map((s) => `az lock list --query "[?starts_with(id, '${s}/providers/Microsoft.Authorization/locks/')]"`)
          .join("; ");
  return `A management lock ${where} refuses ${what}: find it (${list}), remove it with az lock delete --ids <the lock's id> (or ask its owner), then`;
}
