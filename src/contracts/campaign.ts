/**
 * A campaign: one remediation per subscription of a set (given by id, or every subscription under a management
 * group), run in parallel up to a cap on concurrent subscriptions, with one view and one audit record. Each
 * exemptible subscription runs as its own remediateSubscription instance (remediationInstanceId: one live run per
 * subscription, whoever started it); the others are reported with their reason and left alone.
 */
import { z } from "zod";
import { ClockKindSchema } from "./clock";
import { SubscriptionIdSchema } from "./ids";
import {
  AttestationSchema,
  ModeSchema,
  OutcomeCountsSchema,
  remediationInstanceId,
  RunStatusSchema,
  type RemediationInput,
} from "./remediation";
import { CategorySchema } from "./classification";
import { RemediationOptionsSchema } from "./options";
import { CancelEventSchema, DecisionSchema } from "./events";
import { clip, TEXT_LIMITS } from "./textLimits";

/**
 * A management group id (its name, not its display name): up to 90 letters, digits, hyphens, underscores, periods
 * and parentheses, not ending in a period (Microsoft.Management naming rules).
 */
export const ManagementGroupIdSchema = z
  .string()
  .regex(/^[-\w.()]{1,90}$/, "must be a management group id (up to 90 letters, digits, -, _, . or parentheses)")
  .refine((s) => !s.endsWith("."), { message: "must not end with a period" });

/** Most subscriptions one campaign takes (a management group with more is refused, naming the count). */
export const MAX_CAMPAIGN_SUBSCRIPTIONS = 500;
/** Most subscriptions remediated at once by one campaign. */
export const MAX_CONCURRENT_SUBSCRIPTIONS = 50;
/**
 * Subscriptions one lane of a queue takes: bounds each lane's history (a few events per subscription) and its custom
 * status, which lists them (laneStatusMember: at most about 750 characters each, under the extension's cap of 16 KB
 * of UTF-16 text, 8,192 characters, for the whole status).
 */
export const LANE_MEMBERS_MAX = 10;

export const SubscriptionListSchema = z
  .array(SubscriptionIdSchema)
  .min(1, "must name at least one subscription")
  .max(MAX_CAMPAIGN_SUBSCRIPTIONS, `must name at most ${MAX_CAMPAIGN_SUBSCRIPTIONS} subscriptions`)
  .refine((ids) => new Set(ids).size === ids.length, { message: "must not name a subscription twice" });

export const CampaignTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("managementGroup"), managementGroupId: ManagementGroupIdSchema }).strict(),
  z.object({ kind: z.literal("subscriptions"), subscriptionIds: SubscriptionListSchema }).strict(),
]);
export type CampaignTarget = z.output<typeof CampaignTargetSchema>;

/** Body of POST /api/campaigns: exactly one of `subscriptionIds` and `managementGroupId`. */
export const CampaignStartRequestSchema = z
  .object({
    subscriptionIds: SubscriptionListSchema.optional(),
    managementGroupId: ManagementGroupIdSchema.optional(),
    /** The exemption's approval: one reference for the set (each subscription's run records it). */
    attestation: AttestationSchema,
    mode: ModeSchema.default("execute"),
    /** Each subscription's run waits for approval of its own plan (approve the campaign to release all waiting). */
    requireApproval: z.boolean().default(false),
    allowSelfApproval: z.boolean().default(false),
    /** Subscriptions remediated at once (ARM's budgets are per subscription, so these do not slow each other). */
    maxConcurrentSubscriptions: z.number().int().min(1).max(MAX_CONCURRENT_SUBSCRIPTIONS).default(5),
    /** The options of every subscription's run. */
    options: RemediationOptionsSchema.default(RemediationOptionsSchema.parse({})),
  })
  .strict()
  .superRefine((v, ctx) => {
    const given = (v.subscriptionIds !== undefined ? 1 : 0) + (v.managementGroupId !== undefined ? 1 : 0);
    if (given !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [v.managementGroupId !== undefined ? "managementGroupId" : "subscriptionIds"],
        message: "give exactly one of subscriptionIds and managementGroupId",
      });
    }
  });
