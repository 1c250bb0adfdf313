/** GET /api/audit/campaigns?from=&to=&pageSize=&continuationToken=: audited campaigns, newest first. */
import type { TriggerDefinition } from "./binding";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { CampaignAuditQuerySchema } from "../contracts/startRequest";
import { requireAuditStore, type TriggerRoot } from "./root";
import { jsonResponse } from "./http";
import { readRequest } from "./request";

export async function listAuditCampaigns(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return readRequest(
    root,
    request,
    context,
    { role: "Port25.Auditor", query: CampaignAuditQuerySchema },
    async ({ query }) => {
      const page = await requireAuditStore(root).listCampaigns(query);
      return jsonResponse(200, { campaigns: page.campaigns, continuationToken: page.continuationToken ?? null });
    },
  );
}

export const listAuditCampaignsTrigger: TriggerDefinition = {
  kind: "http",
  name: "listAuditCampaigns",
  route: "audit/campaigns",
  methods: ["GET"],
  handler: listAuditCampaigns,
};
