/**
 * Who may power-cycle a subscription, and who is on the record: with App Service authentication on, the triggers take
 * the caller from the platform's principal headers (never from the body), demand the app role, and keep four eyes on
 * a run that requires approval.
 */
import { describe, expect, it } from "vitest";
import { remediationInstanceId } from "../../src/contracts/remediation";
import { type Api, type ApiResponse, apiHosts } from "../support/api";
import { apiScenario, signedIn, startBody, SUB, type Person } from "./fixtures";

const hosts = apiHosts();

async function api(env: Record<string, string> = { PORT25_AUTH_ENABLED: "true" }): Promise<Api> {
  return hosts.start({ scenario: apiScenario(), env });
}

const INSTANCE = remediationInstanceId(SUB);
const ALICE: Person = {
  name: "alice@contoso.example",
  oid: "0a1b2c3d-0000-4000-8000-00000000a11c",
  roles: ["Port25.Operator"],
};
const BOB: Person = {
  name: "bob@contoso.example",
  oid: "0a1b2c3d-0000-4000-8000-000000000b0b",
  roles: ["Port25.Operator"],
};
const DAVE: Person = {
  name: "dave@contoso.example",
  oid: "0a1b2c3d-0000-4000-8000-00000000da7e",
  roles: ["Port25.Auditor"],
};

