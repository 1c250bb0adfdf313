/**
 * Least exposure: every trigger needs a key, a run stays inside its subscription, secrets never reach logs, audit
 * records, histories or API answers, request bodies are capped, and nothing in the API can write the audit.
 */
import { request as httpsRequest } from "node:https";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registeredFunctions, type Registration } from "../../src/durable-host/functionsCore";
import { AZURITE_ACCOUNT_KEY } from "../../src/audit/localAzurite";
import { createAuditStore } from "../../src/audit/store";
import { MAX_REQUEST_BYTES } from "../../src/contracts/startRequest";
import { remediationInstanceId, type RemediationResult } from "../../src/contracts/remediation";
import { smallScenario, startApi, SUBSCRIPTION_ID, validStartBody, type Api } from "../support/api";
import { checkInvariants } from "../support/invariants";

const OTHER_SUBSCRIPTION = "0f0e0d0c-0b0a-4909-8807-060504030201";
const OTHER_VM = `/subscriptions/${OTHER_SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/app-01`;

interface HttpTriggerBinding {
  type: string;
  authLevel?: string;
  route?: string;
  methods?: string[];
}

function httpTriggers(): { reg: Registration; trigger: HttpTriggerBinding }[] {
  return [...registeredFunctions().values()]
    .filter((r) => r.kind === "http")
    .map((reg) => {
      const trigger = Object.values(reg.metadata.bindings).find((b) => b.type === "httpTrigger") as
        HttpTriggerBinding | undefined;
      if (trigger === undefined) throw new Error(`${reg.name} is an HTTP function without an httpTrigger binding`);
      return { reg, trigger };
    });
}

/** The functions the Functions host would route `method path` to (route templates, case-insensitive). */
function routeOf(method: string, path: string): string[] {
  return httpTriggers()
    .filter(({ reg, trigger }) => {
      const template = trigger.route ?? reg.name;
      const pattern = template
        .split("/")
        .map((seg) =>
          /^\{\*.+\}$/.test(seg) ? ".*" : /^\{.+\}$/.test(seg) ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
        )
        .join("/");
      const methods = (trigger.methods ?? ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]).map((m) =>
        m.toUpperCase(),
      );
      return new RegExp(`^${pattern}$`, "i").test(path) && methods.includes(method);
    })
    .map(({ reg }) => reg.name);
}

