/**
 * What the campaign endpoints share: the campaign named by the route, its URLs, and its one view — every
 * subscription's state, with each running run's phase and counts read from the run itself, and the totals.
 */
import type { HttpRequest } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import {
  campaignInstanceId,
  CampaignMemberSchema,
  CampaignOutputSchema,
  CampaignProgressSchema,
  campaignTotals,
  type CampaignMember,
  type CampaignPhase,
  type CampaignSummary,
  type CampaignTotals,
} from "../contracts/campaign";
import { campaignLaneIds, LaneStatusSchema } from "../contracts/functions/campaign";
import { withWaveCounts } from "../contracts/functions/runWave";
import { PhaseSchema, ProgressSchema, type Phase } from "../contracts/remediation";
import { errorResponse, HttpProblem, parseOr400, queryObject, requireRole, type Caller } from "./http";
import { SubscriptionIdSchema } from "../contracts/ids";
import { isLive, tryGetStatus } from "./instances";

/** A campaign's instance id (port25-campaign-<id>) or its bare campaign id. */
const CampaignIdParamSchema = z
  .string()
  .trim()
  .regex(/^(port25-campaign-)?[A-Za-z0-9-]{1,64}$/, "must be a campaign instance id (port25-campaign-<campaign id>) or a campaign id")
  .transform((s) => (s.toLowerCase().startsWith("port25-campaign-") ? s.toLowerCase() : campaignInstanceId(s)));

/** The route's campaign instance id; a 400 naming "id" when it is not one. */
export function campaignIdParam(request: HttpRequest): string {
  return parseOr400(z.object({ id: CampaignIdParamSchema }), { id: request.params.id ?? "" }, "route").id;
}

/** The campaign's URLs on our own API. */
export function campaignUrls(request: HttpRequest, instanceId: string, campaignId: string): { statusUrl: string; approveUrl: string; cancelUrl: string; reportUrl: string } {
  const origin = new URL(request.url).origin;
  const base = `${origin}/api/campaigns/${encodeURIComponent(instanceId)}`;
  return { statusUrl: base, approveUrl: `${base}/approve`, cancelUrl: `${base}/cancel`, reportUrl: `${origin}/api/audit/campaigns/${encodeURIComponent(campaignId)}?format=html` };
}

export const CampaignViewMemberSchema = CampaignMemberSchema.extend({ phase: PhaseSchema.optional() });
export type CampaignViewMember = z.output<typeof CampaignViewMemberSchema>;

export interface CampaignView {
  instanceId: string;
  campaignId: string;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  phase: CampaignPhase | "starting";
  message: string | null;
  cancelRequested: boolean;
  members: CampaignViewMember[];
  totals: CampaignTotals;
  summary: CampaignSummary | null;
  failure: string | null;
  /** The lanes in flight (the cancel endpoint signals them). */
  activeLanes: string[];
  /**
   * Subscriptions of the campaign waiting for a later round of lanes: not listed in `members` until their round
   * starts, counted in `totals` as pending.
   */
  queued: number;
}

/** The totals with the subscriptions still waiting for their round counted as pending. */
function withQueued(totals: CampaignTotals, queued: number): CampaignTotals {
  if (queued === 0) return totals;
  return { ...totals, subscriptions: totals.subscriptions + queued, byState: { ...totals.byState, pending: totals.byState.pending + queued } };
}

const CampaignIdOfInput = z.object({ campaignId: z.string() });

function iso(value: Date | string | undefined): string {
  return value === undefined ? "" : value instanceof Date ? value.toISOString() : value;
}

