/**
 * POST /api/campaigns/{id}/approve[?subscriptionId=]: approve every run of the campaign that waits for approval now
 * (each by the run's own rules: four eyes, waiting in its approval phase), or one subscription's run. A run that
 * reaches its approval later waits for its own approval: approve the campaign again, or that subscription.
 */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { APPROVE_EVENT } from "../contracts/names";
import { errorResponse, jsonResponse } from "./http";
import { tryGetStatus } from "../durableClient";
import { approvalFor } from "./approveRemediation";
import { campaignIdParam, campaignUrls, memberOf, MemberQuerySchema, readLiveCampaign } from "./campaignView";
import { actionRequest } from "./request";
import { isLive } from "../domain/campaignMembers";

export async function approveCampaign(
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
      const targets = subscriptionId !== undefined ? [memberOf(view, subscriptionId)] : view.members;
      const approved: { subscriptionId: string; runInstanceId: string }[] = [];
      const notWaiting: { subscriptionId: string; state: string; phase?: string | undefined }[] = [];
      const refused: { subscriptionId: string; code: string; message: string }[] = [];
      for (const m of targets) {
        if (m.state !== "running" || m.runInstanceId === undefined) {
          notWaiting.push({ subscriptionId: m.subscriptionId, state: m.state });
          continue;
        }
        const run = await tryGetStatus(client, m.runInstanceId, true);
        if (run === undefined || !isLive(run)) {
          notWaiting.push({ subscriptionId: m.subscriptionId, state: m.state, phase: m.phase });
          continue;
        }
        const decision = approvalFor(root, request, caller, m.runInstanceId, run);
        if ("refused" in decision) {
          if (subscriptionId !== undefined) return decision.refused;
          if (decision.code === "NotWaitingForApproval")
            notWaiting.push({ subscriptionId: m.subscriptionId, state: m.state, phase: m.phase });
          else refused.push({ subscriptionId: m.subscriptionId, code: decision.code, message: decision.message });
          continue;
        }
        await client.raiseEvent(m.runInstanceId, APPROVE_EVENT, decision.event);
        approved.push({ subscriptionId: m.subscriptionId, runInstanceId: m.runInstanceId });
      }
      if (subscriptionId !== undefined && approved.length === 0) {
        const m = targets[0];
        return errorResponse(
          409,
          "NotWaitingForApproval",
          `Subscription ${subscriptionId} of campaign ${instanceId} has no run waiting for approval: it is ${m?.state ?? "unknown"}`,
          {
            instanceId,
            subscriptionId: subscriptionId,
            state: m?.state,
          },
        );
      }
      if (approved.length === 0 && refused.length > 0) {
        return errorResponse(403, refused[0]?.code ?? "SelfApprovalRefused", refused.map((r) => r.message).join(" "), {
          instanceId,
          refused,
          notWaiting,
        });
      }
      return jsonResponse(202, {
        instanceId,
        approvedBy: caller.name,
        approved,
        notWaiting,
        refused,
        ...campaignUrls(request, instanceId, view.campaignId),
      });
    },
  );
}

export const approveCampaignTrigger: TriggerDefinition = {
  kind: "clientHttp",
  name: "approveCampaign",
  route: "campaigns/{id}/approve",
  methods: ["POST"],
  handler: approveCampaign,
};
