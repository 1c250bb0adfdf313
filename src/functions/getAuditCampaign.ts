/**
 * GET /api/audit/campaigns/{campaignId}[?format=html]: one audited campaign (what it was started with, its summary
 * once it has ended, and a link to every run it started), or its HTML report.
 */
import type { TriggerDefinition } from "./binding";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { requireAuditStore, type TriggerRoot } from "./root";
import { renderCampaignReport } from "../audit/campaignReport";
import type { AuditStore } from "../audit/store";
import type { AuditedCampaign, RunSummary } from "../contracts/audit";
import { MAX_CAMPAIGN_SUBSCRIPTIONS } from "../contracts/campaign";
import { CampaignIdSchema } from "../contracts/startRequest";
import { errorResponse, htmlResponse, jsonResponse, parseOr400 } from "./http";
import { readRequest } from "./request";
import { AuditPageQuerySchema, reportLinking } from "./auditQuery";

/** Most runs read for a campaign still going: one per subscription, with room for the pages' slack. */
const MAX_RUNS_READ = 2 * MAX_CAMPAIGN_SUBSCRIPTIONS;

/** A run of the campaign with the addresses of its audit record and report. */
interface CampaignRunLink {
  subscriptionId: string;
  runId: string;
  auditUrl: string;
  reportUrl: string;
}

/** The runs the campaign has started so far, newest first, from the audit's listing by campaign. */
async function recordedRuns(store: AuditStore, campaignId: string): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  let token: string | undefined;
  do {
    const page = await store.listRuns({ campaignId, pageSize: MAX_CAMPAIGN_SUBSCRIPTIONS, continuationToken: token });
    runs.push(...page.runs);
    token = page.continuationToken;
  } while (token !== undefined && runs.length < MAX_RUNS_READ);
  return runs;
}

/** Every run the campaign names: its members' runs once it has ended, the runs recorded so far before. */
function runLinks(request: HttpRequest, campaign: AuditedCampaign, runs: readonly RunSummary[]): CampaignRunLink[] {
  const origin = new URL(request.url).origin;
  const named =
    campaign.summary === undefined
      ? runs.map((r) => ({ subscriptionId: r.subscriptionId, runId: r.runId }))
      : campaign.summary.members.flatMap((m) =>
          m.runId === undefined ? [] : [{ subscriptionId: m.subscriptionId, runId: m.runId }],
        );
  return named.map(({ subscriptionId, runId }) => {
    const auditUrl = `${origin}/api/audit/runs/${encodeURIComponent(runId)}`;
    return { subscriptionId, runId, auditUrl, reportUrl: `${auditUrl}?format=html` };
  });
}

/** The route's campaign id; a 400 naming "campaignId" when it is not one. */
function campaignIdParam(request: HttpRequest): string {
  return parseOr400(
    z.object({ campaignId: CampaignIdSchema }),
    { campaignId: request.params.campaignId ?? "" },
    "route",
  ).campaignId;
}

export async function getAuditCampaign(
  root: TriggerRoot,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const spec = { role: "Port25.Auditor", route: campaignIdParam, query: AuditPageQuerySchema } as const;
  return readRequest(root, request, context, spec, async ({ route: campaignId, query: { format, links } }) => {
    const linking = reportLinking(request, links);
    const store = requireAuditStore(root);
    const campaign = await store.getCampaign(campaignId);
    if (!campaign) return errorResponse(404, "NotFound", `No audited campaign ${campaignId}`);
    const runs = campaign.summary === undefined ? await recordedRuns(store, campaign.campaignId) : [];
    if (format === "html") {
      return htmlResponse(renderCampaignReport(campaign, { runs, ...linking }));
    }
    return jsonResponse(200, { ...campaign, runs: runLinks(request, campaign, runs) });
  });
}

export const getAuditCampaignTrigger: TriggerDefinition = {
  kind: "http",
  name: "getAuditCampaign",
  route: "audit/campaigns/{campaignId}",
  methods: ["GET"],
  handler: getAuditCampaign,
};