type CampaignStartRequest = z.output<typeof CampaignStartRequestSchema>;

/** The campaign's target as the start request names it. */
export function targetOf(request: CampaignStartRequest): CampaignTarget {
  return request.managementGroupId !== undefined
    ? { kind: "managementGroup", managementGroupId: request.managementGroupId }
    : { kind: "subscriptions", subscriptionIds: request.subscriptionIds ?? [] };
}

/** What every subscription's run is started with (its RemediationInput less the subscription and run id). */
export const RunTemplateSchema = z.object({
  attestation: AttestationSchema,
  mode: ModeSchema,
  requireApproval: z.boolean(),
  allowSelfApproval: z.boolean().optional(),
  options: RemediationOptionsSchema,
  requestedBy: z.string().max(256),
  requestedById: z.string().max(256).optional(),
  requestedAt: z.iso.datetime({ offset: true }),
  probeHost: z.string().min(1),
  /** The clock that stamped requestedAt (and every time of the runs): "simulated" on a local stack. */
  clock: ClockKindSchema.optional(),
});
export type RunTemplate = z.output<typeof RunTemplateSchema>;

/** A subscription's run from the template: the one shape of a run's input, whoever starts it. */
export function runInputOf(
  run: RunTemplate,
  subscriptionId: string,
  runId: string,
  campaign?: { campaignId: string; instanceId: string },
): RemediationInput {
  return {
    subscriptionId,
    attestation: run.attestation,
    mode: run.mode,
    requireApproval: run.requireApproval,
    ...(run.allowSelfApproval === true ? { allowSelfApproval: true } : {}),
    options: run.options,
    requestedBy: run.requestedBy,
    requestedById: run.requestedById,
    requestedAt: run.requestedAt,
    probeHost: run.probeHost,
    runId,
    clock: run.clock,
    campaign,
  };
}

/** Input of remediateCampaign: the validated start request, stamped by the starter. */
export const CampaignInputSchema = z.object({
  campaignId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, "must be a campaign id (letters, digits and hyphens, as `port25 start` prints it)"),
  target: CampaignTargetSchema,
  maxConcurrentSubscriptions: z.number().int().min(1).max(MAX_CONCURRENT_SUBSCRIPTIONS),
  run: RunTemplateSchema,
});
export type CampaignInput = z.output<typeof CampaignInputSchema>;

/** What every campaign instance id starts with (never a subscription's run: those are port25-<GUID>). */
export const CAMPAIGN_INSTANCE_PREFIX = "port25-campaign-";

/** Hex digits of a target's key. */
const TARGET_KEY_LENGTH = 12;

/** The text a target is keyed by: the same however the request spells it (case, order of the subscriptions). */
function canonicalTarget(target: CampaignTarget): string {
  return target.kind === "managementGroup"
    ? `mg:${target.managementGroupId.toLowerCase()}`
    : `subscriptions:${target.subscriptionIds
        .map((s) => s.toLowerCase())
        .sort()
        .join(",")}`;
}

/** 64-bit FNV-1a of `text`, as 16 hex digits: pure, so the starter and every reader derive the same key. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/**
 * The key of a campaign's target, which names its instance: two starts over the same target get the same instance
 * id, so the engine itself lets only one of them be live (a client start under the id of a Running or Pending
 * instance is refused: Learn "Singleton orchestrators in Durable Functions", Azure/durabletask#325).
 */
function campaignTargetKey(target: CampaignTarget): string {
  // 48 bits: two targets of one estate sharing a key is vanishingly rare, and would only refuse a start (409), never
  // run two campaigns as one; shorter ids keep the report links that carry them on one line.
  return fnv1a64(canonicalTarget(target)).slice(0, TARGET_KEY_LENGTH);
}

