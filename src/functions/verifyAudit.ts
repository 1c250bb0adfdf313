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
import { jsonResponse } from "./http";
import { readRequest } from "./request";

const VerifyQuerySchema = z.object({ subscriptionId: SubscriptionIdSchema.optional() }).strict();

export async function verifyAudit(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return readRequest(
    root,
    request,
    context,
    { role: "Port25.Auditor", query: VerifyQuerySchema },
    async ({ query }) => {
      return jsonResponse(200, await requireAuditStore(root).verify(query.subscriptionId));
    },
  );
}

export const verifyAuditTrigger: TriggerDefinition = {
  kind: "http",
  name: "verifyAudit",
  route: "audit/verify",
  methods: ["GET"],
  handler: verifyAudit,
};
