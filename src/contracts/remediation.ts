/** The remediation run: its start request, progress and result. */
import { z } from "zod";
import { ClockKindSchema } from "./clock";
import { PathVerdictSchema } from "./egress";
import { SubscriptionIdSchema } from "./ids";
import { printable } from "./text";
import { renamedField } from "./parse";
import { RemediationOptionsSchema } from "./options";
import { ClassificationSchema } from "./classification";
import { PlanSchema } from "./plan";
import { DecisionSchema } from "./events";
import { LeftDownResourceSchema, ResourceOutcomeSchema, OutcomeKindSchema } from "./outcome";

export const AttestationSchema = z
  .object({
    /** Reference of the exemption approval or of the Diagnose-and-Solve result (ticket, diagnostic id). */
    reference: printable(z.string().trim().min(3, "must name the approval or diagnostic reference").max(200)),
    /** Who approved the exemption. */
    approvedBy: printable(z.string().trim().min(1, "must name the approver").max(200)),
    /** When the exemption was approved (ISO 8601); not in the future. */
    approvedAt: z.iso.datetime({ offset: true }),
  })
  .strict();
export type Attestation = z.output<typeof AttestationSchema>;

export const ModeSchema = z.enum(["plan", "execute"]);

/** Input of remediateSubscription: the validated start request, stamped by the starter. */
export const RemediationInputSchema = z.object({
  subscriptionId: SubscriptionIdSchema,
  attestation: AttestationSchema,
  mode: ModeSchema.default("execute"),
  requireApproval: z.boolean().default(false),
  options: RemediationOptionsSchema.default(RemediationOptionsSchema.parse({})),
  /**
   * Who started the run: the authenticated principal's name (App Service authentication), or the system identity of
   * the re-verification. Not the exemption's approver, which is `attestation.approvedBy`.
   */
  requestedBy: z.string().max(256).default("unknown"),
  /** The starter's principal id (Entra object id), which the four-eyes rule compares with the approver's. */
  requestedById: z.string().max(256).optional(),
  /** The starter may also approve (single-operator lab); absent means no. Recorded with the run. */
  allowSelfApproval: z.boolean().optional(),
  requestedAt: z.iso.datetime({ offset: true }),
  /** Probe host resolved by the starter (options.probeHost or the app setting). */
  probeHost: z.string().min(1),
  /** Run id (also the audit key); the starter derives it. */
  runId: z.string().min(1),
  /** The campaign that started this run, when one did (its audit record links the two). */
  campaign: z.object({ campaignId: z.string().min(1), instanceId: z.string().min(1) }).optional(),
  /**
   * The instance that started this run and waits for its end (a campaign's lane, a re-verification): told with the
   * runEnded event when the run ends (docs/architecture.md, §3 "A run started from an orchestration is followed by its event, the instance read, and a deadline").
   */
  waiter: z.object({ instanceId: z.string().min(1) }).optional(),
  /** The clock that stamped requestedAt and the approval: "simulated" on a local stack (src/contracts/clock.ts). */
  clock: ClockKindSchema.optional(),
});
export type RemediationInput = z.output<typeof RemediationInputSchema>;

export const RunStatusSchema = z.enum([
  "completed", // every resource handled, no failures
  "completedWithFailures",
  "planned", // mode plan
  "refused", // subscription not exemptible / unknown
  "nothingToDo", // port 25 not blocked here
  "halted", // canary proof failed
  "cancelled",
  "approvalTimedOut",
]);
export type RunStatus = z.output<typeof RunStatusSchema>;

export const PhaseSchema = z.enum([
  "verify",
  "discover",
  "plan",
  "approve",
  "subnets",
  "canary",
  "waves",
  "report",
  "done",
]);
export type Phase = z.output<typeof PhaseSchema>;

export const OutcomeCountsSchema = z.object({
  total: z.number().int(),
  cycled: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  pending: z.number().int(),
  /** Of the failed: resources the run took down and could not bring back (outcome `leftDown`). */
  leftDown: z.number().int().optional(),
});
export type OutcomeCounts = z.output<typeof OutcomeCountsSchema>;

