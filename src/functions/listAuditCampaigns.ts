/** GET /api/audit/campaigns?from=&to=&pageSize=&continuationToken=: audited campaigns, newest first. */
import type { TriggerDefinition } from "./binding";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { CampaignAuditQuerySchema } from "../contracts/startRequest";
import { requireAuditStore, type TriggerRoot } from "./root";
import { handleErrors, jsonResponse, parseOr400, queryObject, requireRole } from "./http";

export async function listAuditCampaigns(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return handleErrors(root, context, async () => {
    requireRole(root, request, "Port25.Auditor");
    const query = parseOr400(CampaignAuditQuerySchema, queryObject(request), "query");
    const page = await requireAuditStore(root).listCampaigns(query);
    return jsonResponse(200, { campaigns: page.campaigns, continuationToken: page.continuationToken ?? null });
  });
}

export const listAuditCampaignsTrigger: TriggerDefinition = {
  kind: "http",
  name: "listAuditCampaigns",
  route: "audit/campaigns",
  methods: ["GET"],
  handler: listAuditCampaigns,
};