/** A raw request to the simulator with its real token (what a confused or hostile caller could send). */
function simGet(api: Api, path: string): Promise<{ status: number; code: string }> {
  const { sim } = api.product;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${sim.endpoint}${path}`,
      { method: "GET", ca: sim.caPem, headers: { authorization: `Bearer ${sim.token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { error?: { code?: string } };
          resolve({ status: res.statusCode ?? 0, code: body.error?.code ?? "" });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The token a notification webhook's address embeds (Teams and Slack URLs carry theirs in the path). */
const WEBHOOK_TOKEN = "whk-T0KEN-9f8e7d6c5b4a";

describe("security", () => {
  let api: Api;
  const hostLog: string[] = [];
  const consoleOut: string[] = [];
  let result: RemediationResult;
  let answers: string[] = [];

  beforeAll(async () => {
    const capture =
      (sink: string[]) =>
      (...args: unknown[]) =>
        void sink.push(args.map((a) => (typeof a === "string" ? a : (JSON.stringify(a) ?? String(a)))).join(" "));
    for (const m of ["log", "info", "warn", "error", "debug"] as const)
      vi.spyOn(console, m).mockImplementation(capture(consoleOut));
    api = await startApi({
      scenario: smallScenario({
        vnets: [
          {
            name: "vnet-app",
            resourceGroup: "rg-app",
            addressPrefixes: ["10.0.0.0/16"],
            subnets: [
              { name: "ase", addressPrefix: "10.0.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
            ],
          },
        ],
        // Failures put ARM error text into outcomes, logs and the audit: where a leaked header would show.
        behaviour: {
          startTime: "2026-03-03T08:00:00Z",
          faults: [
            { kind: "http5xx", status: 503, count: 2 },
            { kind: "conflict", status: 409, count: 2 },
            // Persistent: app-02 is left down, so its reason and manual action travel through every record too.
            { kind: "allocationFailure", match: { resource: "app-02" } },
            {
              kind: "throttleStorm",
              retryAfterSeconds: 2,
              probability: 0.2,
              count: 5,
              match: { operation: ["getVmInstanceView", "getOperationStatus"] },
            },
          ],
        },
      }),
      // A webhook whose address embeds a token, and that refuses every post: its failures are logged and audited.
      env: { PORT25_NOTIFY_WEBHOOKS: `https://127.0.0.1:1/hooks/${WEBHOOK_TOKEN}`, PORT25_NOTIFY_TIMEOUT_MS: "500" },
      host: {
        log: (level, fn, ...args) =>
          void hostLog.push(
            `${level} ${fn} ${args.map((a) => (typeof a === "string" ? a : (JSON.stringify(a) ?? String(a)))).join(" ")}`,
          ),
      },
    });
    const own = (name: string): string =>
      `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/${name}`;
    // A start that names a VM of another subscription among its resources: the run must not reach for it.
    const body = {
      ...validStartBody(),
      options: {
        maxConcurrency: 5,
        restoreTimeoutMinutes: 10,
        onlyResourceIds: [own("canary-01"), own("app-01"), OTHER_VM, own("app-02")],
      },
    };
    const started = await api.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: JSON.stringify(body),
    });
    expect(started.status).toBe(202);
    await api.product.host.runUntilIdle();
    result = api.product.result();
    const runId = result.input.runId;
    answers = [
      (
        await api.call("getRemediation", {
          method: "GET",
          path: `/api/remediations/${SUBSCRIPTION_ID}`,
          params: { id: SUBSCRIPTION_ID },
        })
      ).text,
      (await api.call("getAuditRun", { method: "GET", path: `/api/audit/runs/${runId}`, params: { runId } })).text,
      (
        await api.call("getAuditRun", {
          method: "GET",
          path: `/api/audit/runs/${runId}?format=html`,
          params: { runId },
        })
      ).text,
      (await api.call("listAuditRuns", { method: "GET", path: "/api/audit/runs" })).text,
    ];
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await api.close();
  });

  it("ran the remediation it inspects, with failures and retries, within the invariants", () => {
    expect(result.summary.status).toBe("completedWithFailures");
    expect(result.outcomes.find((o) => o.name === "app-02")).toMatchObject({
      outcome: "failed",
      reasonCode: "allocationFailed",
      leftDown: { state: "deallocated" },
    });
    expect(api.product.sim.requestLog().some((e) => e.status === 409 || e.status === 503)).toBe(true);
    expect(checkInvariants(api.product.sim, result, api.product.scenario)).toEqual([]);
  });

  it("has no anonymous trigger: every HTTP function of the app requires a key", () => {
    const triggers = httpTriggers();
    expect(triggers.map((t) => t.reg.name).sort()).toEqual(
      expect.arrayContaining([
        "approveRemediation",
        "cancelRemediation",
        "getAuditCampaign",
        "getAuditRun",
        "getRemediation",
        "listAuditCampaigns",
        "listAuditRuns",
        "startRemediation",
      ]),
    );
    for (const { reg, trigger } of triggers)
      expect({ name: reg.name, authLevel: trigger.authLevel }).toEqual({
        name: reg.name,
        authLevel: expect.stringMatching(/^(function|admin)$/),
      });
    // Every other registration is a durable trigger, which has no public endpoint at all.
    for (const r of registeredFunctions().values())
      expect(["http", "orchestration", "activity", "timer"]).toContain(r.kind);
  });

  it("routes no write to the audit: POST, PUT, PATCH and DELETE on the audit routes reach no function", () => {
    for (const path of [
      "audit/runs",
      "audit/runs/some-run",
      "audit/runs/some-run/outcomes",
      "audit/campaigns",
      "audit/campaigns/some-campaign",
      "audit",
    ]) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"])
        expect({ method, path, to: routeOf(method, path) }).toEqual({ method, path, to: [] });
    }
    expect(routeOf("GET", "audit/runs")).toEqual(["listAuditRuns"]);
    expect(routeOf("GET", "audit/runs/some-run")).toEqual(["getAuditRun"]);
    expect(routeOf("GET", "audit/campaigns")).toEqual(["listAuditCampaigns"]);
    expect(routeOf("GET", "audit/campaigns/some-campaign")).toEqual(["getAuditCampaign"]);
  });

  it("refuses to overwrite an audited run with different content, even from inside the app", async () => {
    const connection = api.azuriteConnection;
    const store = createAuditStore({
      PORT25_AUDIT_TABLE_CONNECTION: connection,
      PORT25_AUDIT_TABLE_PREFIX: api.auditPrefix,
    });
    const before = await store.getRun(result.input.runId);
    expect(before?.outcomes.length).toBe(result.outcomes.length);
    const tampered: RemediationResult = {
      ...result,
      outcomes: result.outcomes.map((o) => ({ ...o, outcome: "cycled" as const, reasonCode: undefined })),
    };
    await expect(store.recordRunCompleted(tampered)).rejects.toThrow();
    expect(await store.getRun(result.input.runId)).toEqual(before);
  });

  it("never sends a request outside the run's subscription, even for a resource id of another one", () => {
    const log = api.product.sim.requestLog();
    expect(log.length).toBeGreaterThan(20);
    const outside = log.filter((e) => !new RegExp(`^/subscriptions/${SUBSCRIPTION_ID}(/|$)`, "i").test(e.path));
    expect(outside).toEqual([]);
    expect(log.filter((e) => e.path.toLowerCase().includes(OTHER_SUBSCRIPTION))).toEqual([]);
    expect(result.outcomes.some((o) => o.resourceId.toLowerCase().includes(OTHER_SUBSCRIPTION))).toBe(false);
  });

  it("is refused by the simulator when a request does leave the subscription", async () => {
    expect(
      await simGet(
        api,
        `/subscriptions/${OTHER_SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01`,
      ),
    ).toEqual({
      status: 403,
      code: "AuthorizationFailed",
    });
    expect(await simGet(api, `/subscriptions/${OTHER_SUBSCRIPTION}?api-version=2022-12-01`)).toEqual({
      status: 404,
      code: "SubscriptionNotFound",
    });
    const refused = api.product.sim.requestLog().filter((e) => e.subscriptionId === OTHER_SUBSCRIPTION);
    expect(refused.map((e) => e.status).sort()).toEqual([403, 404]);
  });

  it("keeps the ARM token, the storage key and the webhooks' addresses out of logs, histories, audit records and API answers", async () => {
    const secrets = [
      api.product.sim.token,
      AZURITE_ACCOUNT_KEY,
      AZURITE_ACCOUNT_KEY.slice(0, 24),
      WEBHOOK_TOKEN,
      "127.0.0.1:1/",
    ];
    const connection = api.azuriteConnection;
    const { TableClient, TableServiceClient } = await import("@azure/data-tables");
    const entities: string[] = [];
    for await (const t of TableServiceClient.fromConnectionString(connection, {
      allowInsecureConnection: true,
    }).listTables()) {
      if (t.name === undefined || !t.name.startsWith(api.auditPrefix)) continue;
      for await (const e of TableClient.fromConnectionString(connection, t.name, {
        allowInsecureConnection: true,
      }).listEntities())
        entities.push(JSON.stringify(e));
    }
    expect(entities.length).toBeGreaterThan(result.outcomes.length);
    const histories = api.product.host.store.toJSON();
    expect(histories.length).toBeGreaterThan(1000);
    const haystacks: Record<string, string> = {
      hostLog: hostLog.join("\n"),
      console: consoleOut.join("\n"),
      auditEntities: entities.join("\n"),
      histories,
      apiAnswers: answers.join("\n"),
      status: JSON.stringify(api.product.host.listInstances()),
    };
    // What is read is the real thing: each record of the run names it, the host log through the notification events.
    for (const where of ["hostLog", "auditEntities", "histories", "apiAnswers", "status"])
      expect(haystacks[where]).toContain(result.input.runId);
    // The webhook's failures are on the record, by index and error.
    expect(haystacks["auditEntities"]).toMatch(/"status":"failed"/);
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of secrets) expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
      expect({ where, bearer: /Bearer\s+[A-Za-z0-9._~+/-]{10,}/.test(text) }).toEqual({ where, bearer: false });
    }
  });

  it("caps request bodies: one byte over the limit is 413, exactly at the limit is served, and a lying length is 413", async () => {
    const instanceId = remediationInstanceId(OTHER_SUBSCRIPTION);
    const valid = JSON.stringify({ ...validStartBody(), subscriptionId: OTHER_SUBSCRIPTION });
    const atLimit = valid + " ".repeat(MAX_REQUEST_BYTES - Buffer.byteLength(valid));
    const over = await api.call("startRemediation", { method: "POST", path: "/api/remediations", body: `${atLimit} ` });
    expect(over.status).toBe(413);
    const declared = await api.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: valid,
      headers: { "content-length": String(MAX_REQUEST_BYTES + 1) },
    });
    expect(declared.status).toBe(413);
    expect(api.product.host.getStatus(instanceId)).toBeUndefined();
    const served = await api.call("startRemediation", { method: "POST", path: "/api/remediations", body: atLimit });
    expect(served.status).toBe(202);
    expect(api.product.host.getStatus(instanceId)?.runtimeStatus).toBe("Pending");
    api.product.host.purge(instanceId);
  });
});
