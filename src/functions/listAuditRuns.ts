/** GET /api/audit/runs?subscriptionId=&campaignId=&from=&to=&pageSize=&continuationToken=: audited runs, newest first. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { AuditQuerySchema } from "../contracts/startRequest";
import { requireAuditStore } from "../audit/current";
import { handleErrors, jsonResponse, parseOr400, queryObject, requireRole } from "./http";

export async function listAuditRuns(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return handleErrors(context, async () => {
    requireRole(request, "Port25.Auditor");
    const query = parseOr400(AuditQuerySchema, queryObject(request), "query");
    const page = await requireAuditStore().listRuns(query);
    return jsonResponse(200, { runs: page.runs, continuationToken: page.continuationToken ?? null });
  });
}

app.http("listAuditRuns", {
  route: "audit/runs",
  methods: ["GET"],
  authLevel: "function",
  handler: listAuditRuns,
});
