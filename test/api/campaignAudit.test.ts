/**
 * The campaign's audit over HTTP: a run started by a campaign (a real remediateSubscription on the simulator, its
 * audit on Azurite) listed by its campaign, the campaign's record with a link to every run, its HTML report whose
 * links lead to the runs' reports and back, the listing, and the same validation, 404 and role rules as the runs'.
 */
import { describe, expect, it } from "vitest";
import {
  campaignInstanceId,
  campaignRunId,
  campaignTotals,
  type CampaignMember,
  type CampaignRecord,
} from "../../src/contracts/campaign";
import { REMEDIATE_SUBSCRIPTION } from "../../src/contracts/names";
import { RemediationInputSchema, remediationInstanceId, type RemediationInput } from "../../src/contracts/remediation";
import { RemediationOptionsSchema } from "../../src/contracts/options";
import { BASE_URL, type Api, type ApiResponse, apiHosts } from "../support/api";
import { apiScenario, APPROVED_AT, signedIn, SUB, type Person } from "./fixtures";
import { campaignInput } from "../audit/campaignFixtures";

const hosts = apiHosts();

const CAMPAIGN = "camp-20260303-a1";
const OTHER_SUB = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const attestation = { reference: "REQ-25-0042", approvedBy: "network-ops@contoso.example", approvedAt: APPROVED_AT };

function errorOf(r: ApiResponse): {
  code: string;
  message: string;
  details?: { fields?: string[]; requiredRole?: string };
} {
  return (r.json as { error: { code: string; message: string; details?: { fields?: string[] } } }).error;
}

function nowIso(h: Api): string {
  return new Date(h.product.host.clock.now()).toISOString();
}

/** Starts the subscription's run as a campaign's lane does: remediateSubscription, naming the campaign. */
function startCampaignRun(h: Api): RemediationInput {
  const input = RemediationInputSchema.parse({
    subscriptionId: SUB,
    attestation,
    mode: "execute",
    requireApproval: false,
    options: {},
    requestedBy: "carol@contoso.example",
    requestedAt: nowIso(h),
    probeHost: "smtp.contoso.example",
    runId: campaignRunId(CAMPAIGN, SUB, 0),
    campaign: { campaignId: CAMPAIGN, instanceId: campaignInstanceId(CAMPAIGN) },
  });
  h.product.host.startOrchestration(REMEDIATE_SUBSCRIPTION, input, { instanceId: remediationInstanceId(SUB) });
  return input;
}

function campaignStart(h: Api): CampaignRecord["input"] {
  const base = campaignInput({
    campaignId: CAMPAIGN,
    target: { kind: "subscriptions", subscriptionIds: [SUB, OTHER_SUB] },
  });
  return {
    ...base,
    run: {
      ...base.run,
      attestation,
      requestedBy: "carol@contoso.example",
      requestedAt: nowIso(h),
      options: RemediationOptionsSchema.parse({}),
    },
  };
}

/** Runs the campaign's one exemptible subscription to the end and records the campaign as its orchestration would. */
async function auditedCampaign(h: Api): Promise<{ record: CampaignRecord; runId: string }> {
  const input = campaignStart(h);
  await h.audit.recordCampaignStarted(input);
  const run = startCampaignRun(h);
  await h.product.run();
  const audited = await h.audit.getRun(run.runId);
  const summary = audited?.run.summary;
  if (summary === undefined) throw new Error("the campaign's run was not audited");
  const members: CampaignMember[] = [
    {
      subscriptionId: SUB,
      displayName: "Team Dev/Test",
      state: "done",
      category: "exemptible",
      runInstanceId: remediationInstanceId(SUB),
      runId: run.runId,
      runStatus: summary.status,
      counts: summary.counts,
      startedAt: summary.startedAt,
      endedAt: summary.endedAt,
      recorded: true,
    },
    {
      subscriptionId: OTHER_SUB,
      state: "notExemptible",
      category: "blockedNotExemptible",
      reason: "workload Production: <b>not</b> Dev/Test",
    },
  ];
  const record: CampaignRecord = {
    input,
    summary: {
      campaignId: CAMPAIGN,
      target: input.target,
      status: "completed",
      mode: "execute",
      message: "1 of 2 subscriptions remediated; 1 left alone (not exemptible)",
      startedAt: input.run.requestedAt,
      endedAt: nowIso(h),
      requestedBy: input.run.requestedBy,
      members,
      totals: campaignTotals(members),
      warnings: [],
    },
  };
  await h.audit.recordCampaignCompleted(record);
  return { record, runId: run.runId };
}

