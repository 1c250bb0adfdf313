/**
 * GET /api/audit/verify[?subscriptionId=]: checks the audit's hash chains against the records as stored now (every
 * chain, or one subscription's) and answers what is wrong: a record changed, removed or reordered, a link altered or
 * removed, a final record no link vouches for. 200 either way; `ok` says which.
 */
import type { TriggerDefinition } from "./binding";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { SubscriptionIdSchema } from "../contracts/ids";
import { requireAuditStore, type TriggerRoot } from "./root";
import { handleErrors, jsonResponse, parseOr400, queryObject, requireRole } from "./http";

const VerifyQuerySchema = z.object({ subscriptionId: SubscriptionIdSchema.optional() }).strict();

export async function verifyAudit(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return handleErrors(root, context, async () => {
    requireRole(root, request, "Port25.Auditor");
    const query = parseOr400(VerifyQuerySchema, queryObject(request), "query");
    return jsonResponse(200, await requireAuditStore(root).verify(query.subscriptionId));
  });
}

export const verifyAuditTrigger: TriggerDefinition = {
  kind: "http",
  name: "verifyAudit",
  route: "audit/verify",
  methods: ["GET"],
  handler: verifyAudit,
};