/**
 * A campaign's id: `<when and a nonce>-<its target's key>`, e.g. `20260303T080000Z-1f2e-0123456789ab`. The first part keeps every campaign's audit record its
 * own; the key ties the id to the campaign's instance (campaignInstanceId).
 */
export function campaignIdFor(target: CampaignTarget, stampAndNonce: string): string {
  return `${stampAndNonce}-${campaignTargetKey(target)}`;
}

/** Instance id of the campaign over `target`, whatever its campaign id: the one a start takes. */
export function campaignInstanceIdOf(target: CampaignTarget): string {
  return `${CAMPAIGN_INSTANCE_PREFIX}${campaignTargetKey(target)}`;
}

const TARGET_KEY_SUFFIX = /-([0-9a-f]{12})$/i;

/**
 * Instance id of a campaign: `port25-campaign-<target key>` for an id made by campaignIdFor (or a bare target key);
 * an id of the earlier form, without the key, names its instance as it always did.
 */
export function campaignInstanceId(campaignId: string): string {
  const key = TARGET_KEY_SUFFIX.exec(campaignId)?.[1];
  return `${CAMPAIGN_INSTANCE_PREFIX}${(key ?? campaignId).toLowerCase()}`;
}

/**
 * The campaign id in `given`, which is a campaign id or a campaign's instance id (whose suffix, a target key, leads
 * back to the same instance through campaignInstanceId, though not to one audit record).
 */
export function campaignIdOf(given: string): string {
  return given.toLowerCase().startsWith(CAMPAIGN_INSTANCE_PREFIX)
    ? given.slice(CAMPAIGN_INSTANCE_PREFIX.length)
    : given;
}

/** Run id of a subscription's run in a campaign: the campaign's id and the subscription's first block. */
export function campaignRunId(campaignId: string, subscriptionId: string, index: number): string {
  return `${campaignId}-${subscriptionId.slice(0, 8).toLowerCase()}-${index}`;
}

/**
 * Where a subscription of the campaign stands:
 * - pending: not started yet (waiting for its turn);
 * - notExemptible: classified blocked-not-exemptible or unknown: reported with the reason, left alone;
 * - nothingToDo: port 25 is not blocked there: left alone;
 * - alreadyRunning: another run of the subscription was live: reported, not started twice;
 * - running: its run is live (follow it at /api/remediations/{runInstanceId});
 * - done: its run ended (`runStatus`, `counts`);
 * - cancelled: the campaign (or this subscription) was cancelled before its run started;
 * - failed: its run could not be started or ended without a result (`message`).
 */
const MemberStateSchema = z.enum([
  "pending",
  "notExemptible",
  "nothingToDo",
  "alreadyRunning",
  "running",
  "done",
  "cancelled",
  "failed",
]);
export type MemberState = z.output<typeof MemberStateSchema>;

export const CampaignMemberSchema = z.object({
  subscriptionId: SubscriptionIdSchema,
  displayName: z.string().max(256).optional(),
  state: MemberStateSchema,
  category: CategorySchema.optional(),
  /** Why it was left alone, or what went wrong (bounded). */
  reason: z.string().max(1000).optional(),
  advice: z.string().max(1000).optional(),
  /** The run's instance (remediationInstanceId) — also for alreadyRunning: the live run's. */
  runInstanceId: z.string().optional(),
  runId: z.string().optional(),
  runStatus: RunStatusSchema.optional(),
  counts: OutcomeCountsSchema.optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  /** The run's full record reached the audit store. */
  recorded: z.boolean().optional(),
});
export type CampaignMember = z.output<typeof CampaignMemberSchema>;

export const CampaignStatusSchema = z.enum(["completed", "completedWithFailures", "cancelled", "halted"]);
export type CampaignStatus = z.output<typeof CampaignStatusSchema>;

const CampaignPhaseSchema = z.enum(["resolve", "runs", "report", "done"]);
export type CampaignPhase = z.output<typeof CampaignPhaseSchema>;

