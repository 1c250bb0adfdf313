/** GET /api/remediations/{id}: runtime status, progress (phase, wave, counts) and, once done, the summary. */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import { ClockKindSchema } from "../contracts/clock";
import { ProgressSchema, RemediationOutputSchema, type Progress } from "../contracts/remediation";
import { activeLanesOf, withWaveCounts } from "../contracts/durable/runWave";
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
    if (progress !== null && (progress.activeWaves ?? []).length > 0) {
      // The running wave counts its finished lanes in its own status until it ends, and each lane in flight its
      // finished resources.
      const waves = await Promise.all((progress.activeWaves ?? []).map((id) => tryGetStatus(client, id)));
      const lanes = await Promise.all(
        waves.flatMap((w) => activeLanesOf(w?.customStatus)).map((id) => tryGetStatus(client, id)),
      );
      progress = withWaveCounts(
        progress,
        waves.map((w) => w?.customStatus),
        lanes.map((l) => l?.customStatus),
      );
    }
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
