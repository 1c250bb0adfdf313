/**
 * Bad input at every edge — HTTP bodies, query strings and route ids, CLI flags, scenario files and app settings —
 * is rejected with a message naming the field, and nothing is started or written: no instance in the host, no write
 * in the simulator's log, no row in the audit tables, no report file.
 */
import { mkdtempSync, readdirSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { remediationInstanceId } from "../../src/contracts/remediation";
import { main } from "../../src/cli/main";
import { loadScenario } from "../../src/simulator";
import { parseConfig } from "../../src/config";
import { MAX_REQUEST_BYTES } from "../../src/contracts/startRequest";
import { ensureError } from "../../src/errors";
import { smallScenario, startApi, SUBSCRIPTION_ID, validStartBody, withField, type Api } from "../support/api";
import { START } from "../e2e/scenarios";

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

/** Nothing started, nothing written — checked after every case. */
async function expectNothingHappened(): Promise<void> {
  expect(api.instanceCount()).toBe(0);
  expect(api.armWrites()).toBe(0);
  expect(await api.auditRows()).toBe(0);
}

interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: string[] } };
}

function errorOf(body: unknown): ErrorBody["error"] {
  expect(body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  return (body as ErrorBody).error;
}

const FUTURE = "2099-01-01T00:00:00Z";
const body = (path: string, value: unknown): string => JSON.stringify(withField(validStartBody(), path, value));

// ------------------------------------------------------------------------------------------------ HTTP bodies

const START_BODY_CASES: { name: string; body: string; field: string; status?: number }[] = [
  { name: "a body that is not JSON", body: '{"subscriptionId": ', field: "(body)" },
  { name: "an empty body", body: "", field: "(body)" },
  { name: "a JSON array instead of an object", body: "[]", field: "(body)" },
  { name: "a missing subscriptionId", body: body("subscriptionId", undefined), field: "subscriptionId" },
  { name: "a subscriptionId that is not a GUID", body: body("subscriptionId", "1234-abcd"), field: "subscriptionId" },
  { name: "a subscriptionId in braces", body: body("subscriptionId", `{${SUBSCRIPTION_ID}}`), field: "subscriptionId" },
  { name: "a subscriptionId of the wrong type", body: body("subscriptionId", 12345), field: "subscriptionId" },
  {
    name: "a subscriptionId carrying a path",
    body: body("subscriptionId", `${SUBSCRIPTION_ID}/resourceGroups/x`),
    field: "subscriptionId",
  },
  { name: "a missing attestation", body: body("attestation", undefined), field: "attestation" },
  { name: "an empty attestation", body: body("attestation", {}), field: "attestation.reference" },
  { name: "an empty attestation reference", body: body("attestation.reference", ""), field: "attestation.reference" },
  { name: "a blank attestation reference", body: body("attestation.reference", "   "), field: "attestation.reference" },
  { name: "an empty approver", body: body("attestation.approvedBy", ""), field: "attestation.approvedBy" },
  {
    name: "an approval date that is not a date",
    body: body("attestation.approvedAt", "yesterday"),
    field: "attestation.approvedAt",
  },
  {
    name: "an approval date in the future",
    body: body("attestation.approvedAt", FUTURE),
    field: "attestation.approvedAt",
  },
  {
    name: "an oversized attestation reference",
    body: body("attestation.reference", "R".repeat(201)),
    field: "attestation.reference",
  },
  { name: "an unknown attestation field", body: body("attestation.signedBy", "me"), field: "attestation" },
  { name: "an unknown top-level field", body: body("callbackUrl", "https://evil.example/hook"), field: "(body)" },
  { name: "an unknown mode", body: body("mode", "destroy"), field: "mode" },
  { name: "requireApproval as a string", body: body("requireApproval", "yes"), field: "requireApproval" },
  { name: "options as a string", body: body("options", "fast"), field: "options" },
  { name: "a zero maxConcurrency", body: body("options.maxConcurrency", 0), field: "options.maxConcurrency" },
  { name: "a fractional maxConcurrency", body: body("options.maxConcurrency", 1.5), field: "options.maxConcurrency" },
  {
    name: "a maxConcurrency given as text",
    body: body("options.maxConcurrency", "5"),
    field: "options.maxConcurrency",
  },
  {
    name: "a negative transition timeout",
    body: body("options.transitionTimeoutMinutes", -1),
    field: "options.transitionTimeoutMinutes",
  },
  {
    name: "a zero restore deadline",
    body: body("options.restoreTimeoutMinutes", 0),
    field: "options.restoreTimeoutMinutes",
  },
  {
    name: "a restore deadline over a day",
    body: body("options.restoreTimeoutMinutes", 1441),
    field: "options.restoreTimeoutMinutes",
  },
  { name: "an unknown option", body: body("options.dryRun", true), field: "options" },
  {
    name: "a shell injection in the probe host",
    body: body("options.probeHost", "smtp.example; rm -rf /"),
    field: "options.probeHost",
  },
  {
    name: "markup in the probe host",
    body: body("options.probeHost", "<script>alert(1)</script>"),
    field: "options.probeHost",
  },
  {
    name: "a resource id that is not one",
    body: body("options.onlyResourceIds", ["not-an-id"]),
    field: "options.onlyResourceIds[0]",
  },
  {
    name: "a resource id whose subscription is not a GUID",
    body: body("options.onlyResourceIds", [
      "/subscriptions/x'or'1'='1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
    ]),
    field: "options.onlyResourceIds[0]",
  },
  {
    name: "a resource id with an injected resource group",
    body: body("options.onlyResourceIds", [
      `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg';DROP TABLE runs;--/providers/Microsoft.Compute/virtualMachines/vm`,
    ]),
    field: "options.onlyResourceIds[0]",
  },
  {
    name: "an escape sequence in the attestation reference",
    body: body("attestation.reference", "REQ-1\u001b[2J\u001b[31m"),
    field: "attestation.reference",
  },
  {
    name: "a forged log line (CR/LF) in the attestation reference",
    body: body("attestation.reference", "REQ-1\r\n2026-03-02 INFO approved by ciso"),
    field: "attestation.reference",
  },
  {
    name: "a NUL in the approver",
    body: body("attestation.approvedBy", "ops\u0000admin"),
    field: "attestation.approvedBy",
  },
  {
    name: "a bidirectional override in the approver",
    body: body("attestation.approvedBy", "ops\u202Etxt.exe"),
    field: "attestation.approvedBy",
  },
  {
    name: "an oversized body",
    body: body("attestation.reference", "x".repeat(MAX_REQUEST_BYTES)),
    field: "exceeds",
    status: 413,
  },
];

describe("POST /api/remediations rejects a bad body, naming the field, and starts nothing", () => {
  afterEach(expectNothingHappened);

  it.each(START_BODY_CASES)("$name → $field", async (c) => {
    const res = await api.call("startRemediation", { method: "POST", path: "/api/remediations", body: c.body });
    expect(res.status).toBe(c.status ?? 400);
    const err = errorOf(res.json);
    if (c.status === 413) {
      expect(err.code).toBe("PayloadTooLarge");
      expect(err.message).toMatch(new RegExp(`${c.field} ${MAX_REQUEST_BYTES} bytes`));
      return;
    }
    expect(err.code).toBe("ValidationFailed");
    // A body that is not an object at all is named as the body; every other case names its field.
    expect(err.message).toContain(c.field === "(body)" ? "body" : c.field);
    expect(err.details?.fields).toContain(c.field);
  });
});

// ------------------------------------------------------------------------------- query strings and route ids

const ROUTE_CASES: {
  name: string;
  fn: string;
  method: string;
  path: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  field: string;
  /** An unknown parameter: reported against the query as a whole, its name in the message. */
  unknown?: true;
}[] = [
  {
    name: "a subscription filter that is not a GUID",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?subscriptionId=abc",
    field: "subscriptionId",
  },
  {
    name: "a from date that is not a date",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?from=last-week",
    field: "from",
  },
  {
    name: "a from after to",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
    field: "from",
  },
  {
    name: "a zero page size",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?pageSize=0",
    field: "pageSize",
  },
  {
    name: "a page size that is not a number",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?pageSize=ten",
    field: "pageSize",
  },
  {
    name: "a huge page size",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?pageSize=100000",
    field: "pageSize",
  },
  {
    name: "an unknown query parameter",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?$filter=PartitionKey%20ne%20''",
    field: "$filter",
    unknown: true,
  },
  {
    name: "a repeated filter",
    fn: "listAuditRuns",
    method: "GET",
    path: `/api/audit/runs?subscriptionId=${SUBSCRIPTION_ID}&subscriptionId=${SUBSCRIPTION_ID}`,
    field: "subscriptionId",
  },
  {
    name: "an oversized continuation token",
    fn: "listAuditRuns",
    method: "GET",
    path: `/api/audit/runs?continuationToken=${"t".repeat(3000)}`,
    field: "continuationToken",
  },
  {
    name: "a continuation token that is not one",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?continuationToken=not-a-token",
    field: "continuationToken",
  },
  {
    name: "a continuation token of base64 that is not a page's",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?continuationToken=Zm9vYmFy",
    field: "continuationToken",
  },
  {
    name: "a campaign listing's continuation token that is not one",
    fn: "listAuditCampaigns",
    method: "GET",
    path: "/api/audit/campaigns?continuationToken=%7B%7D",
    field: "continuationToken",
  },
  {
    name: "a from after to once offsets are read (earlier as text)",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?from=2026-03-02T01:00:00Z&to=2026-03-02T02:00:00%2B03:00",
    field: "from",
  },
  {
    name: "an approval with a query parameter it does not take",
    fn: "approveRemediation",
    method: "POST",
    path: `/api/remediations/port25-${SUBSCRIPTION_ID}/approve?dryrun=1`,
    params: { id: `port25-${SUBSCRIPTION_ID}` },
    field: "dryrun",
    unknown: true,
  },
  {
    name: "a cancel with a query parameter it does not take",
    fn: "cancelRemediation",
    method: "POST",
    path: `/api/remediations/port25-${SUBSCRIPTION_ID}/cancel?force=true`,
    params: { id: `port25-${SUBSCRIPTION_ID}` },
    field: "force",
    unknown: true,
  },
  {
    name: "a caller name carrying an escape sequence",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs",
    headers: { "x-ms-client-principal-name": "eve\u001b[2J\u001b[1;1Hadmin" },
    field: "x-ms-client-principal-name",
  },
  {
    name: "a run id with a path traversal",
    fn: "getAuditRun",
    method: "GET",
    path: "/api/audit/runs/x",
    params: { runId: "../../runs" },
    field: "runId",
  },
  {
    name: "a run id with a table-query injection",
    fn: "getAuditRun",
    method: "GET",
    path: "/api/audit/runs/x",
    params: { runId: "x' or PartitionKey ne '" },
    field: "runId",
  },
  {
    name: "an unknown report format",
    fn: "getAuditRun",
    method: "GET",
    path: "/api/audit/runs/r1?format=pdf",
    params: { runId: "r1" },
    field: "format",
  },
  {
    name: "a campaign filter with a table-query injection",
    fn: "listAuditRuns",
    method: "GET",
    path: "/api/audit/runs?campaignId=x'%20or%20PartitionKey%20ne%20'",
    field: "campaignId",
  },
  {
    name: "a campaign id with a path traversal",
    fn: "getAuditCampaign",
    method: "GET",
    path: "/api/audit/campaigns/x",
    params: { campaignId: "../../runs" },
    field: "campaignId",
  },
  {
    name: "a campaign id with a table-query injection",
    fn: "getAuditCampaign",
    method: "GET",
    path: "/api/audit/campaigns/x",
    params: { campaignId: "x' or PartitionKey ne '" },
    field: "campaignId",
  },
  {
    name: "an unknown campaign report format",
    fn: "getAuditCampaign",
    method: "GET",
    path: "/api/audit/campaigns/c1?format=pdf",
    params: { campaignId: "c1" },
    field: "format",
  },
  {
    name: "a campaign listing from after to",
    fn: "listAuditCampaigns",
    method: "GET",
    path: "/api/audit/campaigns?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
    field: "from",
  },
  {
    name: "a huge campaign page size",
    fn: "listAuditCampaigns",
    method: "GET",
    path: "/api/audit/campaigns?pageSize=100000",
    field: "pageSize",
  },
  {
    name: "an unknown campaign listing parameter",
    fn: "listAuditCampaigns",
    method: "GET",
    path: "/api/audit/campaigns?$filter=PartitionKey%20ne%20''",
    field: "$filter",
    unknown: true,
  },
  {
    name: "a status id that is not an instance id",
    fn: "getRemediation",
    method: "GET",
    path: "/api/remediations/x",
    params: { id: "not-an-instance" },
    field: "id",
  },
  {
    name: "an approve id with a path",
    fn: "approveRemediation",
    method: "POST",
    path: "/api/remediations/x/approve",
    params: { id: `port25-${SUBSCRIPTION_ID}/../other` },
    field: "id",
  },
  {
    name: "a cancel id that is empty",
    fn: "cancelRemediation",
    method: "POST",
    path: "/api/remediations//cancel",
    params: { id: "" },
    field: "id",
  },
];

describe("query strings and route ids are validated, naming the parameter", () => {
  afterEach(expectNothingHappened);

  it.each(ROUTE_CASES)("$fn: $name → $field", async (c) => {
    const res = await api.call(c.fn, {
      method: c.method,
      path: c.path,
      ...(c.params === undefined ? {} : { params: c.params }),
      ...(c.headers === undefined ? {} : { headers: c.headers }),
    });
    expect(res.status).toBe(400);
    const err = errorOf(res.json);
    expect(err.message).toContain(c.field);
    // An unknown parameter is reported against the query as a whole (its name is in the message).
    if (c.unknown !== true) expect(err.details?.fields).toContain(c.field);
  });
});

// ------------------------------------------------------------------------------------------------- CLI flags

const CLI_CASES: { name: string; argv: string[]; flag: string }[] = [
  { name: "a zero fleet size", argv: ["simulate", "--vms", "0"], flag: "--vms" },
  { name: "a fleet size that is not a number", argv: ["simulate", "--vms", "many"], flag: "--vms" },
  { name: "an unknown mode", argv: ["simulate", "--mode", "destroy"], flag: "--mode" },
  { name: "a negative time scale", argv: ["simulate", "--time-scale", "-5"], flag: "--time-scale" },
  {
    name: "a scenario file that does not exist",
    argv: ["simulate", "--scenario", "/nonexistent/port25-scenario.json"],
    flag: "--scenario",
  },
  { name: "an unknown flag", argv: ["simulate", "--delete-everything"], flag: "--delete-everything" },
  { name: "a negative fleet size (a value starting with a dash)", argv: ["simulate", "--vms", "-5"], flag: "--vms" },
  {
    name: "an app address without its scheme",
    argv: ["audit", "--app", "127.0.0.1:7391", "--key", "k"],
    flag: "--app",
  },
  {
    name: "a CA file that does not exist",
    argv: ["plan", "--subscription", SUBSCRIPTION_ID, "--ca", "/nonexistent/port25-ca.pem"],
    flag: "--ca",
  },
  {
    name: "a notification format without a webhook",
    argv: ["simulate", "--notify-format", "teams"],
    flag: "--notify-format",
  },
  {
    name: "a concurrency of subscriptions for one subscription",
    argv: ["simulate", "--max-concurrent-subscriptions", "3"],
    flag: "--max-concurrent-subscriptions",
  },
  {
    name: "a plan subscription that is not a GUID",
    argv: ["plan", "--subscription", "not-a-guid"],
    flag: "--subscription",
  },
  {
    name: "a start with an empty attestation reference",
    argv: [
      "start",
      "--app",
      "https://port25.example",
      "--subscription",
      SUBSCRIPTION_ID,
      "--attestation-ref",
      "",
      "--approved-by",
      "ops",
      "--approved-at",
      "2026-03-02T09:00:00Z",
    ],
    flag: "--attestation-ref",
  },
  {
    name: "a start with an approval date that is not a date",
    argv: [
      "start",
      "--app",
      "https://port25.example",
      "--subscription",
      SUBSCRIPTION_ID,
      "--attestation-ref",
      "REQ-1",
      "--approved-by",
      "ops",
      "--approved-at",
      "soon",
    ],
    flag: "--approved-at",
  },
];

describe("the port25 command rejects bad flags with exit code 2, naming the flag, and writes nothing", () => {
  const reports = join(process.cwd(), "reports");
  const listReports = (): string[] => (existsSync(reports) ? readdirSync(reports).sort() : []);

  it.each(CLI_CASES)("$name → $flag", async (c) => {
    const before = listReports();
    const err: string[] = [];
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const errSpy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await main(c.argv);
    } finally {
      out.mockRestore();
      errSpy.mockRestore();
    }
    expect(code).toBe(2);
    expect(err.join("")).toContain(c.flag);
    expect(listReports()).toEqual(before);
    await expectNothingHappened();
  });
});