function start(h: Api, headers: Record<string, string>, extra: Record<string, unknown> = {}): Promise<ApiResponse> {
  return h.call("startRemediation", {
    method: "POST",
    path: "/api/remediations",
    body: startBody({ requireApproval: true, ...extra }),
    headers,
  });
}
function approve(h: Api, headers: Record<string, string>): Promise<ApiResponse> {
  return h.call("approveRemediation", {
    method: "POST",
    path: `/api/remediations/${INSTANCE}/approve`,
    params: { id: INSTANCE },
    headers,
  });
}
function cancel(h: Api, headers: Record<string, string>): Promise<ApiResponse> {
  return h.call("cancelRemediation", {
    method: "POST",
    path: `/api/remediations/${INSTANCE}/cancel`,
    params: { id: INSTANCE },
    headers,
  });
}
function errorOf(r: ApiResponse): { code: string; message: string; details?: Record<string, unknown> } {
  return (r.json as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
}
const runFor = (h: Api, minutes: number) => h.product.run(h.product.host.clock.now() + minutes * 60_000);

describe("authentication on (the deployed default)", () => {
  it("answers 401 to every trigger without a principal, and to a malformed one, before anything happens", async () => {
    const h = await api();
    const calls: [string, () => Promise<ApiResponse>][] = [
      ["start", () => h.call("startRemediation", { method: "POST", path: "/api/remediations", body: startBody() })],
      [
        "start, name header only",
        () =>
          h.call("startRemediation", {
            method: "POST",
            path: "/api/remediations",
            body: startBody(),
            headers: { "x-ms-client-principal-name": ALICE.name },
          }),
      ],
      [
        "start, malformed principal",
        () =>
          h.call("startRemediation", {
            method: "POST",
            path: "/api/remediations",
            body: startBody(),
            headers: { "x-ms-client-principal": "not base64 json {" },
          }),
      ],
      [
        "start, principal of the wrong shape",
        () =>
          h.call("startRemediation", {
            method: "POST",
            path: "/api/remediations",
            body: startBody(),
            headers: { "x-ms-client-principal": Buffer.from(JSON.stringify({ claims: "admin" })).toString("base64") },
          }),
      ],
      ["approve", () => approve(h, {})],
      ["cancel", () => cancel(h, {})],
      ["status", () => h.call("getRemediation", { path: `/api/remediations/${INSTANCE}`, params: { id: INSTANCE } })],
      ["audit", () => h.call("listAuditRuns", { path: "/api/audit/runs" })],
    ];
    for (const [what, call] of calls) {
      const r = await call();
      expect(r.status, what).toBe(401);
      expect(errorOf(r).code, what).toBe("Unauthenticated");
    }
    expect(h.product.host.listInstances({})).toEqual([]);
    expect(h.product.sim.requestLog()).toEqual([]);
  });

  it("answers 403 to a signed-in caller without the role the endpoint needs", async () => {
    const h = await api();
    const auditorStarts = await start(h, signedIn(DAVE));
    expect(auditorStarts.status).toBe(403);
    expect(errorOf(auditorStarts)).toMatchObject({ code: "Forbidden", details: { requiredRole: "Port25.Operator" } });
    const noRoles = await start(h, signedIn({ ...BOB, roles: [] }));
    expect(noRoles.status).toBe(403);
    const operatorReadsAudit = await h.call("listAuditRuns", { path: "/api/audit/runs", headers: signedIn(ALICE) });
    expect(operatorReadsAudit.status).toBe(403);
    expect(errorOf(operatorReadsAudit).message).toContain("Port25.Auditor");
    expect(h.product.host.listInstances({})).toEqual([]);
  });

  it("refuses a request body that tries to name the starter: the starter is the principal", async () => {
    const h = await api();
    const r = await start(h, signedIn(ALICE), { requestedBy: "bob@contoso.example" });
    expect(r.status).toBe(400);
    expect(errorOf(r).details).toMatchObject({ fields: expect.arrayContaining(["(body)"]) as unknown });
  });

  it("refuses self-approval with the reason (by principal id, whatever the display name), then records starter, approver and exemption approver apart", async () => {
    const h = await api();
    const started = await start(h, signedIn(ALICE));
    expect(started.status, started.text).toBe(202);
    expect(started.json).toMatchObject({ requestedBy: ALICE.name, requireApproval: true, allowSelfApproval: false });
    const { runId } = started.json as { runId: string };
    await runFor(h, 5);
    expect(h.product.progress()).toMatchObject({ phase: "approve" });

    const self = await approve(h, signedIn(ALICE));
    expect(self.status).toBe(403);
    expect(errorOf(self)).toMatchObject({
      code: "SelfApprovalRefused",
      details: { startedBy: ALICE.name, approver: ALICE.name },
    });
    expect(errorOf(self).message).toMatch(/different principal.*allowSelfApproval/s);
    // Another display name does not make another person: the object id decides.
    const disguised = await approve(h, signedIn(ALICE, "Alice (second account)"));
    expect(disguised.status).toBe(403);
    expect(errorOf(disguised).code).toBe("SelfApprovalRefused");
    const auditor = await approve(h, signedIn(DAVE));
    expect(auditor.status).toBe(403);
    expect(errorOf(auditor).code).toBe("Forbidden");
    expect(h.product.progress()).toMatchObject({ phase: "approve" });

    const approved = await approve(h, signedIn(BOB));
    expect(approved.status, approved.text).toBe(202);
    expect(approved.json).toMatchObject({ approvedBy: BOB.name, approvedById: BOB.oid });
    expect(approved.json).not.toHaveProperty("selfApproval");
    await h.product.run();

    const summary = h.product.result().summary;
    expect(summary).toMatchObject({ status: "completed", approval: { by: BOB.name, byId: BOB.oid } });
    expect(summary.approval?.selfApproval).toBeUndefined();
    const audited = await h.audit.getRun(runId);
    expect(audited?.run).toMatchObject({
      requestedBy: ALICE.name,
      requestedById: ALICE.oid,
      // The exemption's approver is what the attestation says, kept apart from the run's starter and approver.
      attestation: { approvedBy: "network-ops@contoso.example" },
      summary: { approval: { by: BOB.name, byId: BOB.oid } },
    });
    expect(audited?.run.allowSelfApproval).toBeUndefined();

    // Every refusal is on the record, with who tried what, and chained with the rest of the audit.
    const refusals = await h.audit.listRefusals();
    expect(refusals.map((r) => [r.status, r.code, r.action.function, r.caller.id, r.caller.name]).sort()).toEqual(
      [
        [403, "Forbidden", "approveRemediation", DAVE.oid, DAVE.name],
        [403, "SelfApprovalRefused", "approveRemediation", ALICE.oid, ALICE.name],
        [403, "SelfApprovalRefused", "approveRemediation", ALICE.oid, "Alice (second account)"],
      ].sort(),
    );
    expect(
      refusals.every((r) => r.caller.authenticated && r.action.path === `/api/remediations/${INSTANCE}/approve`),
    ).toBe(true);
    const verified = await h.call("verifyAudit", { path: "/api/audit/verify", headers: signedIn(DAVE) });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.json).toMatchObject({ ok: true, problems: [] });
    expect((verified.json as { chains: { chain: string; links: number }[] }).chains).toEqual(
      expect.arrayContaining([expect.objectContaining({ chain: "refusals", links: 3 })]),
    );
    const notAuditor = await h.call("verifyAudit", { path: "/api/audit/verify", headers: signedIn(BOB) });
    expect(notAuditor.status).toBe(403);
  });

  it("lets a single-operator lab approve its own run when the start asks for it, and records the self-approval", async () => {
    const h = await api();
    const started = await start(h, signedIn(ALICE), { allowSelfApproval: true });
    expect(started.status, started.text).toBe(202);
    expect(started.json).toMatchObject({ allowSelfApproval: true });
    const { runId } = started.json as { runId: string };
    await runFor(h, 5);
    const approved = await approve(h, signedIn(ALICE));
    expect(approved.status, approved.text).toBe(202);
    expect(approved.json).toMatchObject({ approvedBy: ALICE.name, approvedById: ALICE.oid, selfApproval: true });
    await h.product.run();
    const audited = await h.audit.getRun(runId);
    expect(audited?.run).toMatchObject({
      allowSelfApproval: true,
      requestedById: ALICE.oid,
      summary: { status: "completed", approval: { by: ALICE.name, byId: ALICE.oid, selfApproval: true } },
    });
  });

  it("records the canceller as the principal", async () => {
    const h = await api();
    expect((await start(h, signedIn(ALICE))).status).toBe(202);
    await runFor(h, 5);
    const cancelled = await cancel(h, signedIn(BOB));
    expect(cancelled.status, cancelled.text).toBe(202);
    expect(cancelled.json).toMatchObject({ cancelledBy: BOB.name, cancelledById: BOB.oid });
    await h.product.run();
    expect(h.product.result().summary).toMatchObject({
      status: "cancelled",
      cancellation: { by: BOB.name, byId: BOB.oid },
    });
  });
});

