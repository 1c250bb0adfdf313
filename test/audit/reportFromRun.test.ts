/**
 * The report of a real run: a remediation on the simulator through the HTTP API, its audit record read back from
 * Azurite and rendered as the API renders it. Fixtures written by hand can agree with a reader's bug; the record the
 * orchestrations write cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type LocalAzurite } from "../support/azurite";
import { startApi, type Api } from "../support/api";
import { apiScenario, startBody, SUB, vm } from "../api/fixtures";
import type { AuditedRun } from "../../src/contracts/audit";

let azurite: LocalAzurite;
let h: Api;
let html: string;
let audited: AuditedRun;

beforeAll(async () => {
  azurite = await startAzurite();
  const scenario = apiScenario({
    vms: [
      vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
      vm("app-01"),
      vm("parked-01", { power: "stopped" }),
      vm("badwave-01", { tags: { "port25-wave": "soon" } }),
      vm("skip-01", { tags: { "port25-remediation": "skip" } }),
    ],
  });
  scenario.scaleSets = [
    {
      name: "vmss-uni",
      resourceGroup: "rg-app",
      orchestrationMode: "Uniform",
      instances: [{ instanceId: "0" }, { instanceId: "1", power: "stopped" }],
    },
  ];
  h = await startApi({ scenario, azuriteConnection: azurite.connectionString });
  const started = await h.call("startRemediation", {
    method: "POST",
    path: "/api/remediations",
    body: startBody({ options: { restoreStoppedVms: true } }),
    headers: { "x-ms-client-principal-name": "alice@contoso.example" },
  });
  expect(started.status, started.text).toBe(202);
  await h.product.run();
  const runId = (started.json as { runId: string }).runId;
  const got = await h.call("getAuditRun", { path: `/api/audit/runs/${runId}`, params: { runId } });
  audited = got.json as AuditedRun;
  html = (await h.call("getAuditRun", { path: `/api/audit/runs/${runId}?format=html`, params: { runId } })).text;
});
afterAll(async () => {
  await h.close();
  await azurite.stop();
});

const outcome = (name: string) => audited.outcomes.find((o) => o.name === name);

describe("the report of a real run", () => {
  it("completed the run it reports on", () => {
    expect(h.product.result().summary.status).toBe("completed");
    expect(h.product.result().input.subscriptionId).toBe(SUB);
    expect(audited.run.runId).toBe(h.product.result().summary.runId);
  });

  it("names the temporary subnet each VNet refresh used, with its prefix", () => {
    const vnet = outcome("vnet-app");
    expect(vnet?.outcome).toBe("cycled");
    const row = /<tr class="vnet">.*?<\/tr>/s.exec(html)?.[0] ?? "";
    expect(row).toMatch(/<td><code>port25-temp-[\w-]+ 10\.20\.\d+\.\d+\/29<\/code><\/td>/);
  });

  it("lists an invalid port25-wave value under its own reason, not under the skip tag", () => {
    expect(outcome("badwave-01")).toMatchObject({ outcome: "skipped", reasonCode: "invalidWaveTag" });
    expect(outcome("skip-01")).toMatchObject({ outcome: "skipped", reasonCode: "skipTag" });
    const group = /<details class="skip-group" data-reason="invalidWaveTag".*?<\/details>/s.exec(html)?.[0] ?? "";
    expect(group).toContain("badwave-01");
    expect(group).toContain("port25-wave is not an integer");
    const skipGroup = /<details class="skip-group" data-reason="skipTag".*?<\/details>/s.exec(html)?.[0] ?? "";
    expect(skipGroup).toContain("skip-01");
    expect(skipGroup).not.toContain("badwave-01");
  });

  it("gives a uniform scale set's state after the run per instance", () => {
    const row = /<tr class="scale-set">.*?<\/tr>/s.exec(html)?.[0] ?? "";
    expect(row).toContain("vmss-uni");
    expect(row).toMatch(/data-instance="0" data-state-after="running"/);
    expect(row).toMatch(/data-instance="1" data-state-after="stopped"/);
  });

  it("draws a VM restored to stopped apart from the cycled ones", () => {
    const parked = outcome("parked-01");
    expect(parked).toMatchObject({ outcome: "cycled", stateAfter: "stopped" });
    const bar = (name: string) =>
      new RegExp(`<rect class="bar (bar-[a-z]+)"[^>]*data-resource="${outcome(name)?.resourceId ?? "?"}"`).exec(
        html,
      )?.[1];
    expect(bar("parked-01")).toBe("bar-stopped");
    expect(bar("app-01")).toBe("bar-cycled");
    expect(html).toMatch(/<i class="swatch stopped"><\/i>stopped before the run: deallocated, left stopped \(1\)/);
  });
});
