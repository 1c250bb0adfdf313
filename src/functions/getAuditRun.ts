/** GET /api/audit/runs/{runId}[?format=html]: one audited run with every resource outcome, or its HTML report. */
import type { TriggerDefinition } from "./binding";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { requireAuditStore, type TriggerRoot } from "./root";
import { renderRunReport } from "../audit/report";
import { errorResponse, handleErrors, jsonResponse, parseOr400, queryObject, requireRole } from "./http";

const RunIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "must be a run id");
/**
 * `links=absolute` makes the report's links to other audit pages absolute (this API's address), for a report saved
 * to a file (`port25 audit --html`); relative by default, as the report is served.
 */
const QuerySchema = z
  .object({
    format: z.enum(["json", "html"]).default("json"),
    links: z.enum(["relative", "absolute"]).default("relative"),
  })
  .strict();

export async function getAuditRun(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return handleErrors(root, context, async () => {
    requireRole(root, request, "Port25.Auditor");
    const runId = parseOr400(z.object({ runId: RunIdSchema }), { runId: request.params.runId ?? "" }, "route").runId;
    const { format, links } = parseOr400(QuerySchema, queryObject(request), "query");
    const linking = links === "absolute" ? { auditBase: `${new URL(request.url).origin}/api/audit` } : {};
    const run = await requireAuditStore(root).getRun(runId);
    if (!run) return errorResponse(404, "NotFound", `No audited run ${runId}`);
    if (format === "html") {
      return {
        status: 200,
        body: renderRunReport(run, linking),
        headers: { "content-type": "text/html; charset=utf-8" },
      };
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
