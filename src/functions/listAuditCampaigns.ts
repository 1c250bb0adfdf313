/** GET /api/audit/campaigns?from=&to=&pageSize=&continuationToken=: audited campaigns, newest first. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { CampaignAuditQuerySchema } from "../contracts/startRequest";
import { requireAuditStore } from "../audit/current";
import { handleErrors, jsonResponse, parseOr400, queryObject, requireRole } from "./http";

export async function listAuditCampaigns(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return handleErrors(context, async () => {
    requireRole(request, "Port25.Auditor");
    const query = parseOr400(CampaignAuditQuerySchema, queryObject(request), "query");
    const page = await requireAuditStore().listCampaigns(query);
    return jsonResponse(200, { campaigns: page.campaigns, continuationToken: page.continuationToken ?? null });
  });
}

app.http("listAuditCampaigns", {
  route: "audit/campaigns",
  methods: ["GET"],
  authLevel: "function",
  handler: listAuditCampaigns,
});
