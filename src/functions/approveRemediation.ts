/**
 * POST /api/remediations/{id}/approve: release a run that waits for approval. Only a run in its approval phase can
 * be approved: anything else is a 409 naming the phase, so an approval never lands unseen on a run that did not ask
 * for one (or has gone past it).
 *
 * Four eyes: the approver is the authenticated caller and must be a different principal from the run's starter
 * (403 SelfApprovalRefused), unless the start request set `allowSelfApproval` (a single-operator lab), in which case
 * the approval is recorded as a self-approval. With function keys only (authentication off, the documented opt-out)
 * nobody's identity is vouched for: a caller who declares the starter's own name is still refused, and an approval
 * between key holders who declare no name is accepted and recorded as unverified.
 */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { z } from "zod";
import { APPROVE_EVENT } from "../contracts/names";
import { ApproveEventSchema, type ApproveEvent } from "../contracts/events";
import { ProgressSchema } from "../contracts/remediation";
import { type Caller, errorResponse, FUNCTION_KEY_HOLDER, jsonResponse, samePrincipal } from "./http";
import { requireLiveInstance, statusUrls } from "./instances";
import { instanceIdParam } from "./params";
import { actionRequest } from "./request";

/** What the approval needs from the run's input: its starter and whether they may approve. */
const StarterOfInput = z.object({
  requestedBy: z.string(),
  requestedById: z.string().optional(),
  allowSelfApproval: z.boolean().default(false),
});

/**
 * The approval `caller` may give the live run `instanceId` (its status read with its input): the event to raise, or
 * the HTTP answer refusing it (409 not waiting for approval, 403 four eyes). One rule for a run approved alone or
 * with its campaign.
 */
export function approvalFor(
  root: TriggerRoot,
  request: HttpRequest,
  caller: Caller,
  instanceId: string,
  status: df.DurableOrchestrationStatus,
): { event: ApproveEvent } | { refused: HttpResponseInit; code: string; message: string } {
  const progress = ProgressSchema.safeParse(status.customStatus);
  const phase = progress.success ? progress.data.phase : "starting";
  if (phase !== "approve") {
    const message = `Remediation ${instanceId} is not waiting for approval: it is in phase "${phase}"`;
    return {
      code: "NotWaitingForApproval",
      message,
      refused: errorResponse(409, "NotWaitingForApproval", message, {
        instanceId,
        phase,
        ...statusUrls(request, instanceId),
      }),
    };
  }
  // A run whose input does not name its starter cannot show the approver is someone else: refused like a self-approval.
  const starter = StarterOfInput.safeParse(status.input);
  const anonymous =
    !caller.authenticated &&
    caller.name === FUNCTION_KEY_HOLDER &&
    starter.success &&
    starter.data.requestedBy === FUNCTION_KEY_HOLDER;
  const self =
    !starter.success ||
    (!anonymous && samePrincipal(caller, { name: starter.data.requestedBy, id: starter.data.requestedById }));
  if (self && !(starter.success && starter.data.allowSelfApproval)) {
    const startedBy = starter.success ? starter.data.requestedBy : "unknown";
    const message =
      `Remediation ${instanceId} was started by ${startedBy}: its approver must be a different principal (four eyes). ` +
      "A single-operator lab can start the run with allowSelfApproval: true (port25 start --allow-self-approval).";
    return {
      code: "SelfApprovalRefused",
      message,
      refused: errorResponse(403, "SelfApprovalRefused", message, { instanceId, startedBy, approver: caller.name }),
    };
  }
  const event = ApproveEventSchema.parse({
    approvedBy: caller.name,
    approvedById: caller.id,
    approvedAt: root.clock.now().toISOString(),
    ...(self ? { selfApproval: true } : {}),
    ...(caller.authenticated ? {} : { unverified: true }),
  });
  return { event };
}

export async function approveRemediation(
  root: TriggerRoot,
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return actionRequest(
    root,
    request,
    context,
    { role: "Port25.Operator", route: instanceIdParam },
    async ({ caller, route }) => {
      const { instanceId, status } = await requireLiveInstance(client, route, true);
      const decision = approvalFor(root, request, caller, instanceId, status);
      if ("refused" in decision) return decision.refused;
      await client.raiseEvent(instanceId, APPROVE_EVENT, decision.event);
      return jsonResponse(202, { instanceId, ...decision.event, ...statusUrls(request, instanceId) });
    },
  );
}

export const approveRemediationTrigger: TriggerDefinition = {
  kind: "clientHttp",
  name: "approveRemediation",
  route: "remediations/{id}/approve",
  methods: ["POST"],
  handler: approveRemediation,
};
