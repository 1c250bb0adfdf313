/**
 * What the campaign endpoints share: the campaign named by the route, its URLs, and its one view — every
 * subscription's state, with each running run's phase and counts read from the run itself, and the totals.
 */
import type { HttpRequest } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import { ClockKindSchema, type ClockKind } from "../contracts/clock";
import {
  campaignInstanceId,
  CampaignOutputSchema,
  CampaignProgressSchema,
  campaignTotals,
  type CampaignPhase,
  type CampaignSummary,
  type CampaignTotals,
} from "../contracts/campaign";
import { errorResponse, HttpProblem, parseOr400 } from "./http";
import { SubscriptionIdSchema } from "../contracts/ids";
import { tryGetStatus } from "../durableClient";
import { isLive, liveMembers, type CampaignViewMember } from "../domain/campaignMembers";

/** A campaign's instance id (port25-campaign-<id>) or its bare campaign id. */
const CampaignIdParamSchema = z
  .string()
  .trim()
  .regex(
    /^(port25-campaign-)?[A-Za-z0-9-]{1,64}$/,
    "must be a campaign instance id (port25-campaign-<campaign id>) or a campaign id",
  )
  .transform((s) => (s.toLowerCase().startsWith("port25-campaign-") ? s.toLowerCase() : campaignInstanceId(s)));

/** The route's campaign instance id; a 400 naming "id" when it is not one. */
export function campaignIdParam(request: HttpRequest): string {
  return parseOr400(z.object({ id: CampaignIdParamSchema }), { id: request.params.id ?? "" }, "route").id;
}

/** The campaign's URLs on our own API. */
export function campaignUrls(
  request: HttpRequest,
  instanceId: string,
  campaignId: string,
): { statusUrl: string; approveUrl: string; cancelUrl: string; reportUrl: string } {
  const origin = new URL(request.url).origin;
  const base = `${origin}/api/campaigns/${encodeURIComponent(instanceId)}`;
  return {
    statusUrl: base,
    approveUrl: `${base}/approve`,
    cancelUrl: `${base}/cancel`,
    reportUrl: `${origin}/api/audit/campaigns/${encodeURIComponent(campaignId)}?format=html`,
  };
}

interface CampaignView {
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
  /** The clock that stamped the campaign's times ("simulated" on a local stack); absent: the wall clock. */
  clock?: ClockKind;
  /** The queues and lanes in flight (the cancel endpoint signals them). */
  active: string[];
  /** For each pending subscription, the instance that would start it: its lane when listed there, else its queue. */
  holders: Map<string, string>;
}

const CampaignIdOfInput = z.object({
  campaignId: z.string(),
  run: z.object({ clock: ClockKindSchema.optional() }).optional(),
});

function iso(value: Date | string | undefined): string {
  return value === undefined ? "" : value instanceof Date ? value.toISOString() : value;
}

/** The campaign's view, or a 404 problem when there is no such campaign. */
export async function readCampaign(
  client: df.DurableClient,
  instanceId: string,
): Promise<{ status: df.DurableOrchestrationStatus; view: CampaignView }> {
  const status = await tryGetStatus(client, instanceId, true);
  if (!status) throw new HttpProblem(errorResponse(404, "NotFound", `No campaign instance ${instanceId}`));
  const input = CampaignIdOfInput.safeParse(status.input);
  const output = CampaignOutputSchema.safeParse(status.output);
  const progress = CampaignProgressSchema.safeParse(status.customStatus);
  const campaignId = input.success ? input.data.campaignId : instanceId.replace(/^port25-campaign-/, "");
  let members: CampaignViewMember[] = [];
  let active: string[] = [];
  let holders = new Map<string, string>();
  if (output.success) {
    members = output.data.summary.members;
  } else if (progress.success) {
    const live = await liveMembers((id, showInput) => tryGetStatus(client, id, showInput), progress.data.queues);
    members = live.members;
    active = live.active;
    holders = live.holders;
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
      totals: output.success ? output.data.summary.totals : campaignTotals(members),
      summary: output.success ? output.data.summary : null,
      failure:
        status.runtimeStatus === df.OrchestrationRuntimeStatus.Failed
          ? z.string().catch("failed").parse(status.output)
          : null,
      ...(input.success && input.data.run?.clock !== undefined ? { clock: input.data.run.clock } : {}),
      active,
      holders,
    },
  };
}

/** The view of the campaign approve and cancel act on: 404 unknown, 409 NotRunning when it is over. */
export async function readLiveCampaign(client: df.DurableClient, instanceId: string): Promise<CampaignView> {
  const { status, view } = await readCampaign(client, instanceId);
  if (!isLive(status))
    throw new HttpProblem(errorResponse(409, "NotRunning", `Campaign ${instanceId} is ${status.runtimeStatus}`));
  return view;
}

/** The member for `subscriptionId` (the `subscriptionId` query parameter), or a 404 naming it. */
export function memberOf(view: CampaignView, subscriptionId: string): CampaignViewMember {
  const m = view.members.find((x) => x.subscriptionId === subscriptionId.toLowerCase());
  if (m === undefined) {
    const listing =
      view.phase === "resolve" || view.phase === "starting"
        ? " (its subscriptions are being listed: try again in a moment)"
        : "";
    throw new HttpProblem(
      errorResponse(
        404,
        "NotFound",
        `Subscription ${subscriptionId} is not part of campaign ${view.instanceId}${listing}`,
      ),
    );
  }
  return m;
}

/** The query of approve and cancel of a campaign: at most the one subscription to act on. */
export const MemberQuerySchema = z.object({ subscriptionId: SubscriptionIdSchema.optional() }).strict();