describe("function keys only (authEnabled=false, the opt-out)", () => {
  it("vouches for nobody: an approval between unnamed key holders is accepted and recorded as unverified", async () => {
    const h = await api({ PORT25_AUTH_ENABLED: "false" });
    const started = await start(h, {});
    expect(started.status, started.text).toBe(202);
    expect(started.json).toMatchObject({ requestedBy: "function-key-holder" });
    await runFor(h, 5);
    const approved = await approve(h, {});
    expect(approved.status, approved.text).toBe(202);
    expect(approved.json).toMatchObject({ approvedBy: "function-key-holder", unverified: true });
    expect(approved.json).not.toHaveProperty("selfApproval");
    await h.product.run();
    const runId = (started.json as { runId: string }).runId;
    expect((await h.audit.getRun(runId))?.run.summary?.approval).toMatchObject({
      by: "function-key-holder",
      unverified: true,
    });
    const html = await h.call("getAuditRun", { path: `/api/audit/runs/${runId}?format=html`, params: { runId } });
    expect(html.text).toContain("(unverified: authentication was off)");
  });

  it("still refuses a key holder who declares the starter's own name", async () => {
    const h = await api({ PORT25_AUTH_ENABLED: "false" });
    const started = await start(h, { "x-ms-client-principal-name": ALICE.name });
    expect(started.status, started.text).toBe(202);
    expect(started.json).toMatchObject({ requestedBy: ALICE.name });
    await runFor(h, 5);
    const self = await approve(h, { "x-ms-client-principal-name": ALICE.name.toUpperCase() });
    expect(self.status).toBe(403);
    expect(errorOf(self).code).toBe("SelfApprovalRefused");
    const other = await approve(h, { "x-ms-client-principal-name": BOB.name });
    expect(other.status, other.text).toBe(202);
    expect(other.json).toMatchObject({ approvedBy: BOB.name, unverified: true });
  });
});

describe("authentication that fails closed", () => {
  it("answers 503 AuthenticationMisconfigured, and starts nothing, when sign-in is enforced but App Service authentication is off", async () => {
    const h = await api({ PORT25_AUTH_ENABLED: "true", WEBSITE_AUTH_ENABLED: "False" });
    const forged = await start(h, signedIn(ALICE));
    expect(forged.status, forged.text).toBe(503);
    expect(errorOf(forged).code).toBe("AuthenticationMisconfigured");
    expect(errorOf(forged).message).toMatch(/WEBSITE_AUTH_ENABLED/);
    const status = await h.call("getRemediation", {
      path: `/api/remediations/${INSTANCE}`,
      params: { id: INSTANCE },
      headers: signedIn(ALICE),
    });
    expect(status.status).toBe(503);
    expect(h.product.host.getStatus(INSTANCE)).toBeUndefined();
  });

  it("on App Service with PORT25_AUTH_ENABLED unset, enforces sign-in: a forged principal without the platform's signal is refused", async () => {
    const h = await api({ WEBSITE_SITE_NAME: "func-port25", WEBSITE_INSTANCE_ID: "0123abcd" });
    const forged = await start(h, signedIn(ALICE));
    expect(forged.status, forged.text).toBe(503);
    expect(errorOf(forged).code).toBe("AuthenticationMisconfigured");
  });

  it("on App Service with PORT25_AUTH_ENABLED unset and authentication on, demands a principal", async () => {
    const h = await api({ WEBSITE_SITE_NAME: "func-port25", WEBSITE_AUTH_ENABLED: "True" });
    const anonymous = await start(h, {});
    expect(anonymous.status, anonymous.text).toBe(401);
    const started = await start(h, signedIn(ALICE));
    expect(started.status, started.text).toBe(202);
    expect(started.json).toMatchObject({ requestedBy: ALICE.name });
  });
});