// --------------------------------------------------------------------------------------------- scenario files

type ScenarioObj = Record<string, unknown>;
const scenarioWith = (mutate: (s: ScenarioObj) => void): ScenarioObj => {
  const s = structuredClone(smallScenario()) as unknown as ScenarioObj;
  mutate(s);
  return s;
};
const vms = (s: ScenarioObj): ScenarioObj[] => s.vms as ScenarioObj[];
const firstVm = (s: ScenarioObj): ScenarioObj => {
  const vm = vms(s)[0];
  if (vm === undefined) throw new Error("the scenario has no VM");
  return vm;
};

const SCENARIO_CASES: { name: string; scenario: ScenarioObj; field: string }[] = [
  {
    name: "a VM name with a SQL injection",
    scenario: scenarioWith((s) => void (firstVm(s).name = "vm'; DROP TABLE runs;--")),
    field: "vms[0].name",
  },
  {
    name: "a VM name with markup",
    scenario: scenarioWith((s) => void (firstVm(s).name = "<img src=x onerror=alert(1)>")),
    field: "vms[0].name",
  },
  {
    name: "a subscription id that is not a GUID",
    scenario: scenarioWith((s) => void ((s.subscription as ScenarioObj).id = "sub-1")),
    field: "subscription.id",
  },
  { name: "an unknown VM field", scenario: scenarioWith((s) => void (firstVm(s).colour = "blue")), field: "vms[0]" },
  {
    name: "an unknown power state",
    scenario: scenarioWith((s) => void (firstVm(s).power = "hibernated")),
    field: "vms[0].power",
  },
  {
    name: "a tag value that is not a string",
    scenario: scenarioWith((s) => void (firstVm(s).tags = { "port25-wave": 1 })),
    field: "vms[0].tags.port25-wave",
  },
  {
    name: "a VM in an undeclared resource group",
    scenario: scenarioWith((s) => void (firstVm(s).resourceGroup = "rg-ghost")),
    field: "vms[0].resourceGroup",
  },
  {
    name: "an exemption without its date",
    scenario: scenarioWith((s) => void (s.exemption = { exempted: true })),
    field: "exemption.effectiveAt",
  },
  {
    name: "a start time that is not a date",
    scenario: scenarioWith((s) => void (s.behaviour = { startTime: "tomorrow" })),
    field: "behaviour.startTime",
  },
  {
    name: "an unknown fault kind",
    scenario: scenarioWith((s) => void (s.behaviour = { faults: [{ kind: "meteor" }] })),
    field: "behaviour.faults[0].kind",
  },
  {
    name: "a subnet prefix with host bits",
    scenario: scenarioWith(
      (s) =>
        void (s.vnets = [
          {
            name: "v",
            resourceGroup: "rg-app",
            addressPrefixes: ["10.0.0.0/16"],
            subnets: [{ name: "s", addressPrefix: "10.0.0.1/24" }],
          },
        ]),
    ),
    field: "vnets[0].subnets[0].addressPrefix",
  },
];

