/**
 * Observing the fleet rather than each VM: with hundreds of VMs in flight the polls a listing can answer outright are
 * answered from one shared statusOnly listing of the subscription, so a cycled VM costs at most three ARM reads, polls
 * included; a VM the listing cannot vouch for (its start failed, its provisioning failed) is read on its own and
 * handled as before.
 */
import { describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import type { FaultSpec } from "../../src/simulator";
import { fleet, scenario } from "./scenarios";
import { outcome, track } from "./checkedRuns";

/** Azure's nominal step times and ARM's subscription buckets, as the benchmark states them. */
const REALISTIC = {
  latencies: { powerOff: 30, deallocate: 60, start: 60, subnetCreate: 10, subnetDelete: 10, connectivityCheck: 20 },
  jitter: 0.2,
  throttling: {
    enabled: true,
    reads: { capacity: 250, refillPerSecond: 25 },
    writes: { capacity: 200, refillPerSecond: 10 },
    deletes: { capacity: 200, refillPerSecond: 10 },
  },
} as const;

async function run(vms: number, maxConcurrency: number, faults: FaultSpec[] = [], restoreTimeoutMinutes?: number) {
  const r = await runRemediation({
    scenario: scenario({ vms: fleet(vms), behaviour: { ...REALISTIC, faults } }),
    options: { maxConcurrency, restoreTimeoutMinutes },
  });
  track(r.product);
  expect(checkInvariants(r.product.sim, r.result, r.product.scenario)).toEqual([]);
  return r;
}

/** Reads (GETs) of the whole run, by the simulator's operation name. */
function readsByOperation(product: ProductHost): Map<string, number> {
  const by = new Map<string, number>();
  for (const e of product.sim.requestLog())
    if (e.method === "GET") by.set(e.operation ?? "other", (by.get(e.operation ?? "other") ?? 0) + 1);
  return by;
}

/**
 * A VM's own reads (instance view) right before a power action on it, the next request about that VM: the read before
 * its first accepted write (`first`), and (`all`) the read before any write whose state was seen only in the listing.
 */
function readsBeforeWrites(product: ProductHost): { first: number; all: number } {
  const written = new Set<string>();
  const readLast = new Set<string>();
  let first = 0;
  let all = 0;
  for (const e of product.sim.requestLog()) {
    const vm = /\/virtualMachines\/([^/?]+)/i.exec(e.path)?.[1]?.toLowerCase();
    if (vm === undefined) continue;
    if (e.operation === "getVmInstanceView") readLast.add(vm);
    else if (e.method === "POST") {
      // A write ARM turned away (429) is sent again only on a new read: that read counts too.
      if (readLast.has(vm)) all++;
      if (readLast.has(vm) && e.status < 300 && !written.has(vm)) first++;
      if (e.status < 300) written.add(vm);
      readLast.delete(vm);
    } else readLast.delete(vm);
  }
  return { first, all };
}

describe("a wave with hundreds of VMs in flight", () => {
  it("observes them together: the shared listing answers their last confirmations for fewer pages than the reads it spares, every write on the VM's own read, no 429", async () => {
    const { product, result } = await run(300, 300);
    expect(result.summary.status).toBe("completed");
    expect(result.summary.counts).toMatchObject({ cycled: 301, failed: 0, leftDown: 0 });
    const cycled = result.summary.counts.cycled;
    const reads = readsByOperation(product);
    const total = [...reads.values()].reduce((a, b) => a + b, 0);
    // Each VM is read on its own right before its first write (someone else may have changed it since the plan),
    // which no listing replaces; its start is sent on the deallocate operation's own word, read on the VM too.
    const before = readsBeforeWrites(product);
    expect(before.first).toBeGreaterThanOrEqual(cycled);
    // The last confirmation of a cycle (the start's end) is what a listing spares: most came from it, and its pages
    // (beyond discovery's two listings) cost fewer requests than the confirmations it answered.
    const confirmedOnVm = (reads.get("getVmInstanceView") ?? 0) - before.all;
    const observerPages = (reads.get("listVms") ?? 0) - 2 * Math.ceil(cycled / 50);
    expect(confirmedOnVm).toBeLessThan(0.25 * cycled);
    expect(observerPages).toBeGreaterThan(0);
    expect(observerPages).toBeLessThan(cycled - confirmedOnVm);
    expect((total - before.all) / cycled).toBeLessThanOrEqual(3);
    // Three writes accepted each, spread over ARM's write bucket: none turned away, none throttled by Compute.
    expect(
      product.sim
        .requestLog()
        .filter((e) => e.method === "POST" && e.status < 300 && /\/virtualMachines\/app-/i.test(e.path)),
    ).toHaveLength(900);
    expect(product.sim.requestLog().filter((e) => e.status === 429)).toEqual([]);
  }, 300_000);

  it("hands a VM whose start fails to its own reads, which retry the start and bring it back; one that never starts is reported left down", async () => {
    const { product, result } = await run(
      200,
      200,
      [
        { kind: "allocationFailure", match: { resource: "app-007" }, count: 1 },
        { kind: "allocationFailure", match: { resource: "app-011" } },
      ],
      15,
    );
    expect(outcome(result, "app-007")).toMatchObject({
      outcome: "cycled",
      stateAfter: "running",
      actions: ["powerOff", "deallocate", "start", "start"],
    });
    expect(outcome(result, "app-007").message).toMatch(/AllocationFailed.*retried and running/);
    const stuck = outcome(result, "app-011");
    expect(stuck).toMatchObject({
      outcome: "failed",
      reasonCode: "allocationFailed",
      errorCode: "AllocationFailed",
      stateAfter: "deallocated",
    });
    expect(stuck.leftDown).toMatchObject({ state: "deallocated", errorCode: "AllocationFailed" });
    expect(result.summary.counts).toMatchObject({ cycled: 200, failed: 1, leftDown: 1 });
    // The failed start was read on the VM itself: its operation's status says why.
    const ownReads = product.sim
      .requestLog()
      .filter(
        (e) => e.method === "GET" && (e.operation === "getOperationStatus" || /\/app-007\/instanceView$/i.test(e.path)),
      );
    expect(ownReads.length).toBeGreaterThan(0);
    expect(product.sim.requestLog().filter((e) => e.operation === "listVms").length).toBeGreaterThan(0);
  }, 300_000);
});

describe("a few VMs in flight at a time", () => {
  it("reads each VM itself when listing the subscription would cost more", async () => {
    const { product, result } = await run(120, 4);
    expect(result.summary.counts).toMatchObject({ cycled: 121, failed: 0 });
    const reads = readsByOperation(product);
    // Discovery lists the VMs twice (models and status), the first poll lists once more to learn the listing's cost,
    // and the report step once to find VMs created after the plan: three pages each; every other poll was the VM's own.
    expect(reads.get("listVms") ?? 0).toBeLessThanOrEqual(4 * 3);
    expect((reads.get("getOperationStatus") ?? 0) + (reads.get("getVmInstanceView") ?? 0)).toBeGreaterThan(121 * 3);
  }, 300_000);
});
