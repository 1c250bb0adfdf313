import { describe, expect, it } from "vitest";
import { startProductHost, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import type { RemediationResult } from "../../src/contracts/remediation";
import { fleet, scenario, START, vm } from "./scenarios";
import { outcome, run, track } from "./checkedRuns";

function span(product: ProductHost, result: RemediationResult, names: string[]): { first: number; last: number } {
  const ats = names.flatMap((n) => product.sim.timeline(outcome(result, n).resourceId).map((c) => c.at));
  return { first: Math.min(...ats), last: Math.max(...ats) };
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

describe("a mixed topology", () => {
  it("applies every per-resource rule, keeps availability sets up and runs the waves in order", async () => {
    const { product, result } = await run({
      scenario: scenario({
        resourceGroups: [
          { name: "rg-app", location: "westeurope" },
          { name: "NetworkWatcherRG", location: "westeurope" },
          {
            name: "MC_rg-aks_aks-dev_westeurope",
            location: "westeurope",
            managedBy:
              "/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-dev",
          },
        ],
        vms: [
          vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
          vm("as-01", { availabilitySet: "avset-web" }),
          vm("as-02", { availabilitySet: "avset-web" }),
          vm("as-03", { availabilitySet: "avset-web" }),
          vm("zonal-01", { zone: "1" }),
          vm("zonal-02", { zone: "2" }),
          vm("flex-01", { flexScaleSet: "vmss-flex" }),
          vm("flex-02", { flexScaleSet: "vmss-flex" }),
          vm("aks-node-01", { resourceGroup: "MC_rg-aks_aks-dev_westeurope" }),
          vm("eph-01", { ephemeralOsDisk: true }),
          vm("spot-01", { priority: "Spot" }),
          vm("skip-01", { tags: { "port25-remediation": "skip" } }),
          vm("w1-01", { tags: { "port25-wave": "1" } }),
          vm("w1-02", { tags: { "port25-wave": "1" } }),
          vm("w2-01", { tags: { "port25-wave": "2" } }),
          vm("stopped-01", { power: "stopped" }),
          vm("dealloc-01", { power: "deallocated" }),
        ],
        scaleSets: [
          { name: "vmss-flex", resourceGroup: "rg-app", orchestrationMode: "Flexible" },
          {
            name: "vmss-uni",
            resourceGroup: "rg-app",
            orchestrationMode: "Uniform",
            instances: [
              { instanceId: "0" },
              { instanceId: "1" },
              { instanceId: "2", power: "stopped" },
              { instanceId: "3", power: "deallocated" },
            ],
          },
        ],
        vnets: [delegatedVnet],
      }),
    });
    expect(result.summary.status).toBe("completed");
    expect(outcome(result, "aks-node-01")).toMatchObject({ outcome: "skipped", reasonCode: "managedResourceGroup" });
    expect(outcome(result, "aks-node-01").message).toMatch(/AKS cluster "aks-dev"/);
    expect(outcome(result, "eph-01")).toMatchObject({ outcome: "skipped", reasonCode: "ephemeralOsDisk" });
    expect(outcome(result, "skip-01")).toMatchObject({ outcome: "skipped", reasonCode: "skipTag" });
    expect(outcome(result, "dealloc-01")).toMatchObject({ outcome: "skipped", reasonCode: "alreadyDeallocated" });
    for (const name of [
      "as-01",
      "as-02",
      "as-03",
      "zonal-01",
      "zonal-02",
      "flex-01",
      "flex-02",
      "spot-01",
      "w1-01",
      "w2-01",
    ]) {
      expect(outcome(result, name)).toMatchObject({
        outcome: "cycled",
        actions: ["powerOff", "deallocate", "start"],
        stateAfter: "running",
      });
    }
    // A stopped (allocated) VM is deallocated and left deallocated.
    expect(outcome(result, "stopped-01")).toMatchObject({ outcome: "cycled", actions: ["deallocate"] });
    expect(product.sim.timeline(outcome(result, "stopped-01").resourceId).map((c) => c.to)).toEqual([
      "deallocating",
      "deallocated",
    ]);
    // The uniform scale set: running instances cycled, the stopped one deallocated, the deallocated one untouched.
    const uni = outcome(result, "vmss-uni");
    expect(uni.outcome).toBe("cycled");
    const instances = product.sim.snapshot().scaleSets.find((s) => s.name === "vmss-uni")?.instances ?? [];
    expect(instances.map((i) => [i.instanceId, i.powerState])).toEqual([
      ["0", "running"],
      ["1", "running"],
      ["2", "deallocated"],
      ["3", "deallocated"],
    ]);
    expect(product.sim.timeline(uni.resourceId).filter((c) => c.instanceId === "3")).toEqual([]);
    // The availability set never had two members down at once.
    const as = ["as-01", "as-02", "as-03"].map((n) => span(product, result, [n])).sort((a, b) => a.first - b.first);
    for (let i = 1; i < as.length; i++) expect(as[i]?.first).toBeGreaterThanOrEqual(as[i - 1]?.last ?? Infinity);
    // Waves: canary, then tag 1, then tag 2, then the untagged.
    const canary = span(product, result, ["canary-01"]);
    const w1 = span(product, result, ["w1-01", "w1-02"]);
    const w2 = span(product, result, ["w2-01"]);
    const rest = span(product, result, ["zonal-01", "spot-01", "as-01"]);
    expect(canary.last).toBeLessThan(w1.first);
    expect(w1.last).toBeLessThan(w2.first);
    expect(w2.last).toBeLessThan(rest.first);
    // The delegated VNet got its temporary subnet added and removed.
    expect(outcome(result, "vnet-app")).toMatchObject({ outcome: "cycled", actions: ["addSubnet", "removeSubnet"] });
    expect(outcome(result, "vnet-app").detail?.["tempSubnet"]).toMatch(/^port25-temp-/);
  });
});

describe("the canary proof", () => {
  it("halts with the canary running again and the fleet untouched when TCP 25 is still blocked", async () => {
    const { product, result } = await run({ scenario: scenario({ exemption: { exempted: false }, vms: fleet(4) }) });
    expect(result.summary.status).toBe("halted");
    expect(result.summary.canary).toMatchObject({ result: "unreachable" });
    expect(result.summary.message).toMatch(/could not reach smtp\.contoso\.example:25/);
    expect(outcome(result, "canary-01")).toMatchObject({ outcome: "cycled", stateAfter: "running", canary: true });
    for (const n of ["app-001", "app-002", "app-003", "app-004"]) {
      expect(outcome(result, n)).toMatchObject({ outcome: "skipped", reasonCode: "haltedByCanary" });
      expect(product.sim.timeline(outcome(result, n).resourceId)).toEqual([]);
    }
  });

  it("skips the probe with attestationOnly and says so", async () => {
    const { product, result } = await run({
      scenario: scenario({ exemption: { exempted: false }, vms: fleet(2) }),
      options: { verification: "attestationOnly" },
    });
    expect(result.summary.status).toBe("completed");
    expect(result.summary.canary).toMatchObject({ result: "skipped", verification: "attestationOnly" });
    expect(result.summary.warnings.join(" ")).toMatch(/attestationOnly: TCP 25 was not probed/);
    expect(product.sim.requestLog().some((e) => e.operation === "connectivityCheck")).toBe(false);
  });

  it("halts before touching any VM when no canary is eligible", async () => {
    const { product, result } = await run({ scenario: scenario({ vms: [vm("app-01"), vm("app-02")] }) });
    expect(result.summary.status).toBe("halted");
    expect(result.summary.canary?.result).toBe("unavailable");
    expect(result.summary.message).toMatch(/port25-canary=true/);
    expect(product.sim.timeline()).toEqual([]);
  });
});

describe("approval and cancel", () => {
  it("waits for approval, then runs", async () => {
    const product = await startProductHost({ scenario: scenario() });
    track(product);
    product.start({ requireApproval: true });
    await product.run(Date.parse(START) + 10 * 60_000);
    expect(product.progress()?.phase).toBe("approve");
    expect(product.sim.timeline()).toEqual([]);
    product.approve();
    await product.run();
    const result = product.result();
    expect(result.summary.status).toBe("completed");
    expect(Math.min(...product.sim.timeline().map((c) => c.at))).toBeGreaterThanOrEqual(
      Date.parse(START) + 10 * 60_000,
    );
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  });

  it("cancel mid-wave lets the VMs in flight finish, starts no other and accounts for every VM", async () => {
    const product = await startProductHost({ scenario: scenario({ vms: fleet(24) }) });
    track(product);
    product.start({ options: { maxConcurrency: 4 } });
    await product.run(Date.parse(START) + 12 * 60_000);
    expect(product.progress()?.phase).toBe("waves");
    const cancelAt = product.host.clock.now();
    product.cancel();
    await product.run();
    const result = product.result();
    expect(result.summary.status).toBe("cancelled");
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    const cancelled = result.outcomes.filter((o) => o.reasonCode === "cancelled");
    const cycled = result.outcomes.filter((o) => o.outcome === "cycled");
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cycled.length).toBeGreaterThan(1);
    expect(cancelled.length + cycled.length).toBe(25);
    // Nothing began after the cancel; everything that began finished running.
    const firstChange = new Map<string, number>();
    for (const c of product.sim.timeline()) if (!firstChange.has(c.resourceId)) firstChange.set(c.resourceId, c.at);
    expect([...firstChange.values()].filter((at) => at > cancelAt)).toEqual([]);
    for (const o of cycled) expect(o.stateAfter).toBe("running");
  });
});

describe("a cancel that reaches only the run", () => {
  it("lets the lanes in flight finish and starts no later wave", async () => {
    const product = await startProductHost({
      scenario: scenario({ vms: [...fleet(4, { tags: { "port25-wave": "1" } }), vm("late-01"), vm("late-02")] }),
    });
    track(product);
    product.start({ options: { maxConcurrency: 2 } });
    await product.run(Date.parse(START) + 7.5 * 60_000);
    expect(product.progress()).toMatchObject({ phase: "waves", wave: 1 });
    product.host.raiseEvent(product.instanceId, "cancel");
    await product.run();
    const result = product.result();
    expect(result.summary.status).toBe("cancelled");
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    for (const n of ["app-001", "app-002", "app-003", "app-004"])
      expect(outcome(result, n)).toMatchObject({ outcome: "cycled" });
    for (const n of ["late-01", "late-02"]) {
      expect(outcome(result, n)).toMatchObject({ outcome: "skipped", reasonCode: "cancelled" });
      expect(product.sim.timeline(outcome(result, n).resourceId)).toEqual([]);
    }
  });
});

describe("ARM pushing back", () => {
  it("rides out a 429 storm by waiting Retry-After on durable timers", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vms: fleet(6),
        behaviour: {
          faults: [
            // Discovery meets a few 429s; the cycle's power operations and polls meet a storm.
            { kind: "throttleStorm", match: { operation: "listVms" }, count: 2, retryAfterSeconds: 3 },
            {
              kind: "throttleStorm",
              // Polls read the shared status listing (listVms) or, when it fails or cannot tell, each VM.
              match: {
                operation: [
                  "vmPowerOff",
                  "vmDeallocate",
                  "vmStart",
                  "listVms",
                  "getVmInstanceView",
                  "getOperationStatus",
                ],
              },
              probability: 0.5,
              count: 60,
              retryAfterSeconds: 7,
            },
          ],
        },
      }),
    });
    expect(product.sim.counters().throttled).toBeGreaterThanOrEqual(20);
    // Each 429 was waited out on a timer of at least its Retry-After: no request to the same path followed sooner.
    const log = product.sim.requestLog();
    for (const [i, e] of log.entries()) {
      // (listVms is left out: the gateway lists in parallel, so a sibling request may still land after a 429.)
      if (e.status !== 429 || e.operation === "listVms") continue;
      const next = log.slice(i + 1).find((n) => n.path === e.path);
      if (next !== undefined) expect(next.at - e.at).toBeGreaterThanOrEqual(7_000);
    }
    expect(result.summary.status).toBe("completed");
    expect(result.summary.counts.cycled).toBe(7);
  });

  it("retries an activity whose ARM calls keep failing with 5xx past the SDK's own retries", async () => {
    const { product, result } = await run({
      scenario: scenario({
        behaviour: {
          faults: [
            { kind: "http5xx", status: 503, match: { operation: "listResourceGroups" }, count: 5 },
            { kind: "http5xx", status: 500, match: { operation: "vmStart", resource: "app-01" }, count: 5 },
          ],
        },
      }),
    });
    expect(result.summary.status).toBe("completed");
    expect(product.sim.counters().faultsInjected["http5xx"]).toBe(10);
    const starts = product.sim
      .requestLog()
      .filter((e) => /\/app-01\/start$/.test(e.path))
      .map((e) => e.status);
    expect(starts.filter((st) => st === 500)).toHaveLength(5);
    expect(starts.filter((st) => st === 202)).toHaveLength(1);
    expect(outcome(result, "app-01")).toMatchObject({
      outcome: "cycled",
      actions: ["powerOff", "deallocate", "start"],
    });
  });

  it("retries 409 conflicts on the temporary subnet and still removes it", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vnets: [delegatedVnet],
        behaviour: {
          faults: [
            { kind: "conflict", status: 409, code: "AnotherOperationInProgress", count: 2 },
            { kind: "conflict", status: 429, match: { operation: "deleteSubnet" }, count: 2 },
          ],
        },
      }),
    });
    expect(outcome(result, "vnet-app")).toMatchObject({ outcome: "cycled" });
    const subnetCalls = product.sim
      .requestLog()
      .filter((e) => /\/subnets\/port25-temp-/i.test(e.path) && e.method !== "GET");
    expect(subnetCalls.filter((e) => e.status === 409 || e.status === 429).length).toBe(4);
    expect(product.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toEqual(["default", "ase"]);
  });

  it("skips a VNet with no free /29, naming the reason, and sends it nothing", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vnets: [
          {
            name: "vnet-full",
            resourceGroup: "rg-app",
            addressPrefixes: ["10.2.0.0/24"],
            subnets: [
              { name: "ase", addressPrefix: "10.2.0.0/25", delegations: ["Microsoft.Web/hostingEnvironments"] },
              { name: "apps", addressPrefix: "10.2.0.128/25" },
            ],
          },
        ],
      }),
    });
    expect(outcome(result, "vnet-full")).toMatchObject({ outcome: "skipped", reasonCode: "noFreeSubnetRange" });
    expect(product.sim.requestLog().filter((e) => /\/subnets\//i.test(e.path) && e.method !== "GET")).toEqual([]);
  });

  it("reports a VM whose start keeps failing on allocation left down, with ARM's code, and carries on", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vms: fleet(3),
        behaviour: { faults: [{ kind: "allocationFailure", match: { resource: "app-002" } }] },
      }),
      options: { restoreTimeoutMinutes: 10 },
    });
    expect(result.summary.status).toBe("completedWithFailures");
    const failed = outcome(result, "app-002");
    expect(failed).toMatchObject({
      outcome: "failed",
      reasonCode: "allocationFailed",
      leftDown: { state: "deallocated" },
    });
    expect(failed.message).toMatch(/^LEFT DOWN \(deallocated\): start failed: .*allocation/i);
    expect(failed.errorCode).toMatch(/Allocation/i);
    expect(failed.stateAfter).toBe("deallocated");
    expect(outcome(result, "app-003")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    expect(product.sim.snapshot().vms.find((v) => v.name === "app-002")?.powerState).toBe("deallocated");
  });
});
