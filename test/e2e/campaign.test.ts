/**
 * Campaigns end to end on a simulated estate: the real orchestrations through the durable host, the real SDK
 * clients against the simulator over HTTPS (management groups included), the real HTTP triggers, and the audit in a
 * real Azurite. Checked against what the simulator saw, subscription by subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startLocalStack, type LocalStack } from "../../src/cli/localStack";
import { fullRecord } from "../../src/cli/localRecords";
import {
  CampaignMemberSchema,
  CampaignSummarySchema,
  campaignInstanceId,
  LANE_MEMBERS_MAX,
  type CampaignMember,
  type CampaignOutput,
} from "../../src/contracts/campaign";
import { REMEDIATE_CAMPAIGN, REMEDIATE_SUBSCRIPTION } from "../../src/contracts/names";
import { remediationInstanceId, type RemediationResult } from "../../src/contracts/remediation";
import { EventType, type DurableHost } from "../../src/durable-host";
import { MAX_CUSTOM_STATUS_KB } from "../../src/durable-host/replay";
import { ESTATE_GROUPS } from "../../src/simulator/fleet";
import {
  DESCENDANTS_PAGE_SIZE,
  generateEstate,
  loadEstate,
  type Estate,
  type EstateScenario,
} from "../../src/simulator";
import { checkSubscriptionInvariants, trackLiveRuns, writesTo } from "../support/estate";
import { BASE_URL, type Api, type ApiResponse, apiHosts } from "../support/api";

const ATTESTATION = {
  reference: "REQ-25-0316",
  approvedBy: "network-ops@contoso.example",
  approvedAt: "2026-03-02T09:00:00Z",
};
const CAROL = { "x-ms-client-principal-name": "carol@contoso.example" };
const SANDBOX = "mg-contoso-sandbox";

const ViewSchema = z.object({
  runtimeStatus: z.string(),
  members: z.array(CampaignMemberSchema.extend({ phase: z.string().optional() })),
  summary: CampaignSummarySchema.nullable(),
  totals: z.object({ subscriptions: z.number(), byState: z.record(z.string(), z.number()) }),
});
type View = z.output<typeof ViewSchema>;
const StartedSchema = z.object({ instanceId: z.string(), campaignId: z.string(), reportUrl: z.string() });
const CancelledSchema = z.object({ runsSignalled: z.array(z.string()), pendingCancelled: z.array(z.string()) });

const hosts = apiHosts();

/** The product with its HTTP triggers, serving `estate`, its audit on the file's Azurite; closed after the test. */
function apiHost(estate: EstateScenario | Estate): Promise<Api> {
  return hosts.start({ scenario: estate });
}

async function localStack(estate: EstateScenario | Estate): Promise<LocalStack> {
  return hosts.track(await startLocalStack({ scenario: estate }));
}

/**
 * The generated estate with one more level: a Sandbox group under Dev/Test holding the second subscription, so the
 * root's descendants are three levels deep.
 */
function nestedEstate(subscriptions: number, vmsPerSubscription: number): Estate {
  const e = generateEstate({ subscriptions, vmsPerSubscription, seed: 5 });
  return loadEstate({
    ...e,
    managementGroups: [
      ...e.managementGroups,
      { id: SANDBOX, displayName: "Contoso Sandbox", parent: ESTATE_GROUPS.devTest },
    ],
    subscriptions: e.subscriptions.map((s, i) => (i === 1 ? { ...s, managementGroup: SANDBOX } : s)),
  });
}

async function startOverHttp(h: Api, body: Record<string, unknown>): Promise<z.output<typeof StartedSchema>> {
  const r = await h.call("startCampaign", {
    method: "POST",
    path: "/api/campaigns",
    body: { attestation: ATTESTATION, ...body },
    headers: CAROL,
  });
  expect(r.status, r.text).toBe(202);
  return StartedSchema.parse(r.json);
}

async function view(h: Api, instanceId: string): Promise<View> {
  const r = await h.call("getCampaign", { path: `/api/campaigns/${instanceId}`, params: { id: instanceId } });
  expect(r.status, r.text).toBe(200);
  return ViewSchema.parse(r.json);
}

function cancelMember(h: Api, instanceId: string, subscriptionId: string): Promise<ApiResponse> {
  return h.call("cancelCampaign", {
    method: "POST",
    path: `/api/campaigns/${instanceId}/cancel?subscriptionId=${subscriptionId}`,
    params: { id: instanceId },
    headers: CAROL,
  });
}

