/** GET /api/audit/runs?subscriptionId=&campaignId=&from=&to=&pageSize=&continuationToken=: audited runs, newest first. */
import type { TriggerDefinition } from "./binding";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { AuditQuerySchema } from "../contracts/startRequest";
import { requireAuditStore, type TriggerRoot } from "./root";
import { jsonResponse } from "./http";
import { readRequest } from "./request";

export async function listAuditRuns(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return readRequest(root, request, context, { role: "Port25.Auditor", query: AuditQuerySchema }, async ({ query }) => {
    const page = await requireAuditStore(root).listRuns(query);
    return jsonResponse(200, { runs: page.runs, continuationToken: page.continuationToken ?? null });
  });
}

export const listAuditRunsTrigger: TriggerDefinition = {
  kind: "http",
  name: "listAuditRuns",
  route: "audit/runs",
  methods: ["GET"],
  handler: listAuditRuns,
};
