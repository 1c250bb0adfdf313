/**
 * POST /api/campaigns/{id}/cancel[?subscriptionId=]: graceful cancel of the whole campaign — no subscription starts
 * after this, and every run in flight is cancelled as its own cancel endpoint would (no VM left half-cycled) — or of
 * one subscription: its run if it is running, else its turn (it will not start).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { CANCEL_EVENT } from "../contracts/names";
import { cancelMemberEvent } from "../contracts/functions/campaign";
import { errorResponse, handleErrors, jsonResponse } from "./http";
import { isLive, tryGetStatus } from "./instances";
import { cancelEventOf, cancelRunCascade } from "./cancelRemediation";
import { campaignDecision, campaignUrls, memberOf, readCampaign, type CampaignViewMember } from "./campaignView";
import { LaneStatusSchema } from "../contracts/functions/campaign";

export async function cancelCampaign(request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  return handleErrors(context, async () => {
    const { caller, instanceId, view, subscriptionId } = await campaignDecision(request, client);
    const event = cancelEventOf(caller);
    const runsSignalled: string[] = [];
    const pendingCancelled: string[] = [];
    const cancelRun = async (m: CampaignViewMember): Promise<void> => {
      if (m.runInstanceId === undefined) return;
      const run = await tryGetStatus(client, m.runInstanceId);
      if (run === undefined || !isLive(run)) return;
      await cancelRunCascade(client, m.runInstanceId, run, event);
      runsSignalled.push(m.runInstanceId);
    };
    if (subscriptionId !== undefined) {
      const m = memberOf(view, subscriptionId);
      if (m.state === "running") {
        await cancelRun(m);
      } else if (m.state === "pending") {
        const lane = await laneOf(client, view.activeLanes, m.subscriptionId);
        if (lane !== undefined) {
          await client.raiseEvent(lane, cancelMemberEvent(m.subscriptionId), event);
          pendingCancelled.push(m.subscriptionId);
        }
      }
      if (runsSignalled.length === 0 && pendingCancelled.length === 0) {
        return errorResponse(409, "NotCancellable", `Subscription ${m.subscriptionId} of campaign ${instanceId} is ${m.state}: nothing of it is left to cancel`, {
          instanceId,
          subscriptionId: m.subscriptionId,
          state: m.state,
        });
      }
    } else {
      // The campaign first (no further round), then its lanes (no further subscription), then the runs in flight.
      await client.raiseEvent(instanceId, CANCEL_EVENT, event);
      for (const lane of view.activeLanes) {
        const s = await tryGetStatus(client, lane);
        if (s !== undefined && isLive(s)) await client.raiseEvent(lane, CANCEL_EVENT, event);
      }
      for (const m of view.members) {
        if (m.state === "running") await cancelRun(m);
        else if (m.state === "pending") pendingCancelled.push(m.subscriptionId);
      }
      // A lane may have started a run between the read above and its cancel: read again and cancel that run too.
      const again = await readCampaign(client, instanceId);
      for (const m of again.view.members) {
        if (m.state !== "running" || m.runInstanceId === undefined || runsSignalled.includes(m.runInstanceId)) continue;
        await cancelRun(m);
        const i = pendingCancelled.indexOf(m.subscriptionId);
        if (i >= 0) pendingCancelled.splice(i, 1);
      }
    }
    return jsonResponse(202, { instanceId, ...event, runsSignalled, pendingCancelled, ...campaignUrls(request, instanceId, view.campaignId) });
  });
}

/** The live lane whose status lists the subscription. */
async function laneOf(client: df.DurableClient, lanes: readonly string[], subscriptionId: string): Promise<string | undefined> {
  for (const id of lanes) {
    const s = await tryGetStatus(client, id);
    const lane = LaneStatusSchema.safeParse(s?.customStatus);
    if (s !== undefined && isLive(s) && lane.success && lane.data.members.some((m) => m.subscriptionId === subscriptionId)) return id;
  }
  return undefined;
}

df.app.client.http("cancelCampaign", {
  route: "campaigns/{id}/cancel",
  methods: ["POST"],
  authLevel: "function",
  handler: cancelCampaign,
});
