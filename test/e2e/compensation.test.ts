/**
 * No VM left down: whatever fails after the run took a machine down, it is brought back to running, or reported
 * left down with the reason and the manual action — checked against the simulator's own state and timeline.
 */
import { describe, expect, it } from "vitest";
import type { ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { startLocalStack, type LocalStack } from "../../src/cli/localStack";
import { createAuditStore } from "../../src/audit/store";
import { escapeHtml, renderRunReport } from "../../src/audit/report";
import { renderSummary } from "../../src/cli/render";
import type { RemediationResult } from "../../src/contracts/remediation";
import type { FaultSpec } from "../../src/simulator";
import { fleet, scenario, vm } from "./scenarios";
import { outcome, run, track } from "./checkedRuns";

function powerOf(product: ProductHost | LocalStack, name: string): string | undefined {
  return product.sim.snapshot().vms.find((v) => v.name === name)?.powerState;
}

/** The power states a VM went through, in the simulator's own timeline. */
function path(product: ProductHost | LocalStack, result: RemediationResult, name: string): string[] {
  return product.sim.timeline(outcome(result, name).resourceId).map((c) => c.to);
}

const withFaults = (faults: FaultSpec[], vms = fleet(3)) => scenario({ vms, behaviour: { faults } });

describe("a failure after the VM went down", () => {
  it("starts a VM whose deallocate ended Failed again, and says it was restored", async () => {
    const { product, result } = await run({
      scenario: withFaults([
        { kind: "lroFailed", match: { operation: "vmDeallocate", resource: "app-001" }, count: 1 },
      ]),
    });
    const o = outcome(result, "app-001");
    expect(o).toMatchObject({
      outcome: "failed",
      reasonCode: "operationFailed",
      restored: true,
      stateAfter: "running",
      actions: ["powerOff", "deallocate", "start"],
    });
    expect(o.leftDown).toBeUndefined();
    expect(o.message).toMatch(/restored: started again and running/);
    expect(powerOf(product, "app-001")).toBe("running");
    expect(path(product, result, "app-001")).toEqual([
      "stopping",
      "stopped",
      "deallocating",
      "stopped",
      "starting",
      "running",
    ]);
    expect(result.summary.counts).toMatchObject({ failed: 1, leftDown: 0 });
    expect(result.summary.leftDown).toEqual([]);
    expect(outcome(result, "app-002")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
  });

  it("retries a start that failed once on allocation, with backoff, and completes the cycle", async () => {
    const { product, result } = await run({
      scenario: withFaults([{ kind: "allocationFailure", match: { resource: "app-002" }, count: 1 }]),
    });
    expect(result.summary.status).toBe("completed");
    const o = outcome(result, "app-002");
    expect(o).toMatchObject({
      outcome: "cycled",
      stateAfter: "running",
      actions: ["powerOff", "deallocate", "start", "start"],
    });
    expect(o.message).toMatch(/AllocationFailed.*retried and running/);
    expect(powerOf(product, "app-002")).toBe("running");
    expect(path(product, result, "app-002")).toEqual([
      "stopping",
      "stopped",
      "deallocating",
      "deallocated",
      "starting",
      "deallocated",
      "starting",
      "running",
    ]);
    // The second start came after a backoff, not at once.
    const starts = product.sim.requestLog().filter((e) => e.method === "POST" && /\/app-002\/start$/.test(e.path));
    expect(starts).toHaveLength(2);
    expect((starts[1]?.at ?? 0) - (starts[0]?.at ?? 0)).toBeGreaterThanOrEqual(60_000);
  });

  it("sends a step whose operation failed with a retryable code again, and completes the cycle", async () => {
    const { product, result } = await run({
      scenario: withFaults([
        {
          kind: "lroFailed",
          code: "RetryableError",
          match: { operation: "vmDeallocate", resource: "app-003" },
          count: 1,
        },
      ]),
    });
    expect(outcome(result, "app-003")).toMatchObject({
      outcome: "cycled",
      stateAfter: "running",
      actions: ["powerOff", "deallocate", "deallocate", "start"],
    });
    expect(path(product, result, "app-003")).toEqual([
      "stopping",
      "stopped",
      "deallocating",
      "stopped",
      "deallocating",
      "deallocated",
      "starting",
      "running",
    ]);
  });

  it("restores a canary whose cycle failed, and halts with the fleet untouched", async () => {
    const { product, result } = await run({
      scenario: withFaults([
        { kind: "lroFailed", match: { operation: "vmDeallocate", resource: "canary-01" }, count: 1 },
      ]),
    });
    expect(result.summary.status).toBe("halted");
    expect(outcome(result, "canary-01")).toMatchObject({
      outcome: "failed",
      restored: true,
      stateAfter: "running",
      canary: true,
    });
    expect(powerOf(product, "canary-01")).toBe("running");
    for (const n of ["app-001", "app-002", "app-003"])
      expect(product.sim.timeline(outcome(result, n).resourceId)).toEqual([]);
  });
});

describe("a VM that cannot be brought back", () => {
  it("is reported left down with the reason and the manual action, counted in the status, the summary and the audit", async () => {
    const stack = await startLocalStack({
      scenario: withFaults([{ kind: "allocationFailure", match: { resource: "app-002" } }]),
      audit: true,
    });
    track(stack);
    stack.start({ options: { restoreTimeoutMinutes: 20 }, runId: "left-down-1" });
    await stack.run();
    const result = stack.result();
    expect(checkInvariants(stack.sim, result, stack.scenario)).toEqual([]);
    const o = outcome(result, "app-002");
    expect(o).toMatchObject({
      outcome: "failed",
      reasonCode: "allocationFailed",
      errorCode: "AllocationFailed",
      stateAfter: "deallocated",
    });
    expect(o.leftDown).toMatchObject({ state: "deallocated", errorCode: "AllocationFailed" });
    expect(o.leftDown?.reason).toMatch(/allocation/i);
    expect(o.leftDown?.manualAction).toMatch(/resize.*zone/);
    expect(o.leftDown?.attempts).toBeGreaterThanOrEqual(3);
    // What the simulator says: down, deallocated, and every start attempt refused.
    expect(powerOf(stack, "app-002")).toBe("deallocated");
    const starts = stack.sim.requestLog().filter((e) => e.method === "POST" && /\/app-002\/start$/.test(e.path));
    expect(starts.length).toBe((o.leftDown?.attempts ?? 0) + 1);
    // The rest of the fleet is running.
    for (const n of ["canary-01", "app-001", "app-003"]) expect(powerOf(stack, n)).toBe("running");
    // Loud everywhere: the summary, the custom status the API serves, the audit record.
    expect(result.summary.status).toBe("completedWithFailures");
    expect(result.summary.message).toMatch(/^1 resource\(s\) LEFT DOWN .*app-002: deallocated/);
    expect(result.summary.counts).toMatchObject({ failed: 1, leftDown: 1 });
    expect(result.summary.leftDown).toEqual([
      expect.objectContaining({ name: "app-002", state: "deallocated", manualAction: o.leftDown?.manualAction }),
    ]);
    expect(stack.progress()?.counts).toMatchObject({ failed: 1, leftDown: 1 });
    const connection = stack.azurite?.connectionString ?? "";
    const audited = await createAuditStore({
      PORT25_AUDIT_TABLE_CONNECTION: connection,
      PORT25_AUDIT_TABLE_PREFIX: "port25",
    }).getRun("left-down-1");
    expect(audited?.run.summary?.counts.leftDown).toBe(1);
    expect(audited?.outcomes.find((x) => x.name === "app-002")?.leftDown).toEqual(o.leftDown);
    // The report of the audited run opens with it; the CLI's summary gives it its own line, first.
    if (audited === undefined) throw new Error("the run is not in the audit store");
    const html = renderRunReport(audited);
    expect(html.indexOf('id="left-down"')).toBeGreaterThan(0);
    expect(html.indexOf('id="left-down"')).toBeLessThan(html.indexOf('class="counts"'));
    expect(html).toContain(escapeHtml(o.leftDown?.manualAction ?? "?"));
    const text = renderSummary(result).split("\n");
    expect(text[2]).toBe("LEFT DOWN: 1 resource(s) the run took down and could not bring back — act on each:");
    expect(text[3]).toMatch(/^ {2}LEFT DOWN rg-app\/app-002: deallocated \(AllocationFailed\)/);
  });
});

describe("many VMs that cannot be brought back", () => {
  it("completes and is audited, the status it publishes within the extension's 16 KB however long the list", async () => {
    // 120 VMs with 60-character names, none of which Azure can start again: the summary names every one.
    const names = Array.from(
      { length: 120 },
      (_, i) => `app-with-a-deliberately-long-name-to-fill-the-list-${String(i + 1).padStart(5, "0")}`,
    );
    const stack = await startLocalStack({
      scenario: scenario({
        vms: [
          vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
          ...names.map((n) => vm(n)),
        ],
        behaviour: { faults: [{ kind: "allocationFailure", match: { resource: "app-with-a-deliberately" } }] },
      }),
      audit: true,
    });
    track(stack);
    stack.start({ options: { restoreTimeoutMinutes: 2, maxConcurrency: 40 }, runId: "left-down-many" });
    await stack.run();
    const result = stack.result();
    expect(checkInvariants(stack.sim, result, stack.scenario)).toEqual([]);
    expect(result.summary.counts.leftDown).toBe(120);
    // The summary (and so the audit and the report) names every one; the status says how many and stays small.
    for (const n of names) expect(result.summary.message).toContain(`${n}: deallocated`);
    expect(JSON.stringify(stack.host.getStatus(stack.instanceId)?.customStatus).length * 2).toBeLessThan(16 * 1024);
    expect(stack.progress()?.message).toMatch(/^120 resource\(s\) LEFT DOWN/);
    const audited = await createAuditStore({
      PORT25_AUDIT_TABLE_CONNECTION: stack.azurite?.connectionString ?? "",
      PORT25_AUDIT_TABLE_PREFIX: "port25",
    }).getRun("left-down-many");
    expect(audited?.run.summary?.counts.leftDown).toBe(120);
  });
});

describe("scenarios/no-vm-left-down.json", () => {
  it("ends with every VM running but the one Azure never has capacity for, which is reported left down", async () => {
    const { product, result } = await run({ scenario: "scenarios/no-vm-left-down.json" });
    // A deallocate that ended Failed: started again. A start that failed once on allocation: retried.
    expect(outcome(result, "api-01")).toMatchObject({ outcome: "failed", restored: true, stateAfter: "running" });
    expect(outcome(result, "api-02")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    expect(outcome(result, "vmss-workers")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    expect(outcome(result, "batch-01").leftDown).toMatchObject({ state: "deallocated", errorCode: "AllocationFailed" });
    const down = product.sim
      .snapshot()
      .vms.filter((v) => v.powerState !== "running")
      .map((v) => v.name);
    expect(down).toEqual(["batch-01"]);
    expect(product.sim.snapshot().scaleSets[0]?.instances.map((i) => i.powerState)).toEqual(["running", "running"]);
    expect(result.summary.counts).toMatchObject({ cycled: 4, failed: 2, leftDown: 1 });
  });
});

describe("a uniform scale set", () => {
  const uniform = (faults: FaultSpec[]) =>
    scenario({
      vms: [vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } })],
      scaleSets: [
        {
          name: "vmss-uni",
          resourceGroup: "rg-app",
          orchestrationMode: "Uniform",
          instances: [{ instanceId: "0" }, { instanceId: "1" }, { instanceId: "2", power: "deallocated" }],
        },
      ],
      behaviour: { faults },
    });
  const instances = (product: ProductHost | LocalStack) =>
    (product.sim.snapshot().scaleSets.find((s) => s.name === "vmss-uni")?.instances ?? []).map((i) => [
      i.instanceId,
      i.powerState,
    ]);

  it("retries its instances' start after an allocation failure and ends with them running", async () => {
    const { product, result } = await run({
      scenario: uniform([{ kind: "allocationFailure", match: { operation: "scaleSetStart" }, count: 1 }]),
    });
    expect(outcome(result, "vmss-uni")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    expect(instances(product)).toEqual([
      ["0", "running"],
      ["1", "running"],
      ["2", "deallocated"],
    ]);
  });

  it("restores its instances after a failed deallocate", async () => {
    const { product, result } = await run({
      scenario: uniform([{ kind: "lroFailed", match: { operation: "scaleSetDeallocate" }, count: 1 }]),
    });
    expect(outcome(result, "vmss-uni")).toMatchObject({ outcome: "failed", restored: true, stateAfter: "running" });
    expect(instances(product)).toEqual([
      ["0", "running"],
      ["1", "running"],
      ["2", "deallocated"],
    ]);
  });

  it("reports the instances it cannot start left down, per instance", async () => {
    const { product, result } = await run({
      scenario: uniform([{ kind: "allocationFailure", match: { operation: "scaleSetStart" } }]),
      options: { restoreTimeoutMinutes: 15 },
    });
    const o = outcome(result, "vmss-uni");
    expect(o).toMatchObject({ outcome: "failed", reasonCode: "allocationFailed" });
    expect(o.leftDown).toMatchObject({ state: "deallocated", instanceIds: ["0", "1"] });
    expect(o.leftDown?.manualAction).toMatch(/az vmss start .*--instance-ids 0 1/);
    expect(instances(product)).toEqual([
      ["0", "deallocated"],
      ["1", "deallocated"],
      ["2", "deallocated"],
    ]);
    expect(result.summary.counts.leftDown).toBe(1);
  });
});
