/** GET /api/audit/runs/{runId}[?format=html]: one audited run with every resource outcome, or its HTML report. */
import type { TriggerDefinition } from "./binding";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { requireAuditStore, type TriggerRoot } from "./root";
import { renderRunReport } from "../audit/report";
import { errorResponse, htmlResponse, jsonResponse, parseOr400 } from "./http";
import { readRequest } from "./request";
import { AuditPageQuerySchema, reportLinking } from "./auditQuery";

const RunIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "must be a run id");

/** The route's run id; a 400 naming "runId" when it is not one. */
function runIdParam(request: HttpRequest): string {
  return parseOr400(z.object({ runId: RunIdSchema }), { runId: request.params.runId ?? "" }, "route").runId;
}

export async function getAuditRun(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const spec = { role: "Port25.Auditor", route: runIdParam, query: AuditPageQuerySchema } as const;
  return readRequest(root, request, context, spec, async ({ route: runId, query: { format, links } }) => {
    const linking = reportLinking(request, links);
    const run = await requireAuditStore(root).getRun(runId);
    if (!run) return errorResponse(404, "NotFound", `No audited run ${runId}`);
    if (format === "html") {
      return htmlResponse(renderRunReport(run, linking));
    }
    return jsonResponse(200, run);
  });
}

export const getAuditRunTrigger: TriggerDefinition = {
  kind: "http",
  name: "getAuditRun",
  route: "audit/runs/{runId}",
  methods: ["GET"],
  handler: getAuditRun,
};
