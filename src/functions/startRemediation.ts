/** POST /api/remediations: validate the request, refuse a second live run, start remediateSubscription. */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { z } from "zod";
import { RemediationInputSchema, remediationInstanceId } from "../contracts/remediation";
import { MAX_REQUEST_BYTES, StartRequestSchema } from "../contracts/startRequest";
import { runInputOf } from "../contracts/campaign";
import { newRunId, runTemplateOf } from "./runTemplate";
import { REMEDIATE_SUBSCRIPTION } from "../contracts/names";
import { errorResponse, HttpProblem, jsonResponse, validationResponse } from "./http";
import { actionRequest } from "./request";
import { statusUrls } from "./instances";
import { findLiveInstance } from "../durableClient";
import { isLive } from "../domain/campaignMembers";

/** Clock skew tolerated on attestation.approvedAt. */
const FUTURE_SKEW_MS = 5 * 60 * 1000;

/** 400 when the exemption's approval is dated in the future (beyond clock skew). */
export function refuseFutureApproval(approvedAt: string, now: Date): void {
  if (Date.parse(approvedAt) > now.getTime() + FUTURE_SKEW_MS) {
    throw new HttpProblem(
      validationResponse("request body", [{ path: "attestation.approvedAt", message: "must not be in the future" }]),
    );
  }
}

const RunIdOfInput = z.object({ runId: z.string() });

/** The live instance's status and the run id in its input, when the instance is live. */
async function liveRunOf(
  client: df.DurableClient,
  instanceId: string,
): Promise<{ status: df.DurableOrchestrationStatus; runId: string | undefined } | undefined> {
  const status = await client.getStatus(instanceId, { showInput: true });
  if (!status.instanceId || !isLive(status)) return undefined;
  const input = RunIdOfInput.safeParse(status.input);
  return { status, runId: input.success ? input.data.runId : undefined };
}

export async function startRemediation(
  root: TriggerRoot,
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return actionRequest(
    root,
    request,
    context,
    { role: "Port25.Operator", body: { schema: StartRequestSchema, maxBytes: MAX_REQUEST_BYTES } },
    async ({ caller, body: start }) => {
      const clock = root.clock;
      const now = clock.now();
      refuseFutureApproval(start.attestation.approvedAt, now);
      const instanceId = remediationInstanceId(start.subscriptionId);
      const conflict = (live: df.DurableOrchestrationStatus): HttpResponseInit =>
        errorResponse(
          409,
          "RunInProgress",
          `A remediation of subscription ${start.subscriptionId} is already ${live.runtimeStatus}`,
          {
            instanceId,
            ...statusUrls(request, instanceId),
          },
        );
      const live = await findLiveInstance(client, instanceId);
      if (live) return conflict(live);
      const input = RemediationInputSchema.parse(
        runInputOf(
          runTemplateOf(start, caller, now, root.config.PORT25_PROBE_HOST, clock.kind),
          start.subscriptionId,
          newRunId(now),
        ),
      );
      try {
        await client.startNew(REMEDIATE_SUBSCRIPTION, { instanceId, input });
      } catch (e) {
        // The check above and the start are two calls: a start of the same subscription in between wins, and the
        // extension refuses ours because the instance exists. Whatever words it refuses in, the instance tells:
        // live with another run's id → that run won (409); live with ours → our start went through after all.
        const winner = await liveRunOf(client, instanceId);
        if (winner === undefined) throw e;
        if (winner.runId !== input.runId) return conflict(winner.status);
      }
      const urls = statusUrls(request, instanceId);
      return jsonResponse(
        202,
        {
          instanceId,
          runId: input.runId,
          subscriptionId: input.subscriptionId,
          mode: input.mode,
          requestedBy: input.requestedBy,
          ...(input.requireApproval
            ? { requireApproval: true, allowSelfApproval: input.allowSelfApproval === true }
            : {}),
          ...urls,
        },
        { location: urls.statusUrl },
      );
    },
  );
}

export const startRemediationTrigger: TriggerDefinition = {
  kind: "clientHttp",
  name: "startRemediation",
  route: "remediations",
  methods: ["POST"],
  handler: startRemediation,
};
