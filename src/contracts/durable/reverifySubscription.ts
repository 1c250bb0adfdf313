/** Orchestration contract: the scheduled re-verification of one subscription after a completed run. */
import { z } from "zod";
import { defineOrchestration } from "../define";
import { SubscriptionIdSchema } from "../ids";
import { REVERIFY_SUBSCRIPTION } from "../names";
import { ReverificationRecordSchema } from "../reverify";
import { RunStatusSchema } from "../remediation";

export const ReverifySubscriptionInput = z.object({
  subscriptionId: SubscriptionIdSchema,
  /** The latest completed run of the subscription (the audit store's "completed" index). */
  lastRunId: z.string().min(1).max(128),
  /** Start a remediation limited to the stragglers found (app setting PORT25_AUTO_REMEDIATE). */
  autoRemediate: z.boolean().default(false),
  /**
   * Let auto-remediation include stragglers whose start since the exemption cannot be established (startUnknown;
   * app setting PORT25_AUTO_REMEDIATE_UNKNOWN). Off by default: only established stale starts are remediated.
   */
  autoRemediateUnknownStarts: z.boolean().default(false),
  /** Host probed on TCP 25 when the last run names none (the app setting PORT25_PROBE_HOST, resolved by the starter). */
  probeHost: z.string().min(1).max(253).default("smtp.office365.com"),
  /** Who asked: the timer, or a caller's identity. */
  requestedBy: z.string().max(256).default("reverification timer"),
});
export type ReverifySubscriptionInput = z.output<typeof ReverifySubscriptionInput>;

export const ReverifySubscriptionOutput = z.object({
  record: ReverificationRecordSchema,
  /** Whether the record reached the audit store, and why not. */
  recorded: z.boolean(),
  recordDetail: z.string().optional(),
  /** The stragglers' run, when one was started: its instance, run id and how it ended. */
  autoRemediation: z
    .object({
      instanceId: z.string(),
      runId: z.string(),
      status: z.union([RunStatusSchema, z.enum(["notStarted", "failed", "stillRunning"])]),
      detail: z.string().optional(),
    })
    .optional(),
});
export type ReverifySubscriptionOutput = z.output<typeof ReverifySubscriptionOutput>;

export const reverifySubscriptionOrchestration = defineOrchestration(
  REVERIFY_SUBSCRIPTION,
  ReverifySubscriptionInput,
  ReverifySubscriptionOutput,
);

/** One live re-verification per subscription. */
export function reverifyInstanceId(subscriptionId: string): string {
  return `port25-reverify-${subscriptionId.toLowerCase()}`;
}
