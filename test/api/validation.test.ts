import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type LocalAzurite } from "../support/azurite";
import { registeredFunctions } from "../../src/durable-host/functionsCore";
import { MAX_REQUEST_BYTES } from "../../src/contracts/startRequest";
import { principalHeaders, startApi, type Api, type ApiResponse } from "../support/api";
import { apiScenario, APPROVED_AT, startBody, SUB } from "./fixtures";

let azurite: LocalAzurite;
/** One host for every refused request: each test also checks that none of the earlier ones left a trace. */
let shared: Api;
const open: Api[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  shared = await startApi({ scenario: apiScenario(), azuriteConnection: azurite.connectionString });
});
afterAll(async () => {
  await shared.close();
  await azurite.stop();
});
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

function api(): Api {
  return shared;
}

async function ownApi(env: Record<string, string>): Promise<Api> {
  const h = await startApi({ scenario: apiScenario(), azuriteConnection: azurite.connectionString, env });
  open.push(h);
  return h;
}

interface ApiError {
  code: string;
  message: string;
  details?: { fields?: string[] };
}

function errorOf(r: ApiResponse): ApiError {
  return (r.json as { error: ApiError }).error;
}

/** Nothing started in the host, nothing asked of ARM, nothing in the audit tables. */
async function expectNothingHappened(h: Api): Promise<void> {
  expect(h.product.host.listInstances({})).toEqual([]);
  expect(h.product.sim.requestLog()).toEqual([]);
  expect((await h.audit.listRuns({})).runs).toEqual([]);
}

const attestation = { reference: "REQ-25-0042", approvedBy: "network-ops@contoso.example", approvedAt: APPROVED_AT };
const FUTURE = new Date(Date.now() + 24 * 3_600_000).toISOString();

/** [what, body, the field the 400 must name]. */
const BAD_BODIES: [string, unknown, string][] = [
  ["no subscription id", { attestation }, "subscriptionId"],
  ["a subscription id that is not a GUID", { subscriptionId: "prod-sub", attestation }, "subscriptionId"],
  ["no attestation", { subscriptionId: SUB }, "attestation"],
  [
    "an attestation reference that is too short",
    startBody({ attestation: { ...attestation, reference: "x" } }),
    "attestation.reference",
  ],
  ["an empty approver", startBody({ attestation: { ...attestation, approvedBy: "  " } }), "attestation.approvedBy"],
  [
    "an approval time that is not ISO 8601",
    startBody({ attestation: { ...attestation, approvedAt: "yesterday" } }),
    "attestation.approvedAt",
  ],
  [
    "an approval time in the future",
    startBody({ attestation: { ...attestation, approvedAt: FUTURE } }),
    "attestation.approvedAt",
  ],
  ["an unknown attestation field", startBody({ attestation: { ...attestation, ticket: "X" } }), "attestation"],
  ["an unknown mode", startBody({ mode: "destroy" }), "mode"],
  ["requireApproval as a string", startBody({ requireApproval: "yes" }), "requireApproval"],
  ["a concurrency of zero", startBody({ options: { maxConcurrency: 0 } }), "options.maxConcurrency"],
  ["a batch size above the cap", startBody({ options: { batchSize: 500 } }), "options.batchSize"],
  ["an unknown verification", startBody({ options: { verification: "trustMe" } }), "options.verification"],
  ["a probe host with a space", startBody({ options: { probeHost: "smtp relay" } }), "options.probeHost"],
  [
    "an approval timeout of zero",
    startBody({ options: { approvalTimeoutMinutes: 0 } }),
    "options.approvalTimeoutMinutes",
  ],
  [
    "a selected resource that is not an ARM id",
    startBody({ options: { onlyResourceIds: ["app-01"] } }),
    "options.onlyResourceIds[0]",
  ],
  ["an unknown option", startBody({ options: { dryRun: true } }), "options"],
  ["options as a list", startBody({ options: [] }), "options"],
  ["an unknown top-level field", startBody({ force: true }), "(body)"],
  ["a JSON array", [startBody()], "(body)"],
  ["text that is not JSON", "{subscriptionId:", "(body)"],
  ["an empty body", "", "(body)"],
];