const hrefs = (html: string, cls: string): string[] =>
  [...html.matchAll(new RegExp(`<a class="${cls}" href="([^"]+)"`, "g"))].map((m) =>
    (m[1] ?? "").replace(/&amp;/g, "&"),
  );

describe("campaign audit over HTTP", () => {
  it("links a campaign and its runs both ways: listing by campaign, record with run links, report links that resolve", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const { record, runId } = await auditedCampaign(h);

    const byCampaign = await h.call("listAuditRuns", { path: `/api/audit/runs?campaignId=${CAMPAIGN}` });
    expect(byCampaign.status, byCampaign.text).toBe(200);
    expect(byCampaign.json).toMatchObject({
      runs: [{ runId, subscriptionId: SUB, campaignId: CAMPAIGN, status: "completed" }],
      continuationToken: null,
    });
    const other = await h.call("listAuditRuns", { path: "/api/audit/runs?campaignId=camp-other" });
    expect(other.json).toEqual({ runs: [], continuationToken: null });

    const path = `/api/audit/campaigns/${CAMPAIGN}`;
    const json = await h.call("getAuditCampaign", { path, params: { campaignId: CAMPAIGN } });
    expect(json.status, json.text).toBe(200);
    const auditUrl = `${BASE_URL}/api/audit/runs/${runId}`;
    expect(json.json).toEqual({
      campaignId: CAMPAIGN,
      status: "completed",
      input: record.input,
      summary: record.summary,
      runs: [{ subscriptionId: SUB, runId, auditUrl, reportUrl: `${auditUrl}?format=html` }],
    });

    // The run's own record names the campaign.
    const runJson = await h.call("getAuditRun", { path: new URL(auditUrl).pathname, params: { runId } });
    expect(runJson.json).toMatchObject({
      run: { runId, campaign: { campaignId: CAMPAIGN, instanceId: campaignInstanceId(CAMPAIGN) } },
    });

    // The campaign's report links to the run's report, which links back.
    const report = await h.call("getAuditCampaign", { path: `${path}?format=html`, params: { campaignId: CAMPAIGN } });
    expect(report.status).toBe(200);
    expect(report.headers.get("content-type")).toMatch(/^text\/html/);
    expect(report.text).toContain("workload Production: &lt;b&gt;not&lt;/b&gt; Dev/Test");
    const [runLink, ...more] = hrefs(report.text, "run-link");
    expect(more).toEqual([]);
    const runReportUrl = new URL(runLink ?? "", `${BASE_URL}${path}?format=html`);
    expect(runReportUrl.href).toBe(`${auditUrl}?format=html`);
    const runReport = await h.call("getAuditRun", {
      path: `${runReportUrl.pathname}${runReportUrl.search}`,
      params: { runId },
    });
    expect(runReport.status).toBe(200);
    const [back] = hrefs(runReport.text, "campaign-link");
    expect(new URL(back ?? "", runReportUrl).href).toBe(`${BASE_URL}${path}?format=html`);

    const listed = await h.call("listAuditCampaigns", { path: "/api/audit/campaigns" });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.json).toMatchObject({
      campaigns: [{ campaignId: CAMPAIGN, status: "completed", subscriptions: 2, totals: record.summary.totals }],
      continuationToken: null,
    });
  });

  it("shows a campaign still going: its start, and the runs recorded so far as links", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const input = campaignStart(h);
    await h.audit.recordCampaignStarted(input);
    const run = startCampaignRun(h);
    await h.product.run();

    const json = await h.call("getAuditCampaign", {
      path: `/api/audit/campaigns/${CAMPAIGN}`,
      params: { campaignId: CAMPAIGN },
    });
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({
      campaignId: CAMPAIGN,
      status: "running",
      input,
      runs: [{ subscriptionId: SUB, runId: run.runId }],
    });
    expect(json.json).not.toHaveProperty("summary");

    const html = await h.call("getAuditCampaign", {
      path: `/api/audit/campaigns/${CAMPAIGN}?format=html`,
      params: { campaignId: CAMPAIGN },
    });
    expect(html.text).toContain("The campaign is still running");
    expect(hrefs(html.text, "run-link")).toEqual([`../runs/${run.runId}?format=html`]);

    const listed = await h.call("listAuditCampaigns", { path: "/api/audit/campaigns?pageSize=1" });
    expect(listed.json).toMatchObject({ campaigns: [{ campaignId: CAMPAIGN, status: "running", subscriptions: 2 }] });
  });

  it("answers 404 for an unknown campaign and 400 naming the field for a bad id, format or listing query", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const unknown = await h.call("getAuditCampaign", {
      path: "/api/audit/campaigns/camp-none",
      params: { campaignId: "camp-none" },
    });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown)).toMatchObject({ code: "NotFound", message: "No audited campaign camp-none" });

    const badId = await h.call("getAuditCampaign", {
      path: "/api/audit/campaigns/..%2Fetc",
      params: { campaignId: "../etc" },
    });
    expect(badId.status).toBe(400);
    expect(errorOf(badId).details?.fields).toEqual(["campaignId"]);
    const format = await h.call("getAuditCampaign", {
      path: "/api/audit/campaigns/camp-1?format=pdf",
      params: { campaignId: "camp-1" },
    });
    expect(format.status).toBe(400);
    expect(errorOf(format).details?.fields).toEqual(["format"]);

    const bad: [string, string][] = [
      ["pageSize=0", "pageSize"],
      ["pageSize=201", "pageSize"],
      ["pageSize=lots", "pageSize"],
      ["from=yesterday", "from"],
      ["to=2026-13-01T00:00:00Z", "to"],
      ["from=2026-03-04T00:00:00Z&to=2026-03-03T00:00:00Z", "from"],
      ["from=2026-03-03T10:00:00+02:00&to=2026-03-03T09:00:00Z", "from"],
      ["pageSize=1&pageSize=2", "pageSize"],
      [`continuationToken=${"a".repeat(2049)}`, "continuationToken"],
    ];
    for (const [query, field] of bad) {
      const r = await h.call("listAuditCampaigns", { path: `/api/audit/campaigns?${query}` });
      expect(r.status, query).toBe(400);
      expect(errorOf(r).details?.fields, query).toContain(field);
    }
    const unknownParameter = await h.call("listAuditCampaigns", { path: `/api/audit/campaigns?subscriptionId=${SUB}` });
    expect(unknownParameter.status).toBe(400);
    expect(errorOf(unknownParameter).message).toContain("subscriptionId");
    const fine = await h.call("listAuditCampaigns", {
      path: "/api/audit/campaigns?from=2026-03-03T10:00:00%2B02:00&to=2026-03-03T09:00:00Z",
    });
    expect(fine.status, fine.text).toBe(200);

    const badRuns = await h.call("listAuditRuns", { path: "/api/audit/runs?campaignId=no%20spaces" });
    expect(badRuns.status).toBe(400);
    expect(errorOf(badRuns).details?.fields).toEqual(["campaignId"]);
  });

  it("lets only the Port25.Auditor role read campaigns when authentication is on", async () => {
    const h = await hosts.start({ scenario: apiScenario(), env: { PORT25_AUTH_ENABLED: "true" } });
    const DAVE: Person = {
      name: "dave@contoso.example",
      oid: "0a1b2c3d-0000-4000-8000-00000000da7e",
      roles: ["Port25.Auditor"],
    };
    const ALICE: Person = {
      name: "alice@contoso.example",
      oid: "0a1b2c3d-0000-4000-8000-00000000a11c",
      roles: ["Port25.Operator"],
    };
    await h.audit.recordCampaignStarted(campaignStart(h));
    const get = (headers: Record<string, string>): Promise<ApiResponse> =>
      h.call("getAuditCampaign", {
        path: `/api/audit/campaigns/${CAMPAIGN}`,
        params: { campaignId: CAMPAIGN },
        headers,
      });
    const list = (headers: Record<string, string>): Promise<ApiResponse> =>
      h.call("listAuditCampaigns", { path: "/api/audit/campaigns", headers });
    for (const call of [get, list]) {
      expect((await call({})).status).toBe(401);
      const operator = await call(signedIn(ALICE));
      expect(operator.status).toBe(403);
      expect(errorOf(operator).details?.requiredRole).toBe("Port25.Auditor");
      expect((await call(signedIn(DAVE))).status).toBe(200);
    }
  });
});

