/** POST /api/remediations/{id}/approve: release a run that waits for approval. */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { APPROVE_EVENT } from "../contracts/names";
import { callerIdentity, errorResponse, handleErrors, jsonResponse, requireRole } from "./http";
import { isLive, statusUrls, tryGetStatus } from "./instances";
import { instanceIdParam } from "./params";

export async function approveRemediation(
  request: HttpRequest,
  client: df.DurableClient,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  return handleErrors(async () => {
    requireRole(request, "Port25.Operator");
    const instanceId = instanceIdParam(request);
    const status = await tryGetStatus(client, instanceId);
    if (!status) return errorResponse(404, "NotFound", `No remediation instance ${instanceId}`);
    if (!isLive(status)) return errorResponse(409, "NotRunning", `Remediation ${instanceId} is ${status.runtimeStatus}`);
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
