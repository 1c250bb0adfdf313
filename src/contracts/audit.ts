/** What the audit store keeps and returns: run records, run summaries for listing, and a run with its outcomes. */
import { z } from "zod";
import { ClockKindSchema } from "./clock";
import { SubscriptionIdSchema } from "./ids";
import { ClassificationSchema, CategorySchema } from "./classification";
import { RemediationOptionsSchema } from "./options";
import { ResourceOutcomeSchema } from "./outcome";
import {
  AttestationSchema,
  ModeSchema,
  OutcomeCountsSchema,
  RemediationInputSchema,
  RemediationSummarySchema,
  RunStatusSchema,
} from "./remediation";
import { PlanSchema } from "./plan";
import { NotificationRecordSchema } from "./notification";
import { CampaignInputSchema, CampaignStatusSchema, CampaignSummarySchema, CampaignTotalsSchema } from "./campaign";

/**
 * The fixed start of the trace line each link of the audit's hash chains is logged as (src/audit/ledger.ts), the link's
 * JSON after it: Application Insights keeps a copy of every chain that the audit tables' writers cannot rewrite.
 */
export const AUDIT_TRACE_PREFIX = "Port25Audit ";

/** A run's status in the audit: "running" until the final record replaces it. */
export const AuditStatusSchema = z.enum(["running", ...RunStatusSchema.options]);
type AuditStatus = z.output<typeof AuditStatusSchema>;

/** Final statuses after which the fleet was cycled, so the subscription is due for re-verification. */
export const REVERIFIABLE_STATUSES: readonly AuditStatus[] = ["completed", "completedWithFailures"];

/** The plan is kept as a digest (it can be large and is derivable from discovery): its hash and its counts. */
const PlanDigestSchema = z.object({
  /** SHA-256 (hex) of the plan's JSON as the run produced it. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  counts: PlanSchema.shape.counts,
  waves: z.number().int(),
  caps: PlanSchema.shape.caps,
  /** Availability sets the plan said the run may leave with no member running (absent when none). */
  setOutages: PlanSchema.shape.setOutages,
});
export type PlanDigest = z.output<typeof PlanDigestSchema>;

export const RunRecordSchema = z.object({
  runId: z.string(),
  subscriptionId: SubscriptionIdSchema,
  status: AuditStatusSchema,
  mode: ModeSchema,
  requireApproval: z.boolean(),
  requestedBy: z.string(),
  requestedById: z.string().optional(),
  requestedAt: z.iso.datetime({ offset: true }),
  attestation: AttestationSchema,
  allowSelfApproval: z.boolean().optional(),
  options: RemediationOptionsSchema,
  probeHost: z.string(),
  /** The campaign that started the run (absent on a run started on its own, and on records older than campaigns). */
  campaign: RemediationInputSchema.shape.campaign,
  /** Set once the run has completed. */
  classification: ClassificationSchema.optional(),
  plan: PlanDigestSchema.optional(),
  summary: RemediationSummarySchema.optional(),
  /** The clock that stamped the run's times: "simulated" on a local stack; absent means the wall clock. */
  clock: ClockKindSchema.optional(),
});
export type RunRecord = z.output<typeof RunRecordSchema>;

/** One line of a run listing. */
export const RunSummarySchema = z.object({
  runId: z.string(),
  subscriptionId: SubscriptionIdSchema,
  status: AuditStatusSchema,
  mode: ModeSchema,
  requestedBy: z.string(),
  requestedAt: z.iso.datetime({ offset: true }),
  attestationReference: z.string(),
  category: CategorySchema.optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  counts: OutcomeCountsSchema.optional(),
  message: z.string().optional(),
  /** The campaign that started the run, when one did. */
  campaignId: z.string().optional(),
  clock: ClockKindSchema.optional(),
});
export type RunSummary = z.output<typeof RunSummarySchema>;

export const RunPageSchema = z.object({
  runs: z.array(RunSummarySchema),
  /** Opaque; pass back to get the next page. Absent on the last page. */
  continuationToken: z.string().optional(),
});
export type RunPage = z.output<typeof RunPageSchema>;

/** A run with every resource outcome, in the order the run reported them. */
export const AuditedRunSchema = z.object({
  run: RunRecordSchema,
  outcomes: z.array(ResourceOutcomeSchema),
  /** How each of the run's notifications went (absent: none recorded). */
  notifications: z.array(NotificationRecordSchema).optional(),
});
export type AuditedRun = z.output<typeof AuditedRunSchema>;

/** A subscription due for re-verification: its latest run that cycled the fleet. */
export const CompletedSubscriptionSchema = z.object({
  subscriptionId: SubscriptionIdSchema,
  runId: z.string(),
  status: AuditStatusSchema,
  requestedAt: z.iso.datetime({ offset: true }),
  endedAt: z.string(),
  category: CategorySchema.optional(),
});
export type CompletedSubscription = z.output<typeof CompletedSubscriptionSchema>;

/** A campaign's status in the audit: "running" until its final record replaces it. */
const CampaignAuditStatusSchema = z.enum(["running", ...CampaignStatusSchema.options]);

/** A campaign as the audit holds it: what it was started with and, once it has ended, its summary. */
export const AuditedCampaignSchema = z.object({
  campaignId: z.string(),
  status: CampaignAuditStatusSchema,
  input: CampaignInputSchema,
  /** Absent while the campaign runs (only its start is recorded). */
  summary: CampaignSummarySchema.optional(),
});
export type AuditedCampaign = z.output<typeof AuditedCampaignSchema>;

/** One line of a campaign listing (the members are in the campaign's own record). */
export const CampaignListingSchema = z.object({
  campaignId: z.string(),
  status: CampaignAuditStatusSchema,
  mode: ModeSchema,
  requestedBy: z.string(),
  requestedAt: z.iso.datetime({ offset: true }),
  attestationReference: z.string(),
  target: z.enum(["managementGroup", "subscriptions"]),
  managementGroupId: z.string().optional(),
  /** Subscriptions named by the request, or (for a management group) found once the campaign has ended. */
  subscriptions: z.number().int().min(0).optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  message: z.string().optional(),
  totals: CampaignTotalsSchema.optional(),
  /** The clock that stamped the campaign's times: "simulated" on a local stack; absent means the wall clock. */
  clock: ClockKindSchema.optional(),
});
export type CampaignListing = z.output<typeof CampaignListingSchema>;

export const CampaignPageSchema = z.object({
  campaigns: z.array(CampaignListingSchema),
  /** Opaque; pass back to get the next page. Absent on the last page. */
  continuationToken: z.string().optional(),
});
export type CampaignPage = z.output<typeof CampaignPageSchema>;
