/** POST /api/remediations/{id}/approve: release a run that waits for approval. */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { APPROVE_EVENT } from "../contracts/names";
import { callerIdentity, handleErrors, jsonResponse, requireRole } from "./http";
import { requireLiveInstance, statusUrls } from "./instances";

export async function approveRemediation(
  request: HttpRequest,
  client: df.DurableClient,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  return handleErrors(async () => {
    requireRole(request, "Port25.Operator");
    const { instanceId } = await requireLiveInstance(client, request);
    const approvedBy = callerIdentity(request);
    await client.raiseEvent(instanceId, APPROVE_EVENT, { approvedBy });
    return jsonResponse(202, { instanceId, approvedBy, ...statusUrls(client, request, instanceId) });
  });
}

df.app.client.http("approveRemediation", {
  route: "remediations/{id}/approve",
  methods: ["POST"],
  authLevel: "function",
  handler: approveRemediation,
});
