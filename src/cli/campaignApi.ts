/**
 * The campaign endpoints' answers as the CLI reads them (POST/GET /api/campaigns…, /api/audit/campaigns…): parsed
 * with zod, so that an answer of another shape is an error naming the field rather than a half-rendered table.
 */
import { z } from "zod";
import {
  CampaignMemberSchema,
  CampaignSummarySchema,
  CampaignTargetSchema,
  CampaignTotalsSchema,
  CAMPAIGN_INSTANCE_PREFIX,
} from "../contracts/campaign";
import { ModeSchema, PhaseSchema } from "../contracts/remediation";
import { ClockKindSchema } from "../contracts/clock";

export function isCampaignInstanceId(id: string): boolean {
  return id.toLowerCase().startsWith(CAMPAIGN_INSTANCE_PREFIX);
}

/** A campaign id, as campaigns are named. */
export { CampaignIdSchema } from "../contracts/startRequest";

const Urls = {
  statusUrl: z.string(),
  approveUrl: z.string(),
  cancelUrl: z.string(),
  reportUrl: z.string(),
};

/** 202 of POST /api/campaigns. */
export const CampaignStartedSchema = z.object({
  instanceId: z.string().min(1),
  campaignId: z.string().min(1),
  target: CampaignTargetSchema,
  mode: ModeSchema,
  requestedBy: z.string(),
  maxConcurrentSubscriptions: z.number().int().min(1),
  ...Urls,
});
export type CampaignStarted = z.output<typeof CampaignStartedSchema>;

/** A member as the status shows it: a running member also has its run's phase ("approve" while it waits). */
const StatusMemberSchema = CampaignMemberSchema.extend({ phase: PhaseSchema.optional() });
export type StatusMember = z.output<typeof StatusMemberSchema>;

/** 200 of GET /api/campaigns/{instanceId}. */
export const CampaignStatusBodySchema = z.object({
  instanceId: z.string().min(1),
  campaignId: z.string().min(1),
  runtimeStatus: z.string(),
  /** The campaign's phase (starting, resolve, runs, report, done); kept as text so that a new phase still displays. */
  phase: z.string(),
  message: z.string().nullish(),
  cancelRequested: z.boolean().optional(),
  /** Why the campaign's orchestration failed (runtimeStatus Failed). */
  failure: z.string().nullish(),
  members: z.array(StatusMemberSchema),
  totals: CampaignTotalsSchema,
  summary: CampaignSummarySchema.nullable(),
  /** "simulated" when the campaign's times come from a simulation's virtual clock (`port25 serve`). */
  clock: ClockKindSchema.optional(),
  ...Urls,
});
export type CampaignStatusBody = z.output<typeof CampaignStatusBodySchema>;

/** 202 of POST /api/campaigns/{instanceId}/approve. */
export const CampaignApprovedSchema = z.object({
  instanceId: z.string().min(1),
  approvedBy: z.string().optional(),
  approved: z.array(z.object({ subscriptionId: z.string(), runInstanceId: z.string() })),
  notWaiting: z.array(z.object({ subscriptionId: z.string(), state: z.string(), phase: z.string().optional() })),
  refused: z.array(z.object({ subscriptionId: z.string(), code: z.string(), message: z.string() })),
});
export type CampaignApproved = z.output<typeof CampaignApprovedSchema>;

/** 202 of POST /api/campaigns/{instanceId}/cancel. */
export const CampaignCancelledSchema = z.object({
  instanceId: z.string().min(1),
  cancelledBy: z.string(),
  cancelledAt: z.string(),
  /** Authentication was off: the canceller's name is as declared. */
  unverified: z.literal(true).optional(),
  runsSignalled: z.array(z.string()),
  pendingCancelled: z.array(z.string()),
});
export type CampaignCancelled = z.output<typeof CampaignCancelledSchema>;

/** A row of GET /api/audit/campaigns (every field kept for --json). */
const CampaignRowSchema = z
  .object({
    campaignId: z.string(),
    status: z.string(),
    mode: z.string().optional(),
    requestedBy: z.string().optional(),
    requestedAt: z.string().optional(),
    target: z.enum(["managementGroup", "subscriptions"]).optional(),
    managementGroupId: z.string().optional(),
    /** Subscriptions named by the request, or found under the management group once the campaign ended. */
    subscriptions: z.number().int().min(0).optional(),
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
    clock: ClockKindSchema.optional(),
  })
  .loose();
export type CampaignRow = z.output<typeof CampaignRowSchema>;

export const CampaignListPageSchema = z.object({
  campaigns: z.array(CampaignRowSchema),
  continuationToken: z.string().nullable().optional(),
});

/**
 * 200 of GET /api/audit/campaigns/{campaignId}: the record (its summary once the campaign ended; only what it was
 * started with before), and a link to each run's audit record and report.
 */
export const CampaignAuditSchema = z
  .object({
    /** "running" until the final record replaces it, then the campaign's status. */
    status: z.string().optional(),
    summary: CampaignSummarySchema.nullable().optional(),
    input: z
      .object({
        campaignId: z.string(),
        target: CampaignTargetSchema,
        run: z
          .object({
            requestedBy: z.string(),
            requestedAt: z.string(),
            mode: ModeSchema,
            clock: ClockKindSchema.optional(),
          })
          .loose(),
      })
      .loose()
      .optional(),
    runs: z
      .array(z.object({ subscriptionId: z.string(), runId: z.string(), reportUrl: z.string().optional() }).loose())
      .optional(),
  })
  .loose();
export type CampaignAudit = z.output<typeof CampaignAuditSchema>;