/** Runs the host a few episodes at a time until `ready` holds; fails if the host goes idle first. */
async function stepUntil(host: DurableHost, ready: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await ready()) return;
    const r = await host.runUntilIdle({ maxEpisodes: 2 });
    if (r.stoppedBy === "idle" && !(await ready())) throw new Error(`the host went idle before ${what}`);
  }
  throw new Error(`never reached: ${what}`);
}

function runOf(host: DurableHost, m: CampaignMember): RemediationResult {
  const s = host.getStatus(m.runInstanceId ?? "");
  if (s === undefined) throw new Error(`no run instance for ${m.subscriptionId}`);
  return fullRecord(s, (id) => host.getStatus(id));
}

function bySubscription(members: readonly CampaignMember[]): Map<string, CampaignMember> {
  return new Map(members.map((m) => [m.subscriptionId, m]));
}

describe("a campaign over a management group of a generated estate", () => {
  const estate = nestedEstate(6, 8);
  let h: Api;
  let started: z.output<typeof StartedSchema>;
  let summary: CampaignOutput["summary"];

  beforeAll(async () => {
    h = await hosts.startShared({ scenario: estate });
    started = await startOverHttp(h, { managementGroupId: ESTATE_GROUPS.root, maxConcurrentSubscriptions: 3 });
    await h.product.run();
    summary = h.product.campaignResult(started.campaignId).summary;
  });
  afterAll(async () => {
    await h.close();
  });

  it("lists the group's subscriptions through the Management Groups API and takes each one exactly once", () => {
    const listing = h.product.sim.requestLog().filter((e) => e.operation === "listManagementGroupDescendants");
    expect(listing.length).toBeGreaterThan(0);
    expect(listing.every((e) => e.method === "GET" && e.status === 200 && e.subscriptionId === undefined)).toBe(true);
    expect(listing[0]?.path.toLowerCase()).toBe(
      `/providers/microsoft.management/managementgroups/${ESTATE_GROUPS.root}/descendants`,
    );
    // Every subscription of the estate sits somewhere under the root, the Sandbox one two levels down.
    expect(h.product.sim.subscriptions.find((s) => s.managementGroup === SANDBOX)).toBeDefined();
    const ids = summary.members.map((m) => m.subscriptionId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...h.product.sim.subscriptionIds].sort());
    expect(summary.totals.subscriptions).toBe(6);
  });

  it("runs every exemptible subscription as its own instance to completion, every resource accounted for", () => {
    const done = summary.members.filter((m) => m.state === "done");
    expect(done).toHaveLength(4);
    for (const m of done) {
      expect(m, m.subscriptionId).toMatchObject({
        category: "exemptible",
        runStatus: "completed",
        runInstanceId: remediationInstanceId(m.subscriptionId),
        recorded: true,
      });
      const run = runOf(h.product.host, m);
      expect(run.input).toMatchObject({
        subscriptionId: m.subscriptionId,
        runId: m.runId,
        campaign: { campaignId: started.campaignId, instanceId: started.instanceId },
      });
      expect(checkSubscriptionInvariants(h.product.sim, h.product.estate, run), m.subscriptionId).toEqual([]);
      expect(run.summary.counts).toEqual(m.counts);
      expect(m.counts?.pending).toBe(0);
      expect(m.counts?.total).toBe(run.outcomes.length);
      // The run really cycled VMs of its own subscription.
      expect(writesTo(h.product.sim, m.subscriptionId).length, m.subscriptionId).toBeGreaterThan(0);
    }
    expect(summary.status).toBe("completed");
    expect(summary.totals.resources.total).toBe(done.reduce((n, m) => n + (m.counts?.total ?? 0), 0));
  });

  it("reports the MCA production and the unreadable subscriptions with their reasons and writes nothing to them", () => {
    const left = summary.members.filter((m) => m.state !== "done");
    expect(left.map((m) => m.state).sort()).toEqual(["notExemptible", "nothingToDo"]);
    const subs = bySubscription(summary.members);
    const production = estate.subscriptions.find(
      (s) =>
        s.scenario.subscription.billing !== "forbidden" &&
        s.scenario.subscription.billing.agreementType === "MicrosoftCustomerAgreement",
    );
    const unreadable = estate.subscriptions.find((s) => s.scenario.subscription.billing === "forbidden");
    const productionId = production?.scenario.subscription.id.toLowerCase() ?? "";
    const unreadableId = unreadable?.scenario.subscription.id.toLowerCase() ?? "";
    expect(subs.get(productionId)).toMatchObject({ state: "nothingToDo", category: "notBlocked" });
    expect(subs.get(productionId)?.reason).toMatch(/MicrosoftCustomerAgreement.*not blocked/);
    expect(subs.get(unreadableId)).toMatchObject({ state: "notExemptible", category: "unknown" });
    expect(subs.get(unreadableId)?.reason).toMatch(/billing property could not be read.*403/);
    for (const m of left) {
      expect(m.runInstanceId, m.subscriptionId).toBeUndefined();
      expect(h.product.host.getStatus(remediationInstanceId(m.subscriptionId)), m.subscriptionId).toBeUndefined();
      expect(writesTo(h.product.sim, m.subscriptionId), m.subscriptionId).toEqual([]);
      // They were read (classified), not ignored.
      expect(
        h.product.sim.requestLog().some((e) => e.subscriptionId === m.subscriptionId),
        m.subscriptionId,
      ).toBe(true);
    }
  });

  it("links the campaign and its runs in the audit, and its HTML report links each run's report", async () => {
    const record = await h.audit.getCampaign(started.campaignId);
    expect(record?.status).toBe("completed");
    const runIds = summary.members.flatMap((m) => (m.runId !== undefined ? [m.runId] : []));
    expect(runIds).toHaveLength(4);
    expect((record?.summary?.members ?? []).flatMap((m) => (m.runId !== undefined ? [m.runId] : [])).sort()).toEqual(
      [...runIds].sort(),
    );
    for (const m of summary.members.filter((x) => x.runId !== undefined)) {
      const run = await h.audit.getRun(m.runId ?? "");
      expect(run?.run, m.subscriptionId).toMatchObject({
        runId: m.runId,
        subscriptionId: m.subscriptionId,
        campaign: { campaignId: started.campaignId, instanceId: started.instanceId },
      });
      expect(run?.outcomes).toHaveLength(m.counts?.total ?? -1);
    }
    const listed = await h.call("listAuditRuns", { path: `/api/audit/runs?campaignId=${started.campaignId}` });
    expect(listed.status, listed.text).toBe(200);
    expect(
      z
        .object({ runs: z.array(z.object({ runId: z.string() })) })
        .parse(listed.json)
        .runs.map((r) => r.runId)
        .sort(),
    ).toEqual([...runIds].sort());

    const path = `/api/audit/campaigns/${started.campaignId}`;
    expect(started.reportUrl).toBe(`${BASE_URL}${path}?format=html`);
    const report = await h.call("getAuditCampaign", {
      path: `${path}?format=html`,
      params: { campaignId: started.campaignId },
    });
    expect(report.status).toBe(200);
    const links = [...report.text.matchAll(/<a class="run-link" href="([^"]+)"/g)].map(
      (x) => new URL((x[1] ?? "").replace(/&amp;/g, "&"), started.reportUrl),
    );
    expect(links.map((u) => u.href).sort()).toEqual(
      runIds.map((id) => `${BASE_URL}/api/audit/runs/${id}?format=html`).sort(),
    );
    for (const [i, url] of links.entries()) {
      const runId = url.pathname.split("/").at(-1) ?? "";
      const runReport = await h.call("getAuditRun", { path: `${url.pathname}${url.search}`, params: { runId } });
      expect(runReport.status, runId).toBe(200);
      expect(runReport.headers.get("content-type")).toMatch(/^text\/html/);
      const back = /<a class="campaign-link" href="([^"]+)"/.exec(runReport.text)?.[1] ?? "";
      expect(new URL(back, url).href, `run report ${i}`).toBe(started.reportUrl);
    }
    // The report names the subscriptions left alone with their reasons.
    for (const m of summary.members.filter((x) => x.state !== "done")) expect(report.text).toContain(m.subscriptionId);
  });
});

