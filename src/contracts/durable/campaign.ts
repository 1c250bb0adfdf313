/**
 * Contracts of the campaign's durable functions: the campaign itself, its lanes, and the activities they call
 * (listing a management group's subscriptions, the campaign's audit record; a subscription's run is started and
 * followed through runStart.ts).
 */
import { z } from "zod";
import { defineActivity, defineOrchestration } from "../define";
import { SubscriptionIdSchema } from "../ids";
import {
  CampaignInputSchema,
  CampaignMemberSchema,
  CampaignOutputSchema,
  CampaignRecordSchema,
  ManagementGroupIdSchema,
  RunTemplateSchema,
  type CampaignMember,
} from "../campaign";
import { ArmFailureSchema } from "./common";
import { fitJson } from "../statusText";
import { AuditWriteOutput } from "./recordRunStarted";
import { REMEDIATE_CAMPAIGN } from "../names";

export const remediateCampaignOrchestration = defineOrchestration(
  REMEDIATE_CAMPAIGN,
  CampaignInputSchema,
  CampaignOutputSchema,
);

/** A subscription the campaign takes: its id and, when the listing named it, its display name. */
const CampaignSubscriptionSchema = z.object({
  subscriptionId: SubscriptionIdSchema,
  displayName: z.string().max(256).optional(),
});
export type CampaignSubscription = z.output<typeof CampaignSubscriptionSchema>;

export const CampaignLaneInput = z.object({
  campaignId: z.string().min(1),
  campaignInstanceId: z.string().min(1),
  lane: z.number().int().min(0),
  /** The lane's subscriptions, taken one after another, each with its index in the campaign (its run id's suffix). */
  members: z.array(CampaignSubscriptionSchema.extend({ index: z.number().int().min(0) })).max(1000),
  run: RunTemplateSchema,
});
export type CampaignLaneInput = z.output<typeof CampaignLaneInput>;

export const CampaignLaneOutput = z.object({ members: z.array(CampaignMemberSchema), cancelled: z.boolean() });
export type CampaignLaneOutput = z.output<typeof CampaignLaneOutput>;

export const campaignLaneOrchestration = defineOrchestration("campaignLane", CampaignLaneInput, CampaignLaneOutput);

/**
 * Most JSON characters a text field of a member takes in its lane's custom status (laneStatusMember). With
 * LANE_MEMBERS_MAX members a lane's status stays below the extension's cap on custom status (16 KB of UTF-16 text,
 * 8,192 characters), whatever the reasons' length: a member is then at most about 750 characters.
 */
export const LANE_STATUS_TEXT_MAX = { displayName: 64, reason: 160, runInstanceId: 64, runId: 90, time: 40 } as const;

/**
 * A member as its lane's custom status shows it while the campaign runs: its texts cut to LANE_STATUS_TEXT_MAX, and
 * without its advice, end time and audit flag. The lane's output (and so the campaign's summary and audit) keeps
 * every member whole.
 */
export function laneStatusMember(m: CampaignMember): CampaignMember {
  const t = LANE_STATUS_TEXT_MAX;
  return {
    subscriptionId: m.subscriptionId,
    ...(m.displayName !== undefined ? { displayName: fitJson(m.displayName, t.displayName) } : {}),
    state: m.state,
    category: m.category,
    ...(m.reason !== undefined ? { reason: fitJson(m.reason, t.reason) } : {}),
    ...(m.runInstanceId !== undefined ? { runInstanceId: fitJson(m.runInstanceId, t.runInstanceId) } : {}),
    ...(m.runId !== undefined ? { runId: fitJson(m.runId, t.runId) } : {}),
    runStatus: m.runStatus,
    counts: m.counts,
    ...(m.startedAt !== undefined ? { startedAt: fitJson(m.startedAt, t.time) } : {}),
  };
}

/** Custom status of a lane: its members as they stand (laneStatusMember), and the run in flight. */
export const LaneStatusSchema = z.object({
  lane: z.number().int().min(0),
  members: z.array(CampaignMemberSchema),
  activeRun: z.string().optional(),
  cancelRequested: z.boolean().optional(),
});
export type LaneStatus = z.output<typeof LaneStatusSchema>;

/**
 * A queue of the campaign: its share of the subscriptions, run lane after lane (campaignLane, LANE_MEMBERS_MAX
 * subscriptions each) so that no history grows with the estate. The campaign runs as many queues as its cap on
 * concurrent subscriptions. The input lists every subscription of the queue, which is where the campaign's view
 * finds the subscriptions whose lane has not started.
 */
export const CampaignQueueInput = z.object({
  campaignId: z.string().min(1),
  campaignInstanceId: z.string().min(1),
  queue: z.number().int().min(0),
  members: CampaignLaneInput.shape.members,
  run: RunTemplateSchema,
});
export type CampaignQueueInput = z.output<typeof CampaignQueueInput>;

export const CampaignQueueOutput = CampaignLaneOutput;
export type CampaignQueueOutput = z.output<typeof CampaignQueueOutput>;

export const campaignQueueOrchestration = defineOrchestration("campaignQueue", CampaignQueueInput, CampaignQueueOutput);

/** Most subscriptions a queue's status names as cancelled before their lane (further ones show when the queue ends). */
export const QUEUE_STATUS_CANCELLED_MAX = 100;

/** Custom status of a queue: how many of its lanes have started, and its subscriptions cancelled before their lane. */
export const QueueStatusSchema = z.object({
  queue: z.number().int().min(0),
  lanes: z.number().int().min(0),
  cancelled: z.array(SubscriptionIdSchema).max(QUEUE_STATUS_CANCELLED_MAX),
  cancelRequested: z.boolean().optional(),
});
export type QueueStatus = z.output<typeof QueueStatusSchema>;

/**
 * Instance id of a queue of a campaign. It names the campaign id as well as the campaign's instance, which every
 * campaign over the same target shares: a queue left running by a terminated campaign never has the id a later
 * campaign's queue is started under (a sub-orchestration start under a live id is never answered: docs/architecture.md).
 */
export function queueInstanceId(campaignInstanceId: string, campaignId: string, queue: number): string {
  return `${campaignInstanceId}:${campaignId.toLowerCase()}:q${queue}`;
}

/** Instance id of a queue's `lane`-th lane. */
export function laneInstanceId(queueInstanceId: string, lane: number): string {
  return `${queueInstanceId}l${lane}`;
}

/** Name of the event that cancels one subscription of a campaign before its run starts. */
export function cancelMemberEvent(subscriptionId: string): string {
  return `cancel-${subscriptionId.toLowerCase()}`;
}

const ListManagementGroupSubscriptionsInput = z.object({ managementGroupId: ManagementGroupIdSchema });
export const ListManagementGroupSubscriptionsOutput = z.discriminatedUnion("status", [
  z.object({ status: z.literal("ok"), subscriptions: z.array(CampaignSubscriptionSchema) }),
  ArmFailureSchema,
]);
export const listManagementGroupSubscriptionsActivity = defineActivity(
  "listManagementGroupSubscriptions",
  ListManagementGroupSubscriptionsInput,
  ListManagementGroupSubscriptionsOutput,
);

export const recordCampaignStartedActivity = defineActivity(
  "recordCampaignStarted",
  CampaignInputSchema,
  AuditWriteOutput,
);
export const recordCampaignCompletedActivity = defineActivity(
  "recordCampaignCompleted",
  CampaignRecordSchema,
  AuditWriteOutput,
);
