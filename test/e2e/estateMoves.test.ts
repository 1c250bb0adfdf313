/**
 * The estate moves while the run goes on: owners stop, deallocate, start and delete VMs, the platform evicts a spot
 * VM, someone creates a VM. The run reads each resource before its first write, leaves what someone else changed as
 * they chose (with who and when where the Activity Log says), and never starts a machine it did not take down.
 */
import { describe, expect, it } from "vitest";
import type { ProductHost } from "../support/productHost";
import { renderRunReport } from "../../src/audit/report";
import { runRecordOf } from "../../src/audit/runStore";
import { fleet, scenario, vm } from "./scenarios";
import { outcome, run } from "./checkedRuns";

/** The power requests the run sent to a VM, in order (accepted or not). */
function writesTo(product: ProductHost, name: string): string[] {
  return product.sim
    .requestLog()
    .filter((e) => e.method === "POST" && new RegExp(`/virtualMachines/${name}/`, "i").test(e.path))
    .map((e) => e.path.split("/").pop() ?? "");
}

const powerOf = (product: ProductHost, name: string): string | undefined =>
  product.sim.snapshot().vms.find((v) => v.name === name)?.powerState;

describe("scenarios/estate-moves.json", () => {
  it("gives each VM its own outcome, never starts what its owner turned off, and lists the VM created after the plan", async () => {
    const { product, result } = await run({ scenario: "scenarios/estate-moves.json" });
    expect(result.summary.status).toBe("completed");
    // Deallocated by its owner between the run's read and its powerOff: Azure refuses the powerOff, the run reads again.
    const alice = outcome(result, "dev-alice");
    expect(alice).toMatchObject({
      outcome: "skipped",
      reasonCode: "changedByOther",
      errorCode: "OperationNotAllowed",
      actions: [],
    });
    expect(alice.message).toMatch(/was running when planned and is deallocat(ing|ed) now/);
    expect(writesTo(product, "dev-alice")).toEqual(["powerOff"]);
    expect(powerOf(product, "dev-alice")).toBe("deallocated");
    // Stopped by its owner at a time: read before the first write, nothing sent; who and when from the Activity Log.
    const bob = outcome(result, "dev-bob");
    expect(bob).toMatchObject({ outcome: "skipped", reasonCode: "changedByOther", stateAfter: "stopped", actions: [] });
    expect(bob.message).toMatch(/the Activity Log shows powerOff by bob@contoso\.com at 2026-03-03T08:0\d/);
    expect(writesTo(product, "dev-bob")).toEqual([]);
    expect(powerOf(product, "dev-bob")).toBe("stopped");
    // Deallocated when planned, started by its owner: the plan's skip stands (it starts under the new policy).
    expect(outcome(result, "dev-carol")).toMatchObject({ outcome: "skipped", reasonCode: "alreadyDeallocated" });
    expect(powerOf(product, "dev-carol")).toBe("running");
    // Deleted mid-run: gone, not failed.
    const scratch = outcome(result, "scratch-01");
    expect(scratch).toMatchObject({ outcome: "skipped", reasonCode: "disappeared" });
    expect(scratch.message).toMatch(/delete by dave@contoso\.com/);
    // Evicted mid-run: evicted, not failed, not left down, not started.
    const spot = outcome(result, "spot-render-01");
    expect(spot).toMatchObject({ outcome: "skipped", reasonCode: "evicted", actions: [] });
    expect(spot.leftDown).toBeUndefined();
    expect(spot.message).toMatch(/evictSpotVM/);
    expect(writesTo(product, "spot-render-01")).toEqual([]);
    expect(powerOf(product, "spot-render-01")).toBe("deallocated");
    // Created after the plan: listed once at the report step, never touched.
    expect(result.outcomes.filter((o) => o.name === "dev-erin")).toEqual([
      expect.objectContaining({ outcome: "skipped", reasonCode: "createdAfterPlan", kind: "vm" }),
    ]);
    expect(writesTo(product, "dev-erin")).toEqual([]);
    // The rest is cycled; every reason counted; nothing failed or left down.
    expect(outcome(result, "build-01")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    // A lock at planning: skipped by the plan, nothing sent. A lock put at the first write: refused, final, never down.
    expect(outcome(result, "ledger-01")).toMatchObject({ outcome: "skipped", reasonCode: "resourceLocked" });
    expect(outcome(result, "ledger-01").message).toMatch(/finance-freeze/);
    expect(writesTo(product, "ledger-01")).toEqual([]);
    expect(outcome(result, "web-01")).toMatchObject({ outcome: "skipped", reasonCode: "resourceLocked", actions: [] });
    expect(outcome(result, "web-01").leftDown).toBeUndefined();
    expect(powerOf(product, "web-01")).toBe("running");
    // A landing-zone policy: denied where the delegated subnet has no NSG, allowed where the temporary subnet carries one.
    expect(outcome(result, "vnet-apps")).toMatchObject({ outcome: "skipped", reasonCode: "deniedByPolicy" });
    expect(outcome(result, "vnet-apps").message).toMatch(
      /Subnets should have a Network Security Group|Deny-Subnet-Without-Nsg/,
    );
    expect(outcome(result, "vnet-integration")).toMatchObject({ outcome: "cycled" });
    expect(
      product.sim
        .snapshot()
        .vnets.flatMap((v) => v.subnets.map((sn) => sn.name))
        .filter((n) => n.startsWith("port25-temp")),
    ).toEqual([]);
    expect(result.summary.counts).toMatchObject({ total: 12, cycled: 3, skipped: 9, failed: 0, leftDown: 0 });
    expect(result.summary.byReason).toMatchObject({
      changedByOther: 2,
      evicted: 1,
      disappeared: 1,
      createdAfterPlan: 1,
      alreadyDeallocated: 1,
      resourceLocked: 2,
      deniedByPolicy: 1,
    });
    const html = renderRunReport({ run: runRecordOf(result), outcomes: result.outcomes });
    expect(html).toContain("Created after the plan");
    expect(html).toContain("dev-erin");
  });
});

describe("the first write on a resource", () => {
  it("reads the VM first, though the plan listed its state", async () => {
    const { product, result } = await run({ scenario: scenario({ vms: fleet(1) }) });
    expect(outcome(result, "app-001")).toMatchObject({ outcome: "cycled" });
    const log = product.sim.requestLog().filter((e) => /\/virtualMachines\/app-001(\/|$)/i.test(e.path));
    const firstWrite = log.findIndex((e) => e.method === "POST");
    expect(
      log
        .slice(0, firstWrite)
        .some(
          (e) =>
            e.method === "GET" && e.at >= (product.sim.requestLog().find((x) => x.operation === "listVms")?.at ?? 0),
        ),
    ).toBe(true);
  });

  it("never starts a VM whose first step was refused after its owner deallocated it: no compensation for what the run did not take down", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vms: fleet(2),
        actors: [
          {
            kind: "deallocate",
            vm: "app-001",
            resourceGroup: "rg-app",
            when: { firstTouch: "app-001" },
            caller: "alice@contoso.com",
          },
        ],
        behaviour: {
          faults: [
            {
              kind: "conflict",
              status: 409,
              code: "OperationNotAllowed",
              message: "Operation could not be completed as it results in exceeding approved quota.",
              match: { operation: "vmDeallocate", resource: "app-001" },
              count: 1,
            },
          ],
        },
      }),
      options: { runningVmCycle: "deallocateStart" },
    });
    const o = outcome(result, "app-001");
    expect(o).toMatchObject({
      outcome: "failed",
      reasonCode: "operationFailed",
      errorCode: "OperationNotAllowed",
      actions: [],
    });
    expect(o.restored).toBeUndefined();
    expect(writesTo(product, "app-001")).toEqual(["deallocate"]);
    expect(product.sim.timeline(o.resourceId).map((c) => c.to)).toEqual(["deallocating", "deallocated"]);
    expect(outcome(result, "app-002")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
  });

  it("leaves a stopped VM its owner started since the plan running, and says who", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vms: [...fleet(1), vm("idle-01", { power: "stopped" })],
        actors: [
          {
            kind: "start",
            vm: "idle-01",
            resourceGroup: "rg-app",
            when: { afterSeconds: 20 },
            caller: "frank@contoso.com",
          },
        ],
      }),
    });
    const o = outcome(result, "idle-01");
    expect(o).toMatchObject({
      outcome: "skipped",
      reasonCode: "changedByOther",
      stateBefore: "stopped",
      stateAfter: "running",
      actions: [],
    });
    expect(o.message).toMatch(/was stopped when planned and is running now.*start by frank@contoso\.com/);
    expect(writesTo(product, "idle-01")).toEqual([]);
  });

  it("reports a spot VM deleted by its eviction as evicted, never failed", async () => {
    const { result } = await run({
      scenario: scenario({
        vms: [...fleet(1), vm("spot-01", { priority: "Spot", evictionPolicy: "Delete" })],
        actors: [{ kind: "evict", vm: "spot-01", resourceGroup: "rg-app", when: { afterSeconds: 30 } }],
      }),
    });
    expect(outcome(result, "spot-01")).toMatchObject({
      outcome: "skipped",
      reasonCode: "evicted",
      stateAfter: "absent",
    });
    expect(result.summary.counts).toMatchObject({ failed: 0, leftDown: 0 });
  });
});