describe("the cap on concurrent subscriptions", () => {
  it("never has more runs live than the cap, and reaches it", async () => {
    const stack = await localStack(
      generateEstate({ subscriptions: 6, vmsPerSubscription: 4, seed: 9, nonExemptible: false }),
    );
    const live = trackLiveRuns(stack.host);
    const input = stack.startCampaign({ maxConcurrentSubscriptions: 2 });
    await stack.run();
    live.stop();
    const out = stack.campaignResult(input.campaignId);
    expect(out.summary.members.map((m) => m.state)).toEqual(Array<string>(6).fill("done"));
    expect(live.started).toHaveLength(6);
    expect(live.peak).toBe(2);
    // The simulator agrees: never more than two subscriptions' VMs changing power state in one stretch of time.
    const spans = out.summary.members.map((m) => {
      const changes = stack.sim
        .timeline()
        .filter((c) => c.resourceId.toLowerCase().startsWith(`/subscriptions/${m.subscriptionId}/`));
      return { start: Math.min(...changes.map((c) => c.at)), end: Math.max(...changes.map((c) => c.at)) };
    });
    const busiest = Math.max(...spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end).length));
    expect(busiest).toBeLessThanOrEqual(2);
    for (const m of out.summary.members)
      expect(checkSubscriptionInvariants(stack.sim, stack.estate, runOf(stack.host, m)), m.subscriptionId).toEqual([]);
  });

  it("with a cap of one, runs the subscriptions one after another in simulated time", async () => {
    const stack = await localStack(
      generateEstate({ subscriptions: 5, vmsPerSubscription: 3, seed: 10, nonExemptible: false }),
    );
    const live = trackLiveRuns(stack.host);
    const input = stack.startCampaign({ maxConcurrentSubscriptions: 1 });
    await stack.run();
    live.stop();
    const members = stack.campaignResult(input.campaignId).summary.members;
    expect(members.every((m) => m.state === "done" && m.runStatus === "completed")).toBe(true);
    expect(live.peak).toBe(1);
    const runs = members
      .map((m) => runOf(stack.host, m).summary)
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    expect(runs).toHaveLength(5);
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1];
      const cur = runs[i];
      expect(Date.parse(cur?.startedAt ?? ""), `run ${i} starts before run ${i - 1} ends`).toBeGreaterThanOrEqual(
        Date.parse(prev?.endedAt ?? ""),
      );
      expect(Date.parse(prev?.endedAt ?? "")).toBeGreaterThan(Date.parse(prev?.startedAt ?? ""));
    }
    // And ARM saw it so: each subscription's writes all come after the previous one's.
    const writeSpans = runs.map((r) => {
      const at = writesTo(stack.sim, r.subscriptionId).map((e) => e.at);
      return { first: Math.min(...at), last: Math.max(...at) };
    });
    for (let i = 1; i < writeSpans.length; i++)
      expect(writeSpans[i]?.first ?? 0).toBeGreaterThanOrEqual(writeSpans[i - 1]?.last ?? Infinity);
  });
});

