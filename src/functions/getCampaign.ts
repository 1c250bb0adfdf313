/** GET /api/campaigns/{id}: the campaign's one view — every subscription's state and counts, and the totals. */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { jsonResponse } from "./http";
import { readRequest } from "./request";
import { campaignIdParam, campaignUrls, readCampaign } from "./campaignView";

export async function getCampaign(
  root: TriggerRoot,
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const spec = { role: ["Port25.Operator", "Port25.Auditor"], route: campaignIdParam, query: "unread" } as const;
  return readRequest(root, request, context, spec, async ({ route: instanceId }) => {
    const { view } = await readCampaign(client, instanceId);
    const { active: _active, holders: _holders, ...shown } = view;
    return jsonResponse(200, { ...shown, ...campaignUrls(request, instanceId, view.campaignId) });
  });
}

export const getCampaignTrigger: TriggerDefinition = {
  kind: "clientHttp",
  name: "getCampaign",
  route: "campaigns/{id}",
  methods: ["GET"],
  handler: getCampaign,
};