describe("a campaign started over HTTP, audited by its own orchestration", () => {
  it("records its start and its summary, lists its runs by campaign, and serves a report whose links lead to each run's report", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const started = await h.call("startCampaign", {
      method: "POST",
      path: "/api/campaigns",
      body: { subscriptionIds: [SUB, OTHER_SUB], attestation },
      headers: { "x-ms-client-principal-name": "carol@contoso.example" },
    });
    expect(started.status, started.text).toBe(202);
    const { campaignId, reportUrl } = started.json as { campaignId: string; reportUrl: string };
    expect(reportUrl).toBe(`${BASE_URL}/api/audit/campaigns/${campaignId}?format=html`);
    await h.product.run();

    const path = `/api/audit/campaigns/${campaignId}`;
    const json = await h.call("getAuditCampaign", { path, params: { campaignId } });
    expect(json.status, json.text).toBe(200);
    const campaign = json.json as {
      status: string;
      input: { run: { requestedBy: string } };
      summary: { members: { subscriptionId: string; state: string; runId?: string }[] };
      runs: { subscriptionId: string; runId: string; auditUrl: string; reportUrl: string }[];
    };
    expect(campaign.input.run.requestedBy).toBe("carol@contoso.example");
    expect(campaign.status).not.toBe("running");
    const ran = campaign.summary.members.find((m) => m.subscriptionId === SUB);
    expect(ran?.state).toBe("done");
    const runId = ran?.runId ?? "";
    expect(campaign.runs).toContainEqual({
      subscriptionId: SUB,
      runId,
      auditUrl: `${BASE_URL}/api/audit/runs/${runId}`,
      reportUrl: `${BASE_URL}/api/audit/runs/${runId}?format=html`,
    });
    const alone = campaign.summary.members.find((m) => m.subscriptionId === OTHER_SUB);
    expect(alone?.state).not.toBe("done");

    const byCampaign = await h.call("listAuditRuns", { path: `/api/audit/runs?campaignId=${campaignId}` });
    expect((byCampaign.json as { runs: { runId: string; campaignId?: string }[] }).runs).toEqual([
      expect.objectContaining({ runId, campaignId }),
    ]);

    const report = await h.call("getAuditCampaign", { path: `${path}?format=html`, params: { campaignId } });
    const [link] = hrefs(report.text, "run-link");
    const runReportUrl = new URL(link ?? "", reportUrl);
    expect(runReportUrl.href).toBe(`${BASE_URL}/api/audit/runs/${runId}?format=html`);
    const runReport = await h.call("getAuditRun", {
      path: `${runReportUrl.pathname}${runReportUrl.search}`,
      params: { runId },
    });
    expect(runReport.status).toBe(200);
    const [back] = hrefs(runReport.text, "campaign-link");
    expect(new URL(back ?? "", runReportUrl).href).toBe(reportUrl);

    const listed = await h.call("listAuditCampaigns", { path: "/api/audit/campaigns" });
    expect(listed.json).toMatchObject({ campaigns: [{ campaignId, status: campaign.status, subscriptions: 2 }] });
  });
});
