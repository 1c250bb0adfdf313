/** Plain-data shapes of the ARM gateway's operations (no SDK types leak out of src/azure). */
import { z } from "zod";
import { EffectiveRouteSchema } from "./egress";
import { PowerStateSchema } from "./power";

/**
 * The longest wait Compute documents for a throttled request: its 429 example carries `Retry-After: 1200`
 * (SupportArticles `support/azure/virtual-machines/windows/troubleshooting-throttling-errors.md`). Deadlines that
 * must survive throttling outlast it.
 */
export const LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS = 1200;

/** A started ARM long-running operation, to be polled later (monitor pattern: nobody waits inside an activity). */
export const OperationHandleSchema = z.object({
  /** Azure-AsyncOperation URL (preferred for status) when ARM gave one. */
  asyncOperationUrl: z.string().optional(),
  /** Location URL (final result, e.g. connectivity check) when ARM gave one. */
  locationUrl: z.string().optional(),
  /** Seconds ARM suggested to wait before polling. */
  retryAfterSeconds: z.number().optional(),
  /** True when ARM finished the operation synchronously (200/204). */
  completed: z.boolean().default(false),
  /**
   * The Location URL is the deleted resource's own URL (a subnet DELETE may answer so): 404 there means the delete
   * is done, 200 that the resource is still there.
   */
  locationIsResource: z.boolean().optional(),
});
export type OperationHandle = z.output<typeof OperationHandleSchema>;

export const OperationStatusSchema = z.object({
  status: z.enum(["InProgress", "Succeeded", "Failed", "Canceled"]),
  error: z
    .object({
      code: z.string(),
      message: z.string(),
      /**
       * The operation lost to another one on the same resource (AnotherOperationInProgress and kin): sending the same
       * request again later is expected to succeed. Absent means final.
       */
      retryable: z.boolean().optional(),
    })
    .optional(),
  retryAfterSeconds: z.number().optional(),
});
export type OperationStatus = z.output<typeof OperationStatusSchema>;

export const VmStateSchema = z.object({
  exists: z.boolean(),
  powerState: PowerStateSchema,
  provisioningState: z.string(),
  /** Time of the PowerState status, when ARM reports it. */
  powerStateTime: z.string().optional(),
});
export type VmState = z.output<typeof VmStateSchema>;

export const ScaleSetStateSchema = z.object({
  exists: z.boolean(),
  instances: z.array(z.object({ instanceId: z.string(), powerState: PowerStateSchema, provisioningState: z.string() })),
});
export type ScaleSetState = z.output<typeof ScaleSetStateSchema>;

export const SubnetStateSchema = z.object({
  exists: z.boolean(),
  provisioningState: z.string().optional(),
  addressPrefix: z.string().optional(),
});
export type SubnetState = z.output<typeof SubnetStateSchema>;

/**
 * What a connectivity check says about TCP 25: "reachable" (Connected/Reachable, or Degraded with at least one probe
 * through), "unreachable" (Disconnected/Unreachable, or every probe failed), "inconclusive" (Unknown, or a status
 * the product does not know): no verdict either way.
 */
const ConnectivityVerdictSchema = z.enum(["reachable", "unreachable", "inconclusive"]);
export type ConnectivityVerdict = z.output<typeof ConnectivityVerdictSchema>;

export const ConnectivityResultSchema = z.object({
  /** ARM's connectionStatus as given: Reachable/Unreachable (docs) or Connected/Disconnected/Degraded/Unknown (typings). */
  connectionStatus: z.string(),
  verdict: ConnectivityVerdictSchema,
  /** verdict === "reachable". */
  reachable: z.boolean(),
  issues: z.array(z.string()).default([]),
  probesSent: z.number().optional(),
  probesFailed: z.number().optional(),
});
export type ConnectivityResult = z.output<typeof ConnectivityResultSchema>;

/** A started connectivity check: ARM either answered at once with the result (200) or gave a handle to poll (202). */
export const ConnectivityStartSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("started"), handle: OperationHandleSchema }),
  z.object({ status: z.literal("done"), result: ConnectivityResultSchema }),
]);
export type ConnectivityStart = z.output<typeof ConnectivityStartSchema>;

/** A started read of a NIC's effective routes: the list at once (200), or a handle whose Location serves it (202). */
export const EffectiveRoutesStartSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("started"), handle: OperationHandleSchema }),
  z.object({ status: z.literal("done"), routes: z.array(EffectiveRouteSchema) }),
]);
export type EffectiveRoutesStart = z.output<typeof EffectiveRoutesStartSchema>;

/** One VM of a status-only listing: its power state and provisioning state, as the instance view's statuses say. */
export const VmPowerStatusSchema = z.object({
  id: z.string().min(1),
  powerState: PowerStateSchema,
  /** `ProvisioningState/<state>[/<code>]`: the state ("Succeeded", "Updating", "Failed"…), "Unknown" when absent. */
  provisioningState: z.string().min(1),
  /** The code after the state, e.g. `ProvisioningState/failed/AllocationFailed`. */
  provisioningCode: z.string().optional(),
  /** `instanceView.platformUpdateDomain`: given for VMs in an availability set. */
  platformUpdateDomain: z.number().int().min(0).optional(),
});
export type VmPowerStatus = z.output<typeof VmPowerStatusSchema>;

/** Every VM of a subscription with its run-time status, read in one paged listing. */
export const VmPowerListingSchema = z.object({
  vms: z.array(VmPowerStatusSchema),
  /** Requests (pages) the listing took. */
  pages: z.number().int().min(1),
  /**
   * The listing stopped at the page limit it was given with pages still to come: `vms` holds only part of the
   * subscription (src/azure/fleetObserver.ts).
   */
  truncated: z.boolean().optional(),
});
export type VmPowerListing = z.output<typeof VmPowerListingSchema>;

/**
 * Whether a VM's guest is ready to run a connectivity check, from its instance view: the VM agent's status
 * (`vmAgent.statuses`: `ProvisioningState/succeeded` "Ready", or `ProvisioningState/Unavailable` "Not Ready" while
 * the guest boots) and the Network Watcher agent extension's (`extensions[].statuses`). A VM reports
 * PowerState/running minutes before either is ready (docs/architecture.md, "Azure's answers").
 */
export const VmAgentReadinessSchema = z.object({
  exists: z.boolean(),
  powerState: PowerStateSchema,
  vmAgent: z.enum(["ready", "notReady", "unknown"]),
  /** "absent": the instance view reports no Network Watcher agent extension (none, or not reported yet). */
  networkWatcherAgent: z.enum(["ready", "notReady", "absent"]),
  /** What the statuses say, for the record ("VM agent Not Ready: VM status blob is found but not yet populated."). */
  detail: z.string(),
});
export type VmAgentReadiness = z.output<typeof VmAgentReadinessSchema>;