describe("cancelling one subscription of a campaign over HTTP", () => {
  it("before its turn: it is reported cancelled, nothing is written to it, the others run", async () => {
    const h = await apiHost(
      generateEstate({ subscriptions: 4, vmsPerSubscription: 3, seed: 12, nonExemptible: false }),
    );
    const started = await startOverHttp(h, { managementGroupId: ESTATE_GROUPS.root, maxConcurrentSubscriptions: 1 });
    let current: View | undefined;
    await stepUntil(
      h.product.host,
      async () => {
        current = await view(h, started.instanceId);
        return current.members.length === 4 && current.members[0]?.state === "running";
      },
      "the first subscription's run started",
    );
    const members = current?.members ?? [];
    expect(members.slice(1).map((m) => m.state)).toEqual(["pending", "pending", "pending"]);
    const target = members[3]?.subscriptionId ?? "";
    const r = await cancelMember(h, started.instanceId, target);
    expect(r.status, r.text).toBe(202);
    expect(CancelledSchema.parse(r.json)).toEqual({ runsSignalled: [], pendingCancelled: [target] });
    await h.product.run();

    const end = await view(h, started.instanceId);
    expect(end.runtimeStatus).toBe("Completed");
    const subs = bySubscription(end.members);
    expect(subs.get(target)).toMatchObject({ state: "cancelled" });
    expect(subs.get(target)?.reason).toMatch(/cancelled by carol@contoso\.example before its run started/);
    expect(subs.get(target)?.runInstanceId).toBeUndefined();
    expect(h.product.host.getStatus(remediationInstanceId(target))).toBeUndefined();
    expect(writesTo(h.product.sim, target)).toEqual([]);
    for (const m of members.slice(0, 3)) {
      expect(subs.get(m.subscriptionId), m.subscriptionId).toMatchObject({ state: "done", runStatus: "completed" });
      expect(writesTo(h.product.sim, m.subscriptionId).length).toBeGreaterThan(0);
    }
    // One subscription cancelled is not the campaign cancelled.
    expect(end.summary?.cancellation).toBeUndefined();
    expect(end.summary?.totals.byState).toMatchObject({ done: 3, cancelled: 1 });
  });

  it("in flight: only that run is cancelled, gracefully; the run beside it and the rest of its lane go on", async () => {
    const h = await apiHost(
      generateEstate({ subscriptions: 4, vmsPerSubscription: 6, seed: 13, nonExemptible: false }),
    );
    const started = await startOverHttp(h, { managementGroupId: ESTATE_GROUPS.root, maxConcurrentSubscriptions: 2 });
    let running: View["members"] = [];
    // Both lanes' first runs live, and the first one already changing its subscription (past its canary's start).
    await stepUntil(
      h.product.host,
      async () => {
        running = (await view(h, started.instanceId)).members.filter((m) => m.state === "running");
        return running.length === 2 && writesTo(h.product.sim, running[0]?.subscriptionId ?? "").length > 0;
      },
      "two runs in flight, one writing",
    );
    const [target, beside] = running;
    if (target === undefined || beside === undefined) throw new Error("two runs expected");
    const r = await cancelMember(h, started.instanceId, target.subscriptionId);
    expect(r.status, r.text).toBe(202);
    expect(CancelledSchema.parse(r.json)).toEqual({
      runsSignalled: [remediationInstanceId(target.subscriptionId)],
      pendingCancelled: [],
    });
    await h.product.run();

    const end = await view(h, started.instanceId);
    expect(end.runtimeStatus).toBe("Completed");
    const subs = bySubscription(end.members);
    expect(subs.get(target.subscriptionId)).toMatchObject({ state: "done", runStatus: "cancelled" });
    const cancelledRun = runOf(h.product.host, {
      subscriptionId: target.subscriptionId,
      state: "done",
      runInstanceId: remediationInstanceId(target.subscriptionId),
    });
    // Cancelled mid-way: some of its resources were never cycled, and say why.
    expect(
      cancelledRun.outcomes.filter((o) => o.outcome === "skipped" && o.reasonCode === "cancelled").length,
    ).toBeGreaterThan(0);
    expect(cancelledRun.summary.cancellation).toMatchObject({ by: "carol@contoso.example" });
    // Graceful: nothing left down or half-cycled in the cancelled subscription.
    expect(checkSubscriptionInvariants(h.product.sim, h.product.estate, cancelledRun)).toEqual([]);
    // Only that run heard the cancel.
    const heardCancel = (id: string): boolean =>
      (h.product.host.getStatus(id)?.history ?? []).some(
        (e) => e.EventType === EventType.EventRaised && e.Name === "cancel",
      );
    expect(heardCancel(remediationInstanceId(target.subscriptionId))).toBe(true);
    expect(heardCancel(started.instanceId)).toBe(false);
    for (const m of end.members.filter((x) => x.subscriptionId !== target.subscriptionId)) {
      expect(m, m.subscriptionId).toMatchObject({ state: "done", runStatus: "completed" });
      expect(heardCancel(remediationInstanceId(m.subscriptionId)), m.subscriptionId).toBe(false);
    }
    expect(subs.get(beside.subscriptionId)?.runStatus).toBe("completed");
    expect(end.summary?.cancellation).toBeUndefined();
  });
});

