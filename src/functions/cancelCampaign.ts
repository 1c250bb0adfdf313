/**
 * POST /api/campaigns/{id}/cancel[?subscriptionId=]: graceful cancel of the whole campaign — no subscription starts
 * after this, and every run in flight is cancelled as its own cancel endpoint would (no VM left half-cycled) — or of
 * one subscription: its run if it is running, else its turn (it will not start).
 */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { CANCEL_EVENT } from "../contracts/names";
import { cancelMemberEvent } from "../contracts/durable/campaign";
import { errorResponse, jsonResponse } from "./http";
import { tryGetStatus } from "../durableClient";
import { cancelEventOf, cancelRunCascade } from "./cancelRemediation";
import {
  campaignIdParam,
  campaignUrls,
  memberOf,
  MemberQuerySchema,
  readCampaign,
  readLiveCampaign,
} from "./campaignView";
import { actionRequest } from "./request";
import { isLive, type CampaignViewMember } from "../domain/campaignMembers";

export async function cancelCampaign(
  root: TriggerRoot,
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return actionRequest(
    root,
    request,
    context,
    { role: "Port25.Operator", route: campaignIdParam, query: MemberQuerySchema },
    async ({ caller, route: instanceId, query: { subscriptionId } }) => {
      const view = await readLiveCampaign(client, instanceId);
      const event = cancelEventOf(root, caller);
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
          // Its lane if one lists it, else its queue: whichever would start it keeps it from starting.
          const holder = view.holders.get(m.subscriptionId);
          if (holder !== undefined) {
            await client.raiseEvent(holder, cancelMemberEvent(m.subscriptionId), event);
            pendingCancelled.push(m.subscriptionId);
            // Its queue may have handed it to a lane meanwhile: read again and tell that lane, or cancel its run.
            const reread = (await readCampaign(client, instanceId)).view;
            const again = memberOf(reread, m.subscriptionId);
            const now = reread.holders.get(m.subscriptionId);
            if (again.state === "running") await cancelRun(again);
            else if (now !== undefined && now !== holder)
              await client.raiseEvent(now, cancelMemberEvent(m.subscriptionId), event);
          }
        }
        if (runsSignalled.length === 0 && pendingCancelled.length === 0) {
          return errorResponse(
            409,
            "NotCancellable",
            `Subscription ${m.subscriptionId} of campaign ${instanceId} is ${m.state}: nothing of it is left to cancel`,
            {
              instanceId,
              subscriptionId: m.subscriptionId,
              state: m.state,
            },
          );
        }
      } else {
        // The campaign first, then its queues and lanes in flight (no further subscription starts), then the runs.
        await client.raiseEvent(instanceId, CANCEL_EVENT, event);
        const signalled = new Set<string>();
        const signal = async (ids: readonly string[]): Promise<void> => {
          for (const id of ids) {
            if (signalled.has(id)) continue;
            const s = await tryGetStatus(client, id);
            if (s !== undefined && isLive(s)) await client.raiseEvent(id, CANCEL_EVENT, event);
            signalled.add(id);
          }
        };
        await signal(view.active);
        for (const m of view.members) {
          if (m.state === "running") await cancelRun(m);
          else if (m.state === "pending") pendingCancelled.push(m.subscriptionId);
        }
        // A queue may have started a lane, or a lane a run, between the read above and its cancel: read again.
        const again = await readCampaign(client, instanceId);
        await signal(again.view.active);
        for (const m of again.view.members) {
          if (m.state !== "running" || m.runInstanceId === undefined || runsSignalled.includes(m.runInstanceId))
            continue;
          await cancelRun(m);
          const i = pendingCancelled.indexOf(m.subscriptionId);
          if (i >= 0) pendingCancelled.splice(i, 1);
        }
      }
      return jsonResponse(202, {
        instanceId,
        ...event,
        runsSignalled,
        pendingCancelled,
        ...campaignUrls(request, instanceId, view.campaignId),
      });
    },
  );
}

export const cancelCampaignTrigger: TriggerDefinition = {
  kind: "clientHttp",
  name: "cancelCampaign",
  route: "campaigns/{id}/cancel",
  methods: ["POST"],
  handler: cancelCampaign,
};
