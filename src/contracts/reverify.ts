/** The record a scheduled re-verification leaves in the audit store. */
import { z } from "zod";
import { EgressChangeSchema } from "./egress";
import { SubscriptionIdSchema } from "./ids";
import { CategorySchema, ClassificationSchema } from "./classification";
import { CanaryResultSchema } from "./remediation";

/** A VM or scale set still running with the old network policy. */
export const StragglerSchema = z.object({
  resourceId: z.string(),
  kind: z.enum(["vm", "scaleSet"]),
  name: z.string(),
  resourceGroup: z.string(),
  /**
   * "notStartedSinceRun": a run knew it, and it has not been started from deallocated since the exemption took effect;
   * "createdAfterRun": the same, for a resource no run gave an outcome (listed only later);
   * "startUnknown": whether it was started from deallocated since the exemption cannot be established (the Activity
   * Log does not reach back that far, or could not be read, or shows a start it cannot attribute). Never
   * auto-remediated unless asked (autoRemediateUnknownStarts).
   */
  reason: z.enum(["createdAfterRun", "notStartedSinceRun", "startUnknown"]),
  /** Its last start known from the Activity Log, if any. */
  since: z.iso.datetime({ offset: true }).optional(),
  /** Why its start could not be established (startUnknown). */
  detail: z.string().optional(),
});
export type Straggler = z.output<typeof StragglerSchema>;

/** A resource a run deallocated (and, if it was running, started again) at `at`, from the audit store. */
export const CycledResourceSchema = z.object({
  resourceId: z.string(),
  /** For a uniform scale set: the instances the run deallocated. */
  instanceIds: z.array(z.string()).optional(),
  at: z.iso.datetime({ offset: true }),
  runId: z.string(),
});
export type CycledResource = z.output<typeof CycledResourceSchema>;

const LeakedSubnetsSchema = z.object({
  /** Temporary subnets (our naming prefix) older than the run, found still present. */
  found: z.array(z.string()),
  /** Those deleted by this re-verification. */
  removed: z.array(z.string()),
  /** Those whose deletion failed, with the reason. */
  failed: z.array(z.object({ subnetId: z.string(), message: z.string() })).default([]),
});

export const ReverificationRecordSchema = z.object({
  subscriptionId: SubscriptionIdSchema,
  /** When the check ran (the timer's scheduled time): with the subscription, the record's key. */
  at: z.iso.datetime({ offset: true }),
  /** The completed run this check compares against. */
  lastRunId: z.string().optional(),
  classification: ClassificationSchema,
  previousCategory: CategorySchema.optional(),
  /** True when the category moved away from the one the run was made under: port 25 may be blocked again. */
  categoryChanged: z.boolean(),
  stragglers: z.array(StragglerSchema),
  leakedSubnets: LeakedSubnetsSchema,
  canaryProbe: CanaryResultSchema.optional(),
  /** Set when auto-remediation was on and a run was started for the stragglers. */
  autoRemediationRunId: z.string().optional(),
  /** VMs and scale sets whose egress path changed since the run, each with what it means for port 25. */
  egressChanges: z.array(EgressChangeSchema).optional(),
  warnings: z.array(z.string()).default([]),
});
export type ReverificationRecord = z.output<typeof ReverificationRecordSchema>;
export type ReverificationRecordInput = z.input<typeof ReverificationRecordSchema>;