describe("a campaign whose queue takes several lanes", () => {
  it("lists every subscription from the start, and cancels one whose lane has not started: it never starts, the others run", async () => {
    const n = LANE_MEMBERS_MAX + 2;
    const h = await apiHost(
      generateEstate({ subscriptions: n, vmsPerSubscription: 1, seed: 32, nonExemptible: false }),
    );
    const started = await startOverHttp(h, { managementGroupId: ESTATE_GROUPS.root, maxConcurrentSubscriptions: 1 });
    let first: z.output<typeof ViewSchema> | undefined;
    await stepUntil(
      h.product.host,
      async () => {
        first = await view(h, started.instanceId);
        return first.members.some((m) => m.state === "running");
      },
      "the first lane's first run started",
    );
    // One queue (cap 1): its first lane takes LANE_MEMBERS_MAX subscriptions, the last two wait for the second lane,
    // and every one of them is listed (pending) with the totals counting all n.
    expect(first?.members).toHaveLength(n);
    expect(first?.totals).toMatchObject({ subscriptions: n, byState: { running: 1, pending: n - 1 } });
    const last = first?.members.at(-1)?.subscriptionId ?? "";
    expect(first?.members.at(-1)?.state).toBe("pending");
    const r = await cancelMember(h, started.instanceId, last);
    expect(r.status, r.text).toBe(202);
    expect(r.json).toMatchObject({ pendingCancelled: [last], runsSignalled: [] });
    await h.product.run();
    const end = await view(h, started.instanceId);
    expect(end.members).toHaveLength(n);
    const byId = new Map(end.members.map((m) => [m.subscriptionId, m]));
    expect(byId.get(last)).toMatchObject({ state: "cancelled" });
    expect(byId.get(last)?.reason).toMatch(/before its run started/);
    expect(writesTo(h.product.sim, last)).toEqual([]);
    expect(h.product.host.getStatus(remediationInstanceId(last))).toBeUndefined();
    expect(end.members.filter((m) => m.state === "done" && m.runStatus === "completed")).toHaveLength(n - 1);
  });
});

