/**
 * POST /api/remediations/{id}/approve: release a run that waits for approval. Only a run in its approval phase can
 * be approved: anything else is a 409 naming the phase, so an approval never lands unseen on a run that did not ask
 * for one (or has gone past it).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { APPROVE_EVENT } from "../contracts/names";
import { ApproveEventSchema } from "../contracts/events";
import { ProgressSchema } from "../contracts/remediation";
import { callerIdentity, errorResponse, handleErrors, jsonResponse, requireRole } from "./http";
import { requireLiveInstance, statusUrls } from "./instances";

export async function approveRemediation(
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return handleErrors(context, async () => {
    requireRole(request, "Port25.Operator");
    const { instanceId, status } = await requireLiveInstance(client, request);
    const progress = ProgressSchema.safeParse(status.customStatus);
    const phase = progress.success ? progress.data.phase : "starting";
    if (phase !== "approve") {
      return errorResponse(409, "NotWaitingForApproval", `Remediation ${instanceId} is not waiting for approval: it is in phase "${phase}"`, {
        instanceId,
        phase,
        ...statusUrls(client, request, instanceId),
      });
    }
    const event = ApproveEventSchema.parse({ approvedBy: callerIdentity(request), approvedAt: new Date().toISOString() });
    await client.raiseEvent(instanceId, APPROVE_EVENT, event);
    return jsonResponse(202, { instanceId, ...event, ...statusUrls(client, request, instanceId) });
  });
}

df.app.client.http("approveRemediation", {
  route: "remediations/{id}/approve",
  methods: ["POST"],
  authLevel: "function",
  handler: approveRemediation,
});
