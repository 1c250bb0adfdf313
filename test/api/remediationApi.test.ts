import { describe, expect, it } from "vitest";
import { remediationInstanceId } from "../../src/contracts/remediation";
import { BASE_URL, type Api, apiHosts } from "../support/api";
import { apiScenario, startBody, SUB, vm } from "./fixtures";

const hosts = apiHosts();

async function api(vms?: NonNullable<Parameters<typeof apiScenario>[0]>["vms"]): Promise<Api> {
  return hosts.start({ scenario: apiScenario(vms === undefined ? {} : { vms }) });
}

const INSTANCE = remediationInstanceId(SUB);
const ALICE = { "x-ms-client-principal-name": "alice@contoso.example" };

interface Started {
  instanceId: string;
  runId: string;
  statusUrl: string;
  approveUrl: string;
  cancelUrl: string;
}

async function start(h: Api, body: Record<string, unknown>, headers: Record<string, string> = ALICE): Promise<Started> {
  const r = await h.call("startRemediation", { method: "POST", path: "/api/remediations", body, headers });
  expect(r.status, r.text).toBe(202);
  return r.json as Started;
}

/** Runs the host for `minutes` of virtual time at most (stops short of far-off timers such as the approval deadline). */
function runFor(h: Api, minutes: number) {
  return h.product.run(h.product.host.clock.now() + minutes * 60_000);
}