describe("cancelling a campaign whose queue takes several lanes", () => {
  it("cancels the run in flight gracefully and keeps every other subscription, in this lane or a later one, from starting", async () => {
    const n = LANE_MEMBERS_MAX + 2;
    const h = await apiHost(
      generateEstate({ subscriptions: n, vmsPerSubscription: 1, seed: 33, nonExemptible: false }),
    );
    const started = await startOverHttp(h, { managementGroupId: ESTATE_GROUPS.root, maxConcurrentSubscriptions: 1 });
    let running = "";
    await stepUntil(
      h.product.host,
      async () => {
        running = (await view(h, started.instanceId)).members.find((m) => m.state === "running")?.subscriptionId ?? "";
        return running !== "";
      },
      "the first run started",
    );
    const r = await h.call("cancelCampaign", {
      method: "POST",
      path: `/api/campaigns/${started.instanceId}/cancel`,
      params: { id: started.instanceId },
      headers: CAROL,
    });
    expect(r.status, r.text).toBe(202);
    expect(CancelledSchema.parse(r.json).runsSignalled).toEqual([remediationInstanceId(running)]);
    await h.product.run();
    const end = await view(h, started.instanceId);
    expect(end.summary?.status).toBe("cancelled");
    expect(end.members).toHaveLength(n);
    for (const m of end.members) {
      if (m.subscriptionId === running) {
        expect(m).toMatchObject({ state: "done", runStatus: "cancelled" });
        continue;
      }
      expect(m, m.subscriptionId).toMatchObject({ state: "cancelled" });
      expect(writesTo(h.product.sim, m.subscriptionId), m.subscriptionId).toEqual([]);
      expect(h.product.host.getStatus(remediationInstanceId(m.subscriptionId)), m.subscriptionId).toBeUndefined();
    }
    // Graceful: nothing left down or half-cycled where the run was in flight.
    expect(end.summary?.totals.resources.leftDown ?? 0).toBe(0);
  });
});

describe("statuses within the extension's 16 KB", () => {
  it("keeps every lane's custom status under the cap, however long its reasons, over rounds of full lanes", async () => {
    // One lane at a time, two rounds: the first lane takes LANE_MEMBERS_MAX subscriptions, each reported at length.
    const n = LANE_MEMBERS_MAX + 2;
    const stack = await localStack(generateEstate({ subscriptions: n, vmsPerSubscription: 1, seed: 31 }));
    const largest = new Map<string, number>();
    const stop = stack.host.on((e) => {
      if (e.type !== "episode") return;
      const text = JSON.stringify(stack.host.getStatus(e.instanceId)?.customStatus ?? null);
      largest.set(e.name, Math.max(largest.get(e.name) ?? 0, text.length));
    });
    const input = stack.startCampaign({ maxConcurrentSubscriptions: 1 });
    await stack.run();
    stop();
    const out = stack.campaignResult(input.campaignId);
    expect(out.summary.members).toHaveLength(n);
    expect(out.summary.totals.byState).toMatchObject({ done: n - 2, notExemptible: 1, nothingToDo: 1, failed: 0 });
    expect(
      stack
        .stats()
        .instances.filter((i) => i.name === "campaignLane")
        .map((i) => i.runtimeStatus),
    ).toEqual(["Completed", "Completed"]);
    // Every status the host stored is below the cap (the host fails an orchestration above it, as the extension does).
    for (const [name, chars] of largest) expect(chars * 2, name).toBeLessThan((MAX_CUSTOM_STATUS_KB + 1) * 1024);
    // The full reasons are in the campaign's result, not cut to fit a status.
    const unreadable = out.summary.members.find((m) => m.state === "notExemptible");
    expect(unreadable?.reason?.length ?? 0).toBeGreaterThan(200);
  });
});

