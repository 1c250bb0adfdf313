/**
 * POST /api/campaigns: validate the request, refuse a second live campaign over the same target (409: the instance id
 * is the target's key, so the engine's singleton rule refuses it even when starts race) or over a target sharing
 * subscriptions with a live one, start remediateCampaign. Subscriptions already running are the campaign's to report (each is checked just before its
 * turn), never started twice.
 */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import {
  campaignIdFor,
  campaignInstanceIdOf,
  CampaignInputSchema,
  CampaignStartRequestSchema,
  targetOf,
  type CampaignTarget,
} from "../contracts/campaign";
import { MAX_REQUEST_BYTES } from "../contracts/startRequest";
import { REMEDIATE_CAMPAIGN } from "../contracts/names";
import { errorResponse, jsonResponse } from "./http";
import { actionRequest } from "./request";
import { refuseFutureApproval } from "./startRemediation";
import { newRunId, runTemplateOf } from "./runTemplate";
import { campaignUrls } from "./campaignView";
import { findLiveInstance } from "../durableClient";

/** Two targets that would remediate the same subscriptions: the same management group, or lists that share one. */
function overlaps(a: CampaignTarget, b: CampaignTarget): boolean {
  if (a.kind === "managementGroup" && b.kind === "managementGroup")
    return a.managementGroupId.toLowerCase() === b.managementGroupId.toLowerCase();
  if (a.kind === "subscriptions" && b.kind === "subscriptions")
    return a.subscriptionIds.some((s) => b.subscriptionIds.includes(s));
  return false;
}

export async function startCampaign(
  root: TriggerRoot,
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return actionRequest(
    root,
    request,
    context,
    { role: "Port25.Operator", body: { schema: CampaignStartRequestSchema, maxBytes: MAX_REQUEST_BYTES } },
    async ({ caller, body: start }) => {
      const clock = root.clock;
      const now = clock.now();
      refuseFutureApproval(start.attestation.approvedAt, now);
      const target = targetOf(start);
      // A campaign over the same target is refused by the engine itself: the instance id is the target's key, and a
      // client start under the id of a Running or Pending instance fails (the singleton rule). The list below catches a
      // different target that shares subscriptions (those would only be reported alreadyRunning, run by run).
      const instanceId = campaignInstanceIdOf(target);
      const conflict = (other: df.DurableOrchestrationStatus): HttpResponseInit | undefined => {
        const input = CampaignInputSchema.safeParse(other.input);
        if (!input.success) return undefined;
        return errorResponse(
          409,
          "CampaignInProgress",
          `Campaign ${other.instanceId} over ${describe(input.data.target)} is already ${other.runtimeStatus}`,
          {
            instanceId: other.instanceId,
            ...campaignUrls(request, other.instanceId, input.data.campaignId),
          },
        );
      };
      const live = await client.getStatusBy({
        runtimeStatus: [
          df.OrchestrationRuntimeStatus.Running,
          df.OrchestrationRuntimeStatus.Pending,
          df.OrchestrationRuntimeStatus.Suspended,
        ],
      });
      for (const other of live) {
        if (other.name !== REMEDIATE_CAMPAIGN) continue;
        const input = CampaignInputSchema.safeParse(other.input);
        if (!input.success || (other.instanceId !== instanceId && !overlaps(target, input.data.target))) continue;
        const answer = conflict(other);
        if (answer !== undefined) return answer;
      }
      const campaignId = campaignIdFor(target, newRunId(now, 4));
      const input = CampaignInputSchema.parse({
        campaignId,
        target,
        maxConcurrentSubscriptions: start.maxConcurrentSubscriptions,
        run: runTemplateOf(start, caller, now, root.config.PORT25_PROBE_HOST, clock.kind),
      });
      try {
        await client.startNew(REMEDIATE_CAMPAIGN, { instanceId, input });
      } catch (e) {
        // Refused: a campaign over the same target started between the list and ours. Whatever words the engine
        // refuses in, the instance tells: live with another campaign id → that one won (409); ours → ours went through.
        const holder = await findLiveInstance(client, instanceId, true);
        const held = CampaignInputSchema.safeParse(holder?.input);
        if (holder === undefined || !held.success) throw e;
        if (held.data.campaignId !== campaignId)
          return (
            conflict(holder) ??
            errorResponse(409, "CampaignInProgress", `Campaign ${instanceId} is already ${holder.runtimeStatus}`, {
              instanceId,
            })
          );
      }
      const urls = campaignUrls(request, instanceId, campaignId);
      return jsonResponse(
        202,
        {
          instanceId,
          campaignId,
          target,
          mode: input.run.mode,
          requestedBy: input.run.requestedBy,
          maxConcurrentSubscriptions: input.maxConcurrentSubscriptions,
          ...(input.run.requireApproval
            ? { requireApproval: true, allowSelfApproval: input.run.allowSelfApproval === true }
            : {}),
          ...urls,
        },
        { location: urls.statusUrl },
      );
    },
  );
}

function describe(target: CampaignTarget): string {
  return target.kind === "managementGroup"
    ? `management group ${target.managementGroupId}`
    : `${target.subscriptionIds.length} subscription(s)`;
}

export const startCampaignTrigger: TriggerDefinition = {
  kind: "clientHttp",
  name: "startCampaign",
  route: "campaigns",
  methods: ["POST"],
  handler: startCampaign,
};
