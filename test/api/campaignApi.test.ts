/**
 * Campaigns over HTTP, end to end: the real triggers through the durable host, the real SDK clients against the
 * simulator, the audit in Azurite.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  campaignInstanceId,
  campaignInstanceIdOf,
  CampaignMemberSchema,
  CampaignSummarySchema,
} from "../../src/contracts/campaign";
import { remediationInstanceId } from "../../src/contracts/remediation";
import { laneInstanceId, queueInstanceId } from "../../src/contracts/durable/campaign";
import { runEndedEvent } from "../../src/contracts/durable/runStart";
import { EventType } from "../../src/durable-host";
import { type Api, type ApiResponse, apiHosts } from "../support/api";
import { apiScenario, APPROVED_AT, startBody, SUB } from "./fixtures";

const hosts = apiHosts();

/** A subscription the simulator does not serve: ARM answers 404 SubscriptionNotFound for it. */
const FOREIGN = "0badc0de-0000-4000-8000-000000000001";
const RUN = remediationInstanceId(SUB);
const as = (name: string) => ({ "x-ms-client-principal-name": name });

const StartedSchema = z.object({
  instanceId: z.string(),
  campaignId: z.string(),
  statusUrl: z.string(),
  reportUrl: z.string(),
});
const ViewSchema = z.object({
  instanceId: z.string(),
  runtimeStatus: z.string(),
  members: z.array(CampaignMemberSchema.extend({ phase: z.string().optional() })),
  summary: CampaignSummarySchema.nullable(),
  totals: z.object({ subscriptions: z.number(), byState: z.record(z.string(), z.number()) }),
});

function campaignBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subscriptionIds: [SUB, FOREIGN],
    attestation: { reference: "REQ-25-0100", approvedBy: "network-ops@contoso.example", approvedAt: APPROVED_AT },
    maxConcurrentSubscriptions: 2,
    ...extra,
  };
}

async function startCampaign(
  h: Api,
  body: Record<string, unknown> = campaignBody(),
  who = "alice@contoso.example",
): Promise<z.output<typeof StartedSchema>> {
  const r = await h.call("startCampaign", { method: "POST", path: "/api/campaigns", body, headers: as(who) });
  expect(r.status, r.text).toBe(202);
  return StartedSchema.parse(r.json);
}

async function view(h: Api, id: string): Promise<z.output<typeof ViewSchema>> {
  const r = await h.call("getCampaign", { path: `/api/campaigns/${id}`, params: { id } });
  expect(r.status, r.text).toBe(200);
  return ViewSchema.parse(r.json);
}

function post(
  h: Api,
  fn: "approveCampaign" | "cancelCampaign",
  id: string,
  who: string,
  subscriptionId?: string,
): Promise<ApiResponse> {
  const verb = fn === "approveCampaign" ? "approve" : "cancel";
  const query = subscriptionId === undefined ? "" : `?subscriptionId=${subscriptionId}`;
  return h.call(fn, { method: "POST", path: `/api/campaigns/${id}/${verb}${query}`, params: { id }, headers: as(who) });
}

const runFor = (h: Api, minutes: number) => h.product.run(h.product.host.clock.now() + minutes * 60_000);
const writes = (h: Api) => h.product.sim.requestLog().filter((e) => e.kind !== "read" && e.status < 400);