/** Custom status of remediateSubscription (kept small: custom status is capped at 16 KB). */
export const ProgressSchema = z.preprocess(
  // Named activeBatches before it was named for what it lists: a run's waves.
  renamedField("activeBatches", "activeWaves"),
  z.object({
    runId: z.string(),
    phase: PhaseSchema,
    wave: z.number().int().optional(),
    waves: z.number().int().optional(),
    counts: OutcomeCountsSchema,
    message: z.string().optional(),
    cancelRequested: z.boolean().optional(),
    /**
     * Instance id of the wave running now (a runWave instance, whose own status lists its lanes in flight). The
     * cancel endpoint raises "cancel" to the run's instance first, then to the wave, then to its lanes, so that
     * neither starts anything new.
     */
    activeWaves: z.array(z.string()).optional(),
  }),
);
export type Progress = z.output<typeof ProgressSchema>;

export const CanaryResultSchema = z.object({
  vmIds: z.array(z.string()),
  probeHost: z.string(),
  verification: z.enum(["canaryProbe", "attestationOnly"]),
  /** "reachable" | "unreachable" | "skipped" (attestation only) | "unavailable" (no eligible canary). */
  result: z.enum(["reachable", "unreachable", "skipped", "unavailable"]),
  detail: z.string().optional(),
  /** The connectivity check's own words and counts behind the verdict, when a check ran to the end. */
  connectionStatus: z.string().optional(),
  probesSent: z.number().int().min(0).optional(),
  probesFailed: z.number().int().min(0).optional(),
  /**
   * Why a probe gave no "reachable": "portUnreachable" (the check ran and TCP 25 did not get through),
   * "agentNotReady" (the canary's VM agent or Network Watcher agent never reported ready, or every check answered
   * Unknown / AgentStopped, within agentReadyTimeoutMinutes), "noVerdict" (the check could not run or failed).
   */
  haltCause: z.enum(["portUnreachable", "agentNotReady", "noVerdict"]).optional(),
  /** One verdict per egress path holding resources to cycle: whether TCP 25 leaves by it, and what is on it. */
  paths: z.array(PathVerdictSchema).optional(),
});
export type CanaryResult = z.output<typeof CanaryResultSchema>;

export const RemediationSummarySchema = z.object({
  runId: z.string(),
  subscriptionId: z.string(),
  status: RunStatusSchema,
  mode: ModeSchema,
  message: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  counts: OutcomeCountsSchema,
  byReason: z.record(z.string(), z.number().int()),
  byOutcome: z.record(OutcomeKindSchema, z.number().int()),
  canary: CanaryResultSchema.optional(),
  warnings: z.array(z.string()).default([]),
  /** Resources the run took down and could not bring back, each with the reason and the manual action. */
  leftDown: z.array(LeftDownResourceSchema).optional(),
  /** Who released the run waiting for approval, and when. */
  approval: DecisionSchema.optional(),
  /** Who cancelled the run, and when (also when the cancel came while it waited for approval). */
  cancellation: DecisionSchema.optional(),
});
export type RemediationSummary = z.output<typeof RemediationSummarySchema>;

export const RemediationResultSchema = z.object({
  summary: RemediationSummarySchema,
  classification: ClassificationSchema,
  plan: PlanSchema.optional(),
  outcomes: z.array(ResourceOutcomeSchema),
  /**
   * The outcomes the run's lanes wrote to the record themselves (recordLaneOutcomes), not in `outcomes`: how many, and
   * the lanes' instance ids. Absent when the run holds every outcome.
   */
  laneOutcomes: z.object({ count: z.number().int().min(0), lanes: z.array(z.string().min(1)) }).optional(),
  input: RemediationInputSchema,
});
export type RemediationResult = z.output<typeof RemediationResultSchema>;

/**
 * What the run's orchestration returns: its summary and whether the full record (RemediationResult: plan, every
 * outcome, input) reached the audit. The full record is written once, as the input of recordRunCompleted; the status
 * endpoint reads only this.
 */
export const RemediationOutputSchema = z.object({
  summary: RemediationSummarySchema,
  /** The full record is in the audit store. */
  recorded: z.boolean(),
});
export type RemediationOutput = z.output<typeof RemediationOutputSchema>;

/** Orchestration instance id for a subscription: one live run per subscription. */
export function remediationInstanceId(subscriptionId: string): string {
  return `port25-${subscriptionId.toLowerCase()}`;
}