describe("scenario files are validated, naming the field", () => {
  it.each(SCENARIO_CASES)("$name → $field", (c) => {
    let message = "";
    try {
      loadScenario(c.scenario as Parameters<typeof loadScenario>[0]);
    } catch (e) {
      message = ensureError(e).message;
    }
    expect(message).toMatch(/^Invalid scenario: /);
    expect(message).toContain(c.field);
  });

  it("a scenario file that is not JSON → names the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "port25-badinput-"));
    const file = join(dir, "broken.json");
    writeFileSync(file, '{"subscription": {');
    expect(() => loadScenario(file)).toThrow(
      new RegExp(`scenario file ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
  });
});

// ------------------------------------------------------------------------------------------------ app settings

const SETTINGS_CASES: { name: string; env: Record<string, string>; field: string }[] = [
  {
    name: "an ARM endpoint over plain http",
    env: { PORT25_ARM_ENDPOINT: "http://management.azure.com" },
    field: "PORT25_ARM_ENDPOINT",
  },
  {
    name: "a static token for a public ARM endpoint",
    env: { PORT25_ARM_STATIC_TOKEN: "abc" },
    field: "PORT25_ARM_STATIC_TOKEN",
  },
  { name: "a client id that is not a GUID", env: { AZURE_CLIENT_ID: "my-identity" }, field: "AZURE_CLIENT_ID" },
  {
    name: "a table prefix with an injection",
    env: { PORT25_AUDIT_TABLE_PREFIX: "port25;DROP" },
    field: "PORT25_AUDIT_TABLE_PREFIX",
  },
  {
    name: "a table endpoint that is not a URL",
    env: { PORT25_AUDIT_TABLE_ENDPOINT: "tables please" },
    field: "PORT25_AUDIT_TABLE_ENDPOINT",
  },
  { name: "a boolean spelled yes", env: { PORT25_AUTO_REMEDIATE: "yes" }, field: "PORT25_AUTO_REMEDIATE" },
  {
    name: "a schedule that is not NCRONTAB",
    env: { PORT25_REVERIFY_SCHEDULE: "every day" },
    field: "PORT25_REVERIFY_SCHEDULE",
  },
  { name: "a task hub name that is too short", env: { PORT25_TASK_HUB: "x" }, field: "PORT25_TASK_HUB" },
  {
    name: "a probe host longer than DNS allows",
    env: { PORT25_PROBE_HOST: `${"a".repeat(254)}` },
    field: "PORT25_PROBE_HOST",
  },
];

describe("app settings are validated, naming the setting", () => {
  it.each(SETTINGS_CASES)("$name → $field", (c) => {
    expect(() => parseConfig(c.env)).toThrow(
      expect.objectContaining({ name: "ConfigError", message: expect.stringContaining(c.field) }),
    );
  });
});

// ------------------------------------------------------------------------------------------ fuzzing the start body

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const text = (min: number, max: number) =>
  fc.string({ minLength: min, maxLength: max }).filter((t) => t.trim().length >= min);
// Past for the host's clock, which the triggers stamp with: the stack's virtual clock starts at the scenario's START.
const pastIso = fc
  .date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date(Date.parse(START) - 3600_000), noInvalidDate: true })
  .map((d) => d.toISOString());

const validBody = fc.record({
  subscriptionId: fc.uuid(),
  attestation: fc.record({ reference: text(3, 200), approvedBy: text(1, 200), approvedAt: pastIso }),
  mode: fc.constantFrom("plan", "execute"),
  requireApproval: fc.boolean(),
  options: fc.record(
    {
      maxConcurrency: fc.integer({ min: 1, max: 1000 }),
      maxUnavailablePerAvailabilitySet: fc.integer({ min: 1, max: 100 }),
      transitionTimeoutMinutes: fc.integer({ min: 1, max: 240 }),
      restoreTimeoutMinutes: fc.integer({ min: 1, max: 1440 }),
      verification: fc.constantFrom("canaryProbe", "attestationOnly"),
      probeHost: fc.domain(),
    },
    { requiredKeys: [] },
  ),
});
type Body = Record<string, unknown>;

const notAGuid = fc.string({ maxLength: 40 }).filter((t) => !GUID.test(t));
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constant({}),
);
const unknownKey = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((k) => !["subscriptionId", "attestation", "mode", "requireApproval", "options", "__proto__"].includes(k));

/** One way to break a valid body, and the field the rejection must name. */
const mutation: fc.Arbitrary<{ field: string; apply: (b: Body) => Body }> = fc.oneof(
  fc
    .constantFrom(
      "subscriptionId",
      "attestation",
      "attestation.reference",
      "attestation.approvedBy",
      "attestation.approvedAt",
    )
    .map((field) => ({ field, apply: (b: Body) => withField(b, field, undefined) })),
  fc
    .tuple(
      fc.constantFrom(
        "subscriptionId",
        "mode",
        "requireApproval",
        "attestation.approvedAt",
        "attestation.reference",
        "options.maxConcurrency",
      ),
      wrongType,
    )
    // A boolean is the right type for requireApproval, and an integer from 1 to 1000 a valid maxConcurrency.
    .filter(([field, v]) => !(field === "requireApproval" && typeof v === "boolean"))
    .filter(
      ([field, v]) =>
        !(field === "options.maxConcurrency" && typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 1000),
    )
    .map(([field, v]) => ({ field, apply: (b: Body) => withField(b, field, v) })),
  notAGuid.map((v) => ({ field: "subscriptionId", apply: (b: Body) => withField(b, "subscriptionId", v) })),
  fc
    .date({ min: new Date("2100-01-01T00:00:00Z"), max: new Date("2999-01-01T00:00:00Z"), noInvalidDate: true })
    .map((d) => ({
      field: "attestation.approvedAt",
      apply: (b: Body) => withField(b, "attestation.approvedAt", d.toISOString()),
    })),
  fc.tuple(fc.constantFrom("", "attestation.", "options."), unknownKey).map(([at, k]) => ({
    field: at === "" ? "(body)" : at.slice(0, -1),
    apply: (b: Body) => withField(b, `${at}${k}`, 1),
  })),
);

describe("fuzzing the start body", () => {
  it("accepts every valid body with 202 and starts exactly that subscription's run", async () => {
    await fc.assert(
      fc.asyncProperty(validBody, async (b) => {
        const res = await api.call("startRemediation", {
          method: "POST",
          path: "/api/remediations",
          body: JSON.stringify(b),
        });
        expect(res.status).toBe(202);
        const id = remediationInstanceId(b.subscriptionId);
        expect(api.product.host.listInstances().map((i) => i.instanceId)).toEqual([id]);
        api.product.host.purge(id);
      }),
      { numRuns: 60 },
    );
    await expectNothingHappened();
  });

  it("rejects every mutated body with 400 naming the field, never a 5xx, and starts nothing", async () => {
    await fc.assert(
      fc.asyncProperty(validBody, mutation, async (b, m) => {
        const res = await api.call("startRemediation", {
          method: "POST",
          path: "/api/remediations",
          body: JSON.stringify(m.apply(b)),
        });
        const started = api.product.host.listInstances().map((i) => i.instanceId);
        // Clean up before asserting, so a failing case leaves nothing for the shrinker's next try.
        for (const id of started) api.product.host.purge(id);
        expect({ status: res.status, started }).toEqual({ status: 400, started: [] });
        expect({ field: m.field, fields: errorOf(res.json).details?.fields }).toEqual({
          field: m.field,
          fields: expect.arrayContaining([
            expect.stringMatching(new RegExp(`^${m.field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\.|\\[|$)`)),
          ]),
        });
      }),
      { numRuns: 150 },
    );
    await expectNothingHappened();
  });

  it("answers any JSON at all with a 4xx, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (v) => {
        const res = await api.call("startRemediation", {
          method: "POST",
          path: "/api/remediations",
          body: JSON.stringify(v) ?? "null",
        });
        expect([400, 413]).toContain(res.status);
      }),
      { numRuns: 150 },
    );
    await expectNothingHappened();
  });
});

describe("the table", () => {
  it("has at least 40 cases across the five surfaces", () => {
    const n =
      START_BODY_CASES.length +
      ROUTE_CASES.length +
      CLI_CASES.length +
      SCENARIO_CASES.length +
      1 +
      SETTINGS_CASES.length;
    expect(n).toBeGreaterThanOrEqual(40);
  });
});
