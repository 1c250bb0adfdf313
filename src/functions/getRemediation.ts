/** GET /api/remediations/{id}: runtime status, progress (phase, wave, counts) and, once done, the summary. */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import { ClockKindSchema } from "../contracts/clock";
import { ProgressSchema, RemediationOutputSchema, type Progress } from "../contracts/remediation";
import { liveProgress } from "../contracts/durable/runWave";
import { errorResponse, jsonResponse } from "./http";
import { readRequest } from "./request";
import { statusUrls } from "./instances";
import { tryGetStatus } from "../durableClient";
import { instanceIdParam } from "./params";

const ClockOfInput = z.object({ clock: ClockKindSchema.optional() });

export async function getRemediation(
  root: TriggerRoot,
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  // Operators follow the runs they start and approve; auditors read them.
  const spec = { role: ["Port25.Operator", "Port25.Auditor"], route: instanceIdParam, query: "unread" } as const;
  return readRequest(root, request, context, spec, async ({ route: instanceId }) => {
    const status = await tryGetStatus(client, instanceId, true);
    if (!status) return errorResponse(404, "NotFound", `No remediation instance ${instanceId}`);
    const parsed = ProgressSchema.safeParse(status.customStatus);
    let progress: Progress | null = parsed.success ? parsed.data : null;
    // The running wave counts its finished lanes in its own status until it ends, each lane in flight its finished
    // resources, and each chain in flight its own.
    if (progress !== null)
      progress = await liveProgress(progress, async (id) => (await tryGetStatus(client, id))?.customStatus);
    const result = RemediationOutputSchema.safeParse(status.output);
    const clock = ClockOfInput.safeParse(status.input);
    return jsonResponse(200, {
      instanceId,
      runtimeStatus: status.runtimeStatus,
      createdTime: status.createdTime,
      lastUpdatedTime: status.lastUpdatedTime,
      progress,
      summary: result.success ? result.data.summary : null,
      failure:
        status.runtimeStatus === df.OrchestrationRuntimeStatus.Failed
          ? z.string().catch("failed").parse(status.output)
          : null,
      // Which clock stamped the times above: "simulated" on a local stack, so a reader never takes them for the calendar's.
      ...(clock.success && clock.data.clock !== undefined ? { clock: clock.data.clock } : {}),
      ...statusUrls(request, instanceId),
    });
  });
}

export const getRemediationTrigger: TriggerDefinition = {
  kind: "clientHttp",
  name: "getRemediation",
  route: "remediations/{id}",
  methods: ["GET"],
  handler: getRemediation,
};