describe("classification under throttling", () => {
  it("waits out a throttled subscription read in its lane and runs the subscription, rather than calling it unknown", async () => {
    const stack = await localStack(
      generateEstate({ subscriptions: 2, vmsPerSubscription: 2, seed: 41, nonExemptible: false }),
    );
    const [throttled, other] = stack.sim.subscriptionIds;
    // Each 429 reaches the activity as "throttled"; the lane waits on a timer and reads again (up to MAX_READ_ATTEMPTS).
    stack.sim.injectFault(
      { kind: "throttleStorm", match: { operation: "getSubscription" }, count: 4, retryAfterSeconds: 5 },
      throttled,
    );
    const input = stack.startCampaign({ maxConcurrentSubscriptions: 2 });
    await stack.run();
    const out = stack.campaignResult(input.campaignId);
    const refused = stack.sim
      .requestLog()
      .filter((e) => e.subscriptionId === throttled && e.operation === "getSubscription" && e.status === 429);
    expect(refused.length).toBe(4);
    expect(out.summary.members.map((m) => [m.subscriptionId, m.state, m.category, m.runStatus])).toEqual([
      [throttled, "done", "exemptible", "completed"],
      [other, "done", "exemptible", "completed"],
    ]);
  });
});

describe("history at scale", () => {
  it("keeps every instance of a 50-subscription campaign under 1,000 events, the campaign's own by its lanes", async () => {
    // 50 subscriptions for three pages of descendants; one VM each, since a lane's history counts subscriptions, not VMs.
    const stack = await localStack(generateEstate({ subscriptions: 50, vmsPerSubscription: 1, seed: 21 }));
    const cap = 10;
    const input = stack.startCampaign({ maxConcurrentSubscriptions: cap });
    await stack.run();
    const out = stack.campaignResult(input.campaignId);
    expect(out.summary.totals.subscriptions).toBe(50);
    // 50 subscriptions and 2 groups beneath the root: three pages of descendants, each subscription taken once.
    expect(
      stack.sim.requestLog().filter((e) => e.operation === "listManagementGroupDescendants" && e.status === 200).length,
    ).toBeGreaterThanOrEqual(Math.ceil(52 / DESCENDANTS_PAGE_SIZE));
    expect(new Set(out.summary.members.map((m) => m.subscriptionId)).size).toBe(50);
    expect(out.summary.totals.byState).toMatchObject({ done: 48, notExemptible: 1, nothingToDo: 1 });
    expect(
      out.summary.members
        .filter((m) => m.state === "done")
        .every((m) => m.runStatus === "completed" && m.counts?.pending === 0),
    ).toBe(true);

    const instances = stack.stats().instances;
    expect(instances.filter((i) => i.name === REMEDIATE_SUBSCRIPTION)).toHaveLength(48);
    const biggest = stack.maxHistory();
    expect(biggest.length, `${biggest.name} ${biggest.instanceId}`).toBeLessThanOrEqual(1000);
    const campaign = instances.find((i) => i.instanceId === campaignInstanceId(input.campaignId));
    expect(campaign?.name).toBe(REMEDIATE_CAMPAIGN);
    const lanes = instances.filter((i) => i.name === "campaignLane");
    expect(lanes).toHaveLength(cap);
    // The campaign: its start, audit and listing, and per lane its start, its end and the episode that saw it.
    expect(campaign?.historyLength ?? Infinity).toBeLessThanOrEqual(20 + 4 * lanes.length);
    // A lane: a dozen events per subscription it takes (5 here), whatever the estate's size.
    for (const lane of lanes)
      expect(lane.historyLength, lane.instanceId).toBeLessThanOrEqual(10 + 12 * Math.ceil(50 / cap));
  });
});