function errorOf(json: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  return (json as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
}

describe("remediation over HTTP with the audit on Azurite", () => {
  it("starts, waits for approval, refuses a second start with the live run's URL, completes once approved, and audits every resource", async () => {
    const h = await api();
    const started = await start(h, startBody({ requireApproval: true }));
    expect(started.instanceId).toBe(INSTANCE);
    expect(started.statusUrl).toBe(`${BASE_URL}/api/remediations/${INSTANCE}`);

    await runFor(h, 5);
    const waiting = await h.call("getRemediation", { path: `/api/remediations/${INSTANCE}`, params: { id: INSTANCE } });
    expect(waiting.status).toBe(200);
    expect(waiting.json).toMatchObject({
      runtimeStatus: "Running",
      progress: { phase: "approve", runId: started.runId },
    });

    const second = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody(),
      headers: ALICE,
    });
    expect(second.status).toBe(409);
    const conflict = errorOf(second.json);
    expect(conflict.code).toBe("RunInProgress");
    expect(conflict.details).toMatchObject({
      instanceId: INSTANCE,
      statusUrl: `${BASE_URL}/api/remediations/${INSTANCE}`,
    });
    expect(h.product.host.listInstances({ name: "remediateSubscription" })).toHaveLength(1);

    const approved = await h.call("approveRemediation", {
      method: "POST",
      path: `/api/remediations/${INSTANCE}/approve`,
      params: { id: INSTANCE },
      headers: { "x-ms-client-principal-name": "bob@contoso.example" },
    });
    expect(approved.status).toBe(202);
    expect(approved.json).toMatchObject({ instanceId: INSTANCE, approvedBy: "bob@contoso.example" });
    await h.product.run();

    const done = await h.call("getRemediation", { path: `/api/remediations/${INSTANCE}`, params: { id: INSTANCE } });
    expect(done.json).toMatchObject({
      runtimeStatus: "Completed",
      summary: { status: "completed", runId: started.runId },
    });
    // The big record is written once, through the audit activity: the run itself returns only its summary.
    const output = h.product.host.getStatus(INSTANCE)?.output;
    expect(Object.keys(output as object).sort()).toEqual(["recorded", "summary"]);
    expect(output).toMatchObject({ recorded: true });
    const records =
      h.product.host.getStatus(INSTANCE)?.history.filter((e) => e.Input?.includes('"outcomes":[') === true) ?? [];
    expect(records.map((e) => e.Name)).toEqual(["recordRunCompleted"]);

    // The audit, read back over the API from Azurite.
    const listed = await h.call("listAuditRuns", { path: `/api/audit/runs?subscriptionId=${SUB}` });
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({
      runs: [
        {
          runId: started.runId,
          status: "completed",
          requestedBy: "alice@contoso.example",
          attestationReference: "REQ-25-0042",
          category: "exemptible",
        },
      ],
      continuationToken: null,
    });

    const got = await h.call("getAuditRun", {
      path: `/api/audit/runs/${started.runId}`,
      params: { runId: started.runId },
    });
    expect(got.status).toBe(200);
    const audited = got.json as {
      run: { requestedBy: string; status: string; summary: { counts: { total: number } } };
      outcomes: { resourceId: string; outcome: string; reasonCode?: string }[];
    };
    expect(audited.run).toMatchObject({ requestedBy: "alice@contoso.example", status: "completed" });
    const snapshot = h.product.sim.snapshot();
    const everyResource = [...snapshot.vms.map((v) => v.id), ...snapshot.vnets.map((v) => v.id)]
      .map((id) => id.toLowerCase())
      .sort();
    expect(audited.outcomes.map((o) => o.resourceId.toLowerCase()).sort()).toEqual(everyResource);
    expect(audited.run.summary.counts.total).toBe(everyResource.length);
    const byName = new Map(
      audited.outcomes.map((o) => [o.resourceId.split("/").pop(), [o.outcome, o.reasonCode ?? null]]),
    );
    expect(Object.fromEntries(byName)).toEqual({
      "canary-01": ["cycled", null],
      "app-01": ["cycled", null],
      "app-02": ["cycled", null],
      "app-03": ["cycled", null],
      "old-01": ["skipped", "alreadyDeallocated"],
      "vnet-app": ["cycled", null],
    });

    const html = await h.call("getAuditRun", {
      path: `/api/audit/runs/${started.runId}?format=html`,
      params: { runId: started.runId },
    });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    for (const name of ["canary-01", "app-01", "app-02", "app-03", "old-01", started.runId])
      expect(html.text).toContain(name);

    // What the simulator saw: every VM that was running is running again, the deallocated one was never touched.
    expect(Object.fromEntries(snapshot.vms.map((v) => [v.name, v.powerState]))).toEqual({
      "canary-01": "running",
      "app-01": "running",
      "app-02": "running",
      "app-03": "running",
      "old-01": "deallocated",
    });
    expect(h.product.sim.timeline().filter((c) => c.resourceId.endsWith("/old-01"))).toEqual([]);
  });

  it("pages through the audit with a continuation token and filters by subscription and time", async () => {
    const h = await api();
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      runIds.push((await start(h, startBody({ mode: "plan" }))).runId);
      await h.product.run();
      // The triggers stamp requests with the host's (virtual) clock: a minute between starts orders them.
      h.product.host.clock.advanceTo(h.product.host.clock.now() + 60_000);
    }
    const first = await h.call("listAuditRuns", { path: "/api/audit/runs?pageSize=2" });
    const page1 = first.json as {
      runs: { runId: string; requestedAt: string; status: string }[];
      continuationToken: string | null;
    };
    expect(page1.runs).toHaveLength(2);
    expect(page1.continuationToken).toEqual(expect.any(String));
    const next = await h.call("listAuditRuns", {
      path: `/api/audit/runs?pageSize=2&continuationToken=${encodeURIComponent(page1.continuationToken ?? "")}`,
    });
    const page2 = next.json as typeof page1;
    expect(page2.continuationToken).toBeNull();
    const all = [...page1.runs, ...page2.runs];
    // Newest first, each run once, every one planned.
    expect(all.map((r) => r.runId)).toEqual([...runIds].reverse());
    expect(all.every((r) => r.status === "planned")).toBe(true);

    const oldest = all[2];
    const middle = all[1];
    if (oldest === undefined || middle === undefined) throw new Error("three runs expected");
    const upTo = await h.call("listAuditRuns", {
      path: `/api/audit/runs?subscriptionId=${SUB}&to=${encodeURIComponent(middle.requestedAt)}`,
    });
    expect((upTo.json as typeof page1).runs.map((r) => r.runId)).toEqual([middle.runId, oldest.runId]);
    const from = await h.call("listAuditRuns", {
      path: `/api/audit/runs?from=${encodeURIComponent(middle.requestedAt)}&pageSize=50`,
    });
    expect((from.json as typeof page1).runs.map((r) => r.runId)).toEqual([runIds[2], runIds[1]]);
    const other = await h.call("listAuditRuns", {
      path: "/api/audit/runs?subscriptionId=00000000-0000-4000-8000-000000000001",
    });
    expect(other.json).toEqual({ runs: [], continuationToken: null });
    const missing = await h.call("getAuditRun", {
      path: "/api/audit/runs/20990101T000000Z-deadbeef",
      params: { runId: "20990101T000000Z-deadbeef" },
    });
    expect(missing.status).toBe(404);
    expect(errorOf(missing.json).code).toBe("NotFound");
  });

  it("cancels a run in the middle of its waves: it ends cancelled, every resource accounted for, no VM left down", async () => {
    const fleet = [
      vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
      ...Array.from({ length: 10 }, (_, i) => vm(`app-${String(i + 1).padStart(2, "0")}`)),
    ];
    const h = await api(fleet);
    const started = await start(h, startBody({ options: { maxConcurrency: 2, batchSize: 4 } }));
    // Advance until the fleet's waves have cycled a few VMs, then cancel.
    for (let i = 0; i < 120; i++) {
      await runFor(h, 1);
      const p = h.product.progress();
      if (p?.phase === "waves" && p.counts.cycled >= 3) break;
    }
    expect(h.product.progress()).toMatchObject({ phase: "waves" });
    const cancelled = await h.call("cancelRemediation", {
      method: "POST",
      path: `/api/remediations/${INSTANCE}/cancel`,
      params: { id: INSTANCE },
      headers: { "x-ms-client-principal-name": "carol@contoso.example" },
    });
    expect(cancelled.status).toBe(202);
    expect(cancelled.json).toMatchObject({ instanceId: INSTANCE, cancelledBy: "carol@contoso.example" });
    expect((cancelled.json as { wavesAndLanesSignalled: string[] }).wavesAndLanesSignalled.length).toBeGreaterThan(0);
    await h.product.run();

    const result = h.product.result();
    expect(result.summary.status).toBe("cancelled");
    const snapshot = h.product.sim.snapshot();
    expect(result.outcomes.map((o) => o.resourceId.toLowerCase()).sort()).toEqual(
      [...snapshot.vms, ...snapshot.vnets].map((r) => r.id.toLowerCase()).sort(),
    );
    const cycled = result.outcomes.filter((o) => o.outcome === "cycled" && o.kind === "vm").length;
    const notStarted = result.outcomes.filter((o) => o.reasonCode === "cancelled").length;
    expect(cycled).toBeGreaterThanOrEqual(3);
    expect(notStarted).toBeGreaterThan(0);
    // Every VM ends running; each one the run did not cycle was never touched.
    expect(snapshot.vms.filter((v) => v.powerState !== "running")).toEqual([]);
    for (const o of result.outcomes.filter((x) => x.reasonCode === "cancelled")) {
      expect(h.product.sim.timeline(o.resourceId)).toEqual([]);
    }
    for (const v of snapshot.vms) {
      const changes = h.product.sim.timeline(v.id);
      if (changes.length > 0) expect(changes[changes.length - 1]?.to).toBe("running");
    }
    const audited = await h.audit.getRun(started.runId);
    expect(audited?.run.status).toBe("cancelled");
    expect(audited?.outcomes).toHaveLength(result.outcomes.length);

    const again = await h.call("cancelRemediation", {
      method: "POST",
      path: `/api/remediations/${INSTANCE}/cancel`,
      params: { id: INSTANCE },
    });
    expect(again.status).toBe(409);
    expect(errorOf(again.json).code).toBe("NotRunning");
  });
});