describe("a campaign over HTTP", () => {
  it("classifies each subscription: runs the exemptible one as its own instance and reports the other with its reason", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const started = await startCampaign(h);
    expect(started.instanceId).toBe(campaignInstanceId(started.campaignId));
    expect(started.instanceId).toBe(campaignInstanceIdOf({ kind: "subscriptions", subscriptionIds: [SUB, FOREIGN] }));
    await h.product.run();
    const v = await view(h, started.instanceId);
    expect(v.runtimeStatus).toBe("Completed");
    const bySub = new Map(v.members.map((m) => [m.subscriptionId, m]));
    expect(bySub.get(SUB)).toMatchObject({
      state: "done",
      category: "exemptible",
      runInstanceId: RUN,
      runStatus: "completed",
    });
    expect(bySub.get(SUB)?.counts).toMatchObject({ total: 6, failed: 0, pending: 0 });
    expect(bySub.get(FOREIGN)).toMatchObject({ state: "notExemptible", category: "unknown" });
    // The run told its lane of its end (runEnded, with its output): the lane did not wait for a read of the instance.
    const lane = h.product.host.getStatus(
      laneInstanceId(queueInstanceId(started.instanceId, started.campaignId, 0), 0),
    );
    expect(lane?.history.filter((e) => e.EventType === EventType.EventRaised).map((e) => e.Name)).toContain(
      runEndedEvent(z.string().parse(bySub.get(SUB)?.runId)),
    );
    expect(lane?.history.filter((e) => e.Name === "readRun")).toEqual([]);
    expect(bySub.get(FOREIGN)?.reason).toMatch(/could not be read.*SubscriptionNotFound/);
    expect(bySub.get(FOREIGN)?.runInstanceId).toBeUndefined();
    expect(v.summary).toMatchObject({ status: "completed", requestedBy: "alice@contoso.example" });
    expect(v.totals).toMatchObject({ subscriptions: 2, byState: { done: 1, notExemptible: 1 } });
    // The subscription's run is an ordinary run: its own endpoint shows it, and it names its campaign.
    const run = await h.call("getRemediation", { path: `/api/remediations/${RUN}`, params: { id: RUN } });
    expect(run.json).toMatchObject({ runtimeStatus: "Completed", summary: { status: "completed" } });
    expect(h.product.host.getStatus(RUN)?.input).toMatchObject({
      campaign: { campaignId: started.campaignId, instanceId: started.instanceId },
      requestedBy: "alice@contoso.example",
    });
    // Nothing was sent to the subscription left alone.
    expect(h.product.sim.requestLog().filter((e) => e.subscriptionId === FOREIGN && e.kind !== "read")).toEqual([]);
  });

  it("reports a subscription already running and never starts it twice", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const byHand = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody({ requireApproval: true }),
      headers: as("dave@contoso.example"),
    });
    expect(byHand.status, byHand.text).toBe(202);
    const handRunId = (byHand.json as { runId: string }).runId;
    await runFor(h, 5);
    const started = await startCampaign(h, campaignBody({ subscriptionIds: [SUB] }));
    await runFor(h, 5);
    const v = await view(h, started.instanceId);
    expect(v.runtimeStatus).toBe("Completed");
    expect(v.members).toEqual([
      expect.objectContaining({ subscriptionId: SUB, state: "alreadyRunning", runInstanceId: RUN, runId: handRunId }),
    ]);
    expect(v.members[0]?.reason).toMatch(/started by dave@contoso\.example.*not started twice/);
    // The run by hand is untouched: still its own, still waiting for its approval, nothing written.
    expect(h.product.host.getStatus(RUN)?.input).toMatchObject({
      runId: handRunId,
      requestedBy: "dave@contoso.example",
    });
    expect(h.product.progress()).toMatchObject({ phase: "approve" });
    expect(writes(h)).toEqual([]);
  });

  it("approves every run waiting for approval, by the runs' four-eyes rule", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const started = await startCampaign(h, campaignBody({ requireApproval: true }));
    await runFor(h, 5);
    const waiting = await view(h, started.instanceId);
    expect(waiting.members.find((m) => m.subscriptionId === SUB)).toMatchObject({ state: "running", phase: "approve" });
    const self = await post(h, "approveCampaign", started.instanceId, "alice@contoso.example");
    expect(self.status, self.text).toBe(403);
    expect((self.json as { error: { code: string } }).error.code).toBe("SelfApprovalRefused");
    const ok = await post(h, "approveCampaign", started.instanceId, "bob@contoso.example");
    expect(ok.status, ok.text).toBe(202);
    expect(ok.json).toMatchObject({
      approved: [{ subscriptionId: SUB, runInstanceId: RUN }],
      notWaiting: [{ subscriptionId: FOREIGN, state: "notExemptible" }],
    });
    await h.product.run();
    const done = await view(h, started.instanceId);
    expect(done.summary?.status).toBe("completed");
    expect(h.product.result().summary.approval).toMatchObject({ by: "bob@contoso.example" });
  });

  it("approves one subscription's run by the run's own rules: the starter is refused, another operator releases it", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const started = await startCampaign(h, campaignBody({ requireApproval: true }));
    // Before the campaign has listed its subscriptions, it says so.
    const early = await post(h, "approveCampaign", started.instanceId, "bob@contoso.example", SUB);
    expect(early.status, early.text).toBe(404);
    expect(early.text).toMatch(/being listed/);
    await runFor(h, 5);
    const self = await post(h, "approveCampaign", started.instanceId, "alice@contoso.example", SUB);
    expect(self.status, self.text).toBe(403);
    expect((self.json as { error: { code: string } }).error.code).toBe("SelfApprovalRefused");
    const alone = await post(h, "approveCampaign", started.instanceId, "bob@contoso.example", FOREIGN);
    expect(alone.status, alone.text).toBe(409);
    const ok = await post(h, "approveCampaign", started.instanceId, "bob@contoso.example", SUB);
    expect(ok.status, ok.text).toBe(202);
    expect(ok.json).toMatchObject({
      approved: [{ subscriptionId: SUB, runInstanceId: RUN }],
      notWaiting: [],
      refused: [],
    });
    await h.product.run();
    expect(h.product.result().summary).toMatchObject({ status: "completed", approval: { by: "bob@contoso.example" } });
    expect(writes(h).length).toBeGreaterThan(0);
  });

  it("cancels the whole campaign while its run waits for approval: the run is cancelled, nothing is written", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const started = await startCampaign(h, campaignBody({ requireApproval: true }));
    await runFor(h, 5);
    const cancelled = await post(h, "cancelCampaign", started.instanceId, "carol@contoso.example");
    expect(cancelled.status, cancelled.text).toBe(202);
    expect(cancelled.json).toMatchObject({ cancelledBy: "carol@contoso.example", runsSignalled: [RUN] });
    await h.product.run();
    const v = await view(h, started.instanceId);
    expect(v.summary).toMatchObject({ status: "cancelled", cancellation: { by: "carol@contoso.example" } });
    expect(v.members.find((m) => m.subscriptionId === SUB)).toMatchObject({ state: "done", runStatus: "cancelled" });
    expect(writes(h)).toEqual([]);
    const again = await post(h, "cancelCampaign", started.instanceId, "carol@contoso.example");
    expect(again.status).toBe(409);
    expect((again.json as { error: { code: string } }).error.code).toBe("NotRunning");
  });

  it("cancels a campaign before it has listed or started anything: every subscription reported cancelled, none started", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const started = await startCampaign(h);
    // Nothing has run yet: the campaign is still pending when the cancel arrives.
    const cancelled = await post(h, "cancelCampaign", started.instanceId, "carol@contoso.example");
    expect(cancelled.status, cancelled.text).toBe(202);
    await h.product.run();
    const v = await view(h, started.instanceId);
    expect(v.summary).toMatchObject({ status: "cancelled", cancellation: { by: "carol@contoso.example" } });
    expect(v.members.map((m) => [m.subscriptionId, m.state])).toEqual([
      [SUB, "cancelled"],
      [FOREIGN, "cancelled"],
    ]);
    expect(h.product.host.getStatus(RUN)).toBeUndefined();
    expect(writes(h)).toEqual([]);
  });

  it("refuses a second live campaign over the same subscriptions (409) and bad requests (400 naming the field)", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const first = await startCampaign(h, campaignBody({ requireApproval: true }));
    const second = await h.call("startCampaign", {
      method: "POST",
      path: "/api/campaigns",
      body: campaignBody({ subscriptionIds: [SUB] }),
      headers: as("bob@contoso.example"),
    });
    expect(second.status, second.text).toBe(409);
    expect(second.json).toMatchObject({
      error: { code: "CampaignInProgress", details: { instanceId: first.instanceId } },
    });
    const bad: [Record<string, unknown>, string][] = [
      [campaignBody({ managementGroupId: "mg-dev" }), "managementGroupId"],
      [{ ...campaignBody(), subscriptionIds: undefined }, "subscriptionIds"],
      [campaignBody({ subscriptionIds: [SUB, SUB.toUpperCase()] }), "subscriptionIds"],
      [campaignBody({ subscriptionIds: undefined, managementGroupId: "bad/group" }), "managementGroupId"],
      [campaignBody({ maxConcurrentSubscriptions: 0 }), "maxConcurrentSubscriptions"],
      [campaignBody({ requestedBy: "mallory" }), "(body)"],
    ];
    for (const [body, field] of bad) {
      const r = await h.call("startCampaign", {
        method: "POST",
        path: "/api/campaigns",
        body,
        headers: as("bob@contoso.example"),
      });
      expect(r.status, `${field}: ${r.text}`).toBe(400);
      expect(
        JSON.stringify((r.json as { error: { details: { fields: string[] } } }).error.details.fields),
        r.text,
      ).toContain(field);
    }
    const unknown = await h.call("getCampaign", {
      path: "/api/campaigns/port25-campaign-nope",
      params: { id: "port25-campaign-nope" },
    });
    expect(unknown.status).toBe(404);
    const malformed = await h.call("getCampaign", { path: "/api/campaigns/x%2Fy", params: { id: "x/y" } });
    expect(malformed.status).toBe(400);
  });
});