/** Subscriptions by state and the resources of every run summed. */
export const CampaignTotalsSchema = z.object({
  subscriptions: z.number().int().min(0),
  byState: z.record(MemberStateSchema, z.number().int().min(0)),
  resources: OutcomeCountsSchema,
});
export type CampaignTotals = z.output<typeof CampaignTotalsSchema>;

/** Custom status of remediateCampaign: small (16 KB cap); the members are in its queues' inputs and their lanes' statuses. */
export const CampaignProgressSchema = z.object({
  campaignId: z.string(),
  phase: CampaignPhaseSchema,
  subscriptions: z.number().int().min(0),
  /**
   * The campaign's queues (campaignQueue instances: their inputs list their subscriptions, their lanes' statuses
   * where each stands).
   */
  queues: z.array(z.string()),
  message: z.string().optional(),
  cancelRequested: z.boolean().optional(),
});
export type CampaignProgress = z.output<typeof CampaignProgressSchema>;

export const CampaignSummarySchema = z.object({
  campaignId: z.string(),
  target: CampaignTargetSchema,
  status: CampaignStatusSchema,
  mode: ModeSchema,
  message: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  requestedBy: z.string(),
  members: z.array(CampaignMemberSchema),
  totals: CampaignTotalsSchema,
  cancellation: DecisionSchema.optional(),
  warnings: z.array(z.string()).default([]),
});
export type CampaignSummary = z.output<typeof CampaignSummarySchema>;

/** What remediateCampaign returns: its summary and whether it reached the audit store. */
export const CampaignOutputSchema = z.object({ summary: CampaignSummarySchema, recorded: z.boolean() });
export type CampaignOutput = z.output<typeof CampaignOutputSchema>;

/** The audit record of a campaign: its summary and what it was started with. */
export const CampaignRecordSchema = z.object({ summary: CampaignSummarySchema, input: CampaignInputSchema });
export type CampaignRecord = z.output<typeof CampaignRecordSchema>;

/** A subscription whose run never started because `cancelEvent` (a cancel event's payload) came first. */
export function cancelledBeforeRun(
  m: { subscriptionId: string; displayName?: string | undefined },
  cancelEvent: unknown,
): CampaignMember {
  const event = CancelEventSchema.safeParse(cancelEvent);
  return {
    subscriptionId: m.subscriptionId,
    displayName: m.displayName,
    state: "cancelled",
    reason: `cancelled by ${event.success ? event.data.cancelledBy : "an operator"} before its run started; nothing was changed`,
  };
}

/** A subscription whose lane or queue (`holder`) failed: reported, with where its run, if it started, can be seen. */
export function failedWithHolder(
  m: { subscriptionId: string; displayName?: string | undefined },
  holder: "lane" | "queue",
  why: string,
): CampaignMember {
  return {
    subscriptionId: m.subscriptionId,
    displayName: m.displayName,
    state: "failed",
    reason: `its ${holder} failed (${clip(why, TEXT_LIMITS.quotedInReason)}); if its run started, see /api/remediations/${remediationInstanceId(m.subscriptionId)}`,
  };
}

/** Subscriptions by state and the resources of their runs, from the members. */
export function campaignTotals(members: readonly CampaignMember[]): CampaignTotals {
  const byState: Record<MemberState, number> = {
    pending: 0,
    notExemptible: 0,
    nothingToDo: 0,
    alreadyRunning: 0,
    running: 0,
    done: 0,
    cancelled: 0,
    failed: 0,
  };
  const resources = { total: 0, cycled: 0, skipped: 0, failed: 0, pending: 0, leftDown: 0 };
  for (const m of members) {
    byState[m.state] += 1;
    if (m.counts === undefined) continue;
    resources.total += m.counts.total;
    resources.cycled += m.counts.cycled;
    resources.skipped += m.counts.skipped;
    resources.failed += m.counts.failed;
    resources.pending += m.counts.pending;
    resources.leftDown += m.counts.leftDown ?? 0;
  }
  return { subscriptions: members.length, byState, resources };
}