describe("bad requests are refused with 400 naming the field, and start nothing", () => {
  it.each(BAD_BODIES)("POST /api/remediations with %s", async (_what, body, field) => {
    const h = api();
    const r = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    expect(r.status, r.text).toBe(400);
    const error = errorOf(r);
    expect(error.code).toBe("ValidationFailed");
    expect(error.details?.fields).toContain(field);
    if (field !== "(body)") expect(error.message).toContain(field);
    await expectNothingHappened(h);
  });

  it("names the unknown top-level field in the message", async () => {
    const h = api();
    const r = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody({ force: true }),
    });
    expect(errorOf(r).message).toContain("force");
  });

  it("answers 413 to a body over the limit, declared or not, and starts nothing", async () => {
    const h = api();
    const padded = JSON.stringify(
      startBody({ attestation: { ...attestation, reference: "R".repeat(MAX_REQUEST_BYTES) } }),
    );
    const r = await h.call("startRemediation", { method: "POST", path: "/api/remediations", body: padded });
    expect(r.status).toBe(413);
    expect(errorOf(r).code).toBe("PayloadTooLarge");
    const declared = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: JSON.stringify(startBody()),
      headers: { "content-length": String(MAX_REQUEST_BYTES + 1) },
    });
    expect(declared.status).toBe(413);
    await expectNothingHappened(h);
  });

  it.each([
    ["a subscription id that is not a GUID", "subscriptionId=abc", "subscriptionId"],
    ["a from that is not a time", "from=yesterday", "from"],
    ["a to that is not a time", "to=2026-13-01", "to"],
    ["from after to", "from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from"],
    ["a page size of zero", "pageSize=0", "pageSize"],
    ["a page size that is not a number", "pageSize=lots", "pageSize"],
    ["a page size above the cap", "pageSize=201", "pageSize"],
    ["a repeated filter", `subscriptionId=${SUB}&subscriptionId=${SUB}`, "subscriptionId"],
    ["a continuation token over 2 KB", `continuationToken=${"a".repeat(2049)}`, "continuationToken"],
  ])("GET /api/audit/runs with %s", async (_what, query, field) => {
    const h = api();
    const r = await h.call("listAuditRuns", { path: `/api/audit/runs?${query}` });
    expect(r.status, r.text).toBe(400);
    expect(errorOf(r).details?.fields).toContain(field);
    await expectNothingHappened(h);
  });

  it("GET /api/audit/runs/{runId} refuses an unknown format and a malformed run id", async () => {
    const h = api();
    const format = await h.call("getAuditRun", {
      path: "/api/audit/runs/20260303T080000Z-abc?format=pdf",
      params: { runId: "20260303T080000Z-abc" },
    });
    expect(format.status).toBe(400);
    expect(errorOf(format).details?.fields).toContain("format");
    const id = await h.call("getAuditRun", { path: "/api/audit/runs/..%2Fetc", params: { runId: "../etc" } });
    expect(id.status).toBe(400);
    expect(errorOf(id).details?.fields).toContain("runId");
  });

  it.each([
    ["getRemediation", "GET"],
    ["approveRemediation", "POST"],
    ["cancelRemediation", "POST"],
  ] as const)("%s refuses an instance id that is not one of ours with 400 naming it", async (name, method) => {
    const h = api();
    const r = await h.call(name, {
      method,
      path: "/api/remediations/not-an-instance",
      params: { id: "not-an-instance" },
    });
    expect(r.status, r.text).toBe(400);
    expect(errorOf(r).details?.fields).toContain("id");
    await expectNothingHappened(h);
  });

  it("answers 404 for an instance that does not exist", async () => {
    const h = api();
    const r = await h.call("getRemediation", { path: `/api/remediations/${SUB}`, params: { id: SUB } });
    expect(r.status).toBe(404);
  });
});

describe("access", () => {
  it("registers every HTTP trigger with authLevel function, and the timer with the schedule app setting", () => {
    const http = [...registeredFunctions().values()].filter((r) => r.kind === "http");
    expect(http.map((r) => r.name).sort()).toEqual(
      [
        "approveCampaign",
        "approveRemediation",
        "cancelCampaign",
        "cancelRemediation",
        "getAuditCampaign",
        "getAuditRun",
        "getCampaign",
        "getRemediation",
        "listAuditCampaigns",
        "listAuditRuns",
        "startCampaign",
        "startRemediation",
        "verifyAudit",
      ].sort(),
    );
    for (const r of http) {
      const trigger = Object.values(r.metadata.bindings).find((b) => b.type === "httpTrigger");
      expect(trigger?.authLevel, r.name).toBe("function");
    }
    const timers = [...registeredFunctions().values()].filter((r) => r.kind === "timer");
    expect(
      timers.map((r) => [r.name, Object.values(r.metadata.bindings).find((b) => b.type === "timerTrigger")?.schedule]),
    ).toEqual([["reverifySubscriptions", "%PORT25_REVERIFY_SCHEDULE%"]]);
  });

  it("with PORT25_AUTH_ENABLED, refuses a caller without the operator role (403) or unsigned (401), and records the operator who starts", async () => {
    const h = await ownApi({ PORT25_AUTH_ENABLED: "true" });
    const auditor = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody(),
      headers: principalHeaders("dave@contoso.example", ["Port25.Auditor"]),
    });
    expect(auditor.status).toBe(403);
    expect(errorOf(auditor).message).toContain("Port25.Operator");
    const anonymous = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody(),
    });
    expect(anonymous.status).toBe(401);
    const operatorOnly = await h.call("listAuditRuns", {
      path: "/api/audit/runs",
      headers: principalHeaders("erin@contoso.example", ["Port25.Operator"]),
    });
    expect(operatorOnly.status).toBe(403);
    await expectNothingHappened(h);

    const ok = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody({ mode: "plan" }),
      headers: principalHeaders("erin@contoso.example", ["Port25.Operator"]),
    });
    expect(ok.status, ok.text).toBe(202);
    await h.product.run();
    const { runId } = ok.json as { runId: string };
    expect((await h.audit.getRun(runId))?.run.requestedBy).toBe("erin@contoso.example");
  });
});
