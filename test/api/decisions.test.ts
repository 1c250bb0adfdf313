import { describe, expect, it } from "vitest";
import { remediationInstanceId } from "../../src/contracts/remediation";
import { type Api, type ApiResponse, apiHosts } from "../support/api";
import { apiScenario, startBody, SUB } from "./fixtures";

const hosts = apiHosts();

async function api(): Promise<Api> {
  return hosts.start({ scenario: apiScenario() });
}

const INSTANCE = remediationInstanceId(SUB);
const as = (name: string) => ({ "x-ms-client-principal-name": name });

function start(h: Api, body: Record<string, unknown> = startBody({ requireApproval: true })): Promise<ApiResponse> {
  return h.call("startRemediation", {
    method: "POST",
    path: "/api/remediations",
    body,
    headers: as("alice@contoso.example"),
  });
}
function approve(h: Api, who: string): Promise<ApiResponse> {
  return h.call("approveRemediation", {
    method: "POST",
    path: `/api/remediations/${INSTANCE}/approve`,
    params: { id: INSTANCE },
    headers: as(who),
  });
}
function cancel(h: Api, who: string): Promise<ApiResponse> {
  return h.call("cancelRemediation", {
    method: "POST",
    path: `/api/remediations/${INSTANCE}/cancel`,
    params: { id: INSTANCE },
    headers: as(who),
  });
}
function errorOf(r: ApiResponse): { code: string; message: string; details?: Record<string, unknown> } {
  return (r.json as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
}
const runFor = (h: Api, minutes: number) => h.product.run(h.product.host.clock.now() + minutes * 60_000);

describe("approve and cancel are on the record", () => {
  it("keeps the approver and the time in the summary, the audit record and the report; approve outside the approval phase is a 409 naming it", async () => {
    const h = await api();
    const started = await start(h);
    expect(started.status, started.text).toBe(202);
    const runId = (started.json as { runId: string }).runId;

    // Not yet waiting: the run has not reached its approval phase.
    const early = await approve(h, "mallory@contoso.example");
    expect(early.status).toBe(409);
    expect(errorOf(early)).toMatchObject({ code: "NotWaitingForApproval", details: { phase: "starting" } });

    await runFor(h, 5);
    expect(h.product.progress()).toMatchObject({ phase: "approve" });
    const approved = await approve(h, "bob@contoso.example");
    expect(approved.status, approved.text).toBe(202);
    const approvedAt = (approved.json as { approvedAt: string }).approvedAt;
    expect(approved.json).toMatchObject({ approvedBy: "bob@contoso.example", approvedAt: expect.any(String) });

    await runFor(h, 1);
    const late = await approve(h, "bob@contoso.example");
    expect(late.status).toBe(409);
    expect(errorOf(late).code).toBe("NotWaitingForApproval");
    expect(errorOf(late).message).toMatch(/phase "(subnets|canary|waves|report)"/);
    await h.product.run();

    // Function keys only: the names are as the callers declared them, and the record says so.
    const decision = { by: "bob@contoso.example", at: approvedAt, unverified: true };
    expect(h.product.result().summary).toMatchObject({ status: "completed", approval: decision });
    expect(h.product.result().summary.cancellation).toBeUndefined();
    const audited = await h.audit.getRun(runId);
    expect(audited?.run.summary?.approval).toEqual(decision);
    const html = await h.call("getAuditRun", { path: `/api/audit/runs/${runId}?format=html`, params: { runId } });
    expect(html.text).toMatch(
      /<dt>Approved by<\/dt><dd>bob@contoso\.example at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(unverified: authentication was off\)<\/dd>/,
    );
    expect(html.text).not.toContain("mallory");

    const after = await approve(h, "bob@contoso.example");
    expect(after.status).toBe(409);
    expect(errorOf(after).code).toBe("NotRunning");
  });

  it("keeps the canceller and the time in the summary, the audit record and the report", async () => {
    const h = await api();
    const started = await start(h);
    const runId = (started.json as { runId: string }).runId;
    await runFor(h, 5);
    const cancelled = await cancel(h, "carol@contoso.example");
    expect(cancelled.status, cancelled.text).toBe(202);
    const cancelledAt = (cancelled.json as { cancelledAt: string }).cancelledAt;
    await h.product.run();

    const decision = { by: "carol@contoso.example", at: cancelledAt, unverified: true };
    expect(h.product.result().summary).toMatchObject({ status: "cancelled", cancellation: decision });
    expect(h.product.result().summary.approval).toBeUndefined();
    expect((await h.audit.getRun(runId))?.run.summary?.cancellation).toEqual(decision);
    const html = await h.call("getAuditRun", { path: `/api/audit/runs/${runId}?format=html`, params: { runId } });
    expect(html.text).toMatch(/<dt>Cancelled by<\/dt><dd>carol@contoso\.example at /);
  });

  it("answers two concurrent starts of one subscription with exactly one 202 and one 409", async () => {
    const h = await api();
    const body = startBody({ mode: "plan" });
    const answers = await Promise.all([start(h, body), start(h, body)]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const loser = answers.find((a) => a.status === 409);
    if (loser === undefined) throw new Error("a 409 expected");
    expect(errorOf(loser)).toMatchObject({ code: "RunInProgress", details: { instanceId: INSTANCE } });
    const winner = answers.find((a) => a.status === 202);
    await h.product.run();
    expect(h.product.result().summary).toMatchObject({
      status: "planned",
      runId: (winner?.json as { runId: string }).runId,
    });
    expect(h.product.host.listInstances({ name: "remediateSubscription" })).toHaveLength(1);
  });
});
