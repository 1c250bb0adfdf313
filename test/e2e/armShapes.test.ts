/**
 * Whole runs against every answer shape ARM's contract allows for a long-running operation (pinned one at a time;
 * by default the simulator draws them per request), and against the errors ARM really returns on VNet writes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import type { RemediationResult } from "../../src/contracts/remediation";
import type { ScenarioInput } from "../../src/simulator";
import { fleet, scenario } from "./scenarios";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

async function run(s: ScenarioInput): Promise<{ product: ProductHost; result: RemediationResult }> {
  const r = await runRemediation({ scenario: s });
  open.push(r.product);
  expect(checkInvariants(r.product.sim, r.result, r.product.scenario)).toEqual([]);
  return r;
}

const delegatedVnet = {
  name: "vnet-app",
  resourceGroup: "rg-app",
  addressPrefixes: ["10.0.0.0/16"],
  subnets: [
    { name: "default", addressPrefix: "10.0.0.0/24" },
    { name: "ase", addressPrefix: "10.0.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
  ],
};

function outcome(result: RemediationResult, name: string) {
  const o = result.outcomes.find((x) => x.name === name);
  if (o === undefined) throw new Error(`no outcome for ${name}`);
  return o;
}

describe("every long-running-operation shape ARM allows", () => {
  it.each([
    "synchronous",
    "location",
    "resourceLocation",
    "azureAsyncOperation",
    "azureAsyncOperationAndLocation",
  ] as const)("completes a run whose operations are all answered %s", async (lro) => {
    const { product, result } = await run(
      scenario({ vms: fleet(3), vnets: [delegatedVnet], behaviour: { responseShapes: { lro } } }),
    );
    expect(result.summary.status).toBe("completed");
    expect(outcome(result, "vnet-app")).toMatchObject({ outcome: "cycled", actions: ["addSubnet", "removeSubnet"] });
    expect(product.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toEqual(["default", "ase"]);
    expect(result.summary.canary).toMatchObject({ result: "reachable", probesSent: 30, probesFailed: 0 });
    for (const n of ["app-001", "app-002", "app-003"])
      expect(outcome(result, n)).toMatchObject({ outcome: "cycled", stateAfter: "running" });
  });

  it("takes a connectivity check answered at once (200) as the canary's verdict", async () => {
    const { product, result } = await run(
      scenario({ vms: fleet(2), behaviour: { responseShapes: { lro: "synchronous", connectionStatus: "spec" } } }),
    );
    expect(result.summary.status).toBe("completed");
    expect(result.summary.canary).toMatchObject({
      result: "reachable",
      connectionStatus: "Connected",
      probesSent: 30,
      probesFailed: 0,
    });
    expect(result.summary.canary?.detail).toMatch(
      /reached smtp\.contoso\.example:25 \(Connected; 30 probe\(s\) sent, 0 failed\)/,
    );
    const checks = product.sim.requestLog().filter((e) => e.operation === "connectivityCheck");
    expect(checks.map((e) => e.status)).toEqual([200]);
    expect(product.sim.requestLog().some((e) => e.operation === "getOperationResult")).toBe(false);
  });

  it("halts on Disconnected (the spec's word for unreachable) with the probe counts recorded", async () => {
    const { result } = await run(
      scenario({
        exemption: { exempted: false },
        vms: fleet(2),
        behaviour: { responseShapes: { connectionStatus: "spec" } },
      }),
    );
    expect(result.summary.status).toBe("halted");
    expect(result.summary.canary).toMatchObject({
      result: "unreachable",
      connectionStatus: "Disconnected",
      probesSent: 30,
      probesFailed: 30,
    });
  });
});

describe("a connectivity check without a verdict", () => {
  it("halts the run, canary up and fleet untouched, when the check keeps failing past every retry", async () => {
    const { product, result } = await run(
      scenario({
        vms: fleet(2),
        behaviour: { faults: [{ kind: "http5xx", status: 500, match: { operation: "connectivityCheck" } }] },
      }),
    );
    expect(result.summary.status).toBe("halted");
    expect(result.summary.canary).toMatchObject({ result: "unavailable" });
    expect(result.summary.canary?.detail).toMatch(/could not be run/);
    expect(outcome(result, "canary-01")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    for (const n of ["app-001", "app-002"]) expect(product.sim.timeline(outcome(result, n).resourceId)).toEqual([]);
  });
});

describe("errors ARM returns on VNet writes", () => {
  it("sends the temporary subnet's add again when ARM ends it Failed with AnotherOperationInProgress", async () => {
    const { product, result } = await run(
      scenario({
        vnets: [delegatedVnet],
        behaviour: {
          faults: [
            { kind: "lroFailed", code: "AnotherOperationInProgress", match: { operation: "putSubnet" }, count: 1 },
          ],
        },
      }),
    );
    expect(outcome(result, "vnet-app")).toMatchObject({ outcome: "cycled" });
    const puts = product.sim.requestLog().filter((e) => e.method === "PUT" && /\/subnets\/port25-temp-/i.test(e.path));
    expect(puts).toHaveLength(2);
    expect(product.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toEqual(["default", "ase"]);
  });

  it("still fails the VNet at once when ARM ends the add Failed for good", async () => {
    // Not through run(): invariant 4 reads a PUT answered 2xx as a subnet created, which ARM rolled back here.
    const { product, result } = await runRemediation({
      scenario: scenario({
        vnets: [delegatedVnet],
        behaviour: {
          faults: [{ kind: "lroFailed", code: "InternalExecutionError", match: { operation: "putSubnet" }, count: 1 }],
        },
      }),
    });
    open.push(product);
    expect(outcome(result, "vnet-app")).toMatchObject({
      outcome: "failed",
      reasonCode: "operationFailed",
      errorCode: "InternalExecutionError",
    });
    expect(
      product.sim.requestLog().filter((e) => e.method === "PUT" && /\/subnets\/port25-temp-/i.test(e.path)),
    ).toHaveLength(1);
    expect(product.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toEqual(["default", "ase"]);
  });
});
