/** POST /api/remediations: validate the request, refuse a second live run, start remediateSubscription. */
import { randomUUID } from "node:crypto";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { getConfig } from "../config";
import { RemediationInputSchema, remediationInstanceId } from "../contracts/remediation";
import { MAX_REQUEST_BYTES, StartRequestSchema } from "../contracts/startRequest";
import { REMEDIATE_SUBSCRIPTION } from "../contracts/names";
import {
  callerIdentity,
  errorResponse,
  handleErrors,
  HttpProblem,
  jsonResponse,
  parseOr400,
  readJsonBody,
  requireRole,
  validationResponse,
} from "./http";
import { findLiveInstance, statusUrls } from "./instances";

/** Clock skew tolerated on attestation.approvedAt. */
const FUTURE_SKEW_MS = 5 * 60 * 1000;

export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${stamp}-${randomUUID().slice(0, 8)}`;
}

export async function startRemediation(
  request: HttpRequest,
  client: df.DurableClient,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  return handleErrors(async () => {
    requireRole(request, "Port25.Operator");
    const body = await readJsonBody(request, MAX_REQUEST_BYTES);
    const start = parseOr400(StartRequestSchema, body, "request body");
    const now = new Date();
    if (Date.parse(start.attestation.approvedAt) > now.getTime() + FUTURE_SKEW_MS) {
      throw new HttpProblem(
        validationResponse("request body", [{ path: "attestation.approvedAt", message: "must not be in the future" }]),
      );
    }
    const instanceId = remediationInstanceId(start.subscriptionId);
    const live = await findLiveInstance(client, instanceId);
    if (live) {
      return errorResponse(409, "RunInProgress", `A remediation of subscription ${start.subscriptionId} is already ${live.runtimeStatus}`, {
        instanceId,
        ...statusUrls(client, request, instanceId),
      });
    }
    const config = getConfig();
    const input = RemediationInputSchema.parse({
      subscriptionId: start.subscriptionId,
      attestation: start.attestation,
      mode: start.mode,
      requireApproval: start.requireApproval,
      options: start.options,
      requestedBy: callerIdentity(request),
      requestedAt: now.toISOString(),
      probeHost: start.options.probeHost ?? config.PORT25_PROBE_HOST,
      runId: newRunId(now),
    });
    await client.startNew(REMEDIATE_SUBSCRIPTION, { instanceId, input });
    const urls = statusUrls(client, request, instanceId);
    return jsonResponse(
      202,
      { instanceId, runId: input.runId, subscriptionId: input.subscriptionId, mode: input.mode, ...urls },
      { location: urls.statusUrl },
    );
  });
}

df.app.client.http("startRemediation", {
  route: "remediations",
  methods: ["POST"],
  authLevel: "function",
  handler: startRemediation,
});