/** The campaign's view, or a 404 problem when there is no such campaign. */
export async function readCampaign(client: df.DurableClient, instanceId: string): Promise<{ status: df.DurableOrchestrationStatus; view: CampaignView }> {
  const status = await tryGetStatus(client, instanceId, true);
  if (!status) throw new HttpProblem(errorResponse(404, "NotFound", `No campaign instance ${instanceId}`));
  const input = CampaignIdOfInput.safeParse(status.input);
  const output = CampaignOutputSchema.safeParse(status.output);
  const progress = CampaignProgressSchema.safeParse(status.customStatus);
  const campaignId = output.success ? output.data.summary.campaignId : progress.success ? progress.data.campaignId : input.success ? input.data.campaignId : instanceId.replace(/^port25-campaign-/, "");
  let members: CampaignViewMember[] = [];
  let activeLanes: string[] = [];
  let queued = 0;
  if (output.success) {
    members = output.data.summary.members;
  } else if (progress.success) {
    activeLanes = progress.data.lanes;
    const laneIds = campaignLaneIds(instanceId, progress.data);
    const lanes = await Promise.all(laneIds.map((id) => tryGetStatus(client, id)));
    const found: CampaignMember[] = lanes.flatMap((lane) => {
      const s = LaneStatusSchema.safeParse(lane?.customStatus);
      return s.success ? s.data.members : [];
    });
    members = await Promise.all(found.map((m) => withRunProgress(client, m)));
    queued = Math.max(0, progress.data.subscriptions - members.length);
  }
  return {
    status,
    view: {
      instanceId,
      campaignId,
      runtimeStatus: status.runtimeStatus,
      createdTime: iso(status.createdTime),
      lastUpdatedTime: iso(status.lastUpdatedTime),
      phase: progress.success ? progress.data.phase : "starting",
      message: progress.success ? (progress.data.message ?? null) : null,
      cancelRequested: progress.success && progress.data.cancelRequested === true,
      members,
      totals: output.success ? output.data.summary.totals : withQueued(campaignTotals(members), queued),
      summary: output.success ? output.data.summary : null,
      failure: status.runtimeStatus === df.OrchestrationRuntimeStatus.Failed ? z.string().catch("failed").parse(status.output) : null,
      activeLanes,
      queued,
    },
  };
}

/** A running member with its run's phase and counts as they stand (the running wave's finished lanes counted). */
async function withRunProgress(client: df.DurableClient, member: CampaignMember): Promise<CampaignViewMember> {
  if (member.state !== "running" || member.runInstanceId === undefined) return member;
  const run = await tryGetStatus(client, member.runInstanceId);
  const parsed = ProgressSchema.safeParse(run?.customStatus);
  if (!parsed.success) return member;
  let progress = parsed.data;
  if ((progress.activeBatches ?? []).length > 0) {
    const waves = await Promise.all((progress.activeBatches ?? []).map((id) => tryGetStatus(client, id)));
    progress = withWaveCounts(progress, waves.map((w) => w?.customStatus));
  }
  const phase: Phase = progress.phase;
  return { ...member, phase, counts: progress.counts };
}

/** The campaign must be live for approve and cancel: 409 NotRunning otherwise. */
function requireLiveCampaign(status: df.DurableOrchestrationStatus, instanceId: string): void {
  if (!isLive(status)) throw new HttpProblem(errorResponse(409, "NotRunning", `Campaign ${instanceId} is ${status.runtimeStatus}`));
}

/** The member for `subscriptionId` (the `subscriptionId` query parameter), or a 404 naming it. */
export function memberOf(view: CampaignView, subscriptionId: string): CampaignViewMember {
  const m = view.members.find((x) => x.subscriptionId === subscriptionId.toLowerCase());
  if (m === undefined) {
    const later =
      view.queued > 0
        ? `; ${view.queued} of its subscriptions wait for a later round of lanes and are listed, and can be approved or cancelled one by one, once their round starts (cancel the whole campaign to keep every one of them from starting)`
        : "";
    throw new HttpProblem(errorResponse(404, "NotFound", `Subscription ${subscriptionId} is not (yet) part of campaign ${view.instanceId}${later}`, { queued: view.queued }));
  }
  return m;
}

const MemberQuerySchema = z.object({ subscriptionId: SubscriptionIdSchema.optional() }).strict();

/**
 * What approve and cancel of a campaign start from: the caller (an Operator), the live campaign named by the route
 * (400 malformed, 404 unknown, 409 over), its view, and the one subscription the `subscriptionId` query names.
 */
export async function campaignDecision(request: HttpRequest, client: df.DurableClient): Promise<{ caller: Caller; instanceId: string; view: CampaignView; subscriptionId: string | undefined }> {
  const caller = requireRole(request, "Port25.Operator");
  const instanceId = campaignIdParam(request);
  const query = parseOr400(MemberQuerySchema, queryObject(request), "query");
  const { status, view } = await readCampaign(client, instanceId);
  requireLiveCampaign(status, instanceId);
  return { caller, instanceId, view, subscriptionId: query.subscriptionId };
}
