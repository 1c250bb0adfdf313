/**
 * runningVmCycle "deallocateStart": a running VM is deallocated straight away and started again — two ARM writes
 * instead of three — and a VM it took down is still brought back or reported left down. Checked against the
 * simulator's request log, state and timeline.
 */
import { describe, expect, it } from "vitest";
import type { ProductHost } from "../support/productHost";
import type { RemediationResult } from "../../src/contracts/remediation";
import type { FaultSpec } from "../../src/simulator";
import { fleet, scenario, vm } from "./scenarios";
import { outcome, run } from "./checkedRuns";

/** The power actions ARM received for one VM, in order (the last path segment of each accepted write). */
function writesTo(product: ProductHost, name: string): string[] {
  return product.sim
    .requestLog()
    .filter((e) => e.kind === "write" && e.status < 300 && e.path.toLowerCase().includes(`/virtualmachines/${name}/`))
    .map((e) => e.path.split("/").pop() ?? "");
}

function path(product: ProductHost, result: RemediationResult, name: string): string[] {
  return product.sim.timeline(outcome(result, name).resourceId).map((c) => c.to);
}

const FAST = { runningVmCycle: "deallocateStart" } as const;

describe("runningVmCycle deallocateStart", () => {
  it("sends two writes per running VM (deallocate, start) where the default sends three, and plans it so", async () => {
    const names = ["canary-01", "app-001", "app-002", "app-003"];
    const fast = await run({ scenario: scenario({ vms: fleet(3) }), options: FAST });
    expect(fast.result.summary.status).toBe("completed");
    expect(fast.result.plan?.runningVmCycle).toBe("deallocateStart");
    for (const n of names) {
      expect(writesTo(fast.product, n)).toEqual(["deallocate", "start"]);
      expect(outcome(fast.result, n)).toMatchObject({
        outcome: "cycled",
        stateAfter: "running",
        actions: ["deallocate", "start"],
      });
      expect(path(fast.product, fast.result, n)).toEqual(["deallocating", "deallocated", "starting", "running"]);
    }
    expect(fast.result.plan?.entries.find((e) => e.name === "app-001")?.steps).toEqual(["deallocate", "start"]);
    expect(fast.input.options.runningVmCycle).toBe("deallocateStart");

    const usual = await run({ scenario: scenario({ vms: fleet(3) }) });
    expect(usual.result.plan?.runningVmCycle).toBe("powerOffDeallocateStart");
    for (const n of names) expect(writesTo(usual.product, n)).toEqual(["powerOff", "deallocate", "start"]);
  });

  it("leaves a stopped VM's plan as it is: deallocated only", async () => {
    const { product, result } = await run({
      scenario: scenario({ vms: [...fleet(1), vm("idle-01", { power: "stopped" })] }),
      options: FAST,
    });
    expect(outcome(result, "idle-01")).toMatchObject({
      outcome: "cycled",
      stateAfter: "deallocated",
      actions: ["deallocate"],
    });
    expect(writesTo(product, "idle-01")).toEqual(["deallocate"]);
  });

  it("starts again a VM whose start failed after the deallocate, and completes the cycle", async () => {
    const faults: FaultSpec[] = [{ kind: "lroFailed", match: { operation: "vmStart", resource: "app-002" }, count: 1 }];
    const { product, result } = await run({
      scenario: scenario({ vms: fleet(3), behaviour: { faults } }),
      options: FAST,
    });
    const o = outcome(result, "app-002");
    expect(o).toMatchObject({ outcome: "cycled", stateAfter: "running", actions: ["deallocate", "start", "start"] });
    expect(o.message).toMatch(/retried and running/);
    expect(path(product, result, "app-002")).toEqual([
      "deallocating",
      "deallocated",
      "starting",
      "deallocated",
      "starting",
      "running",
    ]);
    expect(product.sim.snapshot().vms.find((v) => v.name === "app-002")?.powerState).toBe("running");
  });

  it("reports a VM whose start Azure keeps refusing left down, with the manual action", async () => {
    const faults: FaultSpec[] = [{ kind: "allocationFailure", match: { resource: "app-001" } }];
    const { product, result } = await run({
      scenario: scenario({ vms: fleet(2), behaviour: { faults } }),
      options: { ...FAST, restoreTimeoutMinutes: 15 },
    });
    const o = outcome(result, "app-001");
    expect(o).toMatchObject({ outcome: "failed", reasonCode: "allocationFailed", stateAfter: "deallocated" });
    expect(o.leftDown).toMatchObject({ state: "deallocated", errorCode: "AllocationFailed" });
    expect(o.leftDown?.manualAction).toMatch(/az vm start -g rg-app -n app-001/);
    expect(result.summary.counts).toMatchObject({ failed: 1, leftDown: 1 });
    expect(product.sim.snapshot().vms.find((v) => v.name === "app-001")?.powerState).toBe("deallocated");
    expect(outcome(result, "app-002")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
  });

  it("restores a VM whose deallocate timed out with the machine down", async () => {
    // The deallocate never finishes: past its deadline and grace the VM is still deallocating; the run must bring it back.
    const faults: FaultSpec[] = [
      { kind: "stuckTransition", match: { operation: "vmDeallocate", resource: "app-001" }, count: 1 },
    ];
    const { result } = await run({
      scenario: scenario({ vms: fleet(2), behaviour: { faults } }),
      options: { ...FAST, transitionTimeoutMinutes: 5, restoreTimeoutMinutes: 15 },
    });
    const o = outcome(result, "app-001");
    expect(o.outcome).toBe("failed");
    // Whatever Azure did with the stuck operation, the outcome says the VM is back or names it left down.
    expect(o.restored === true || o.leftDown !== undefined).toBe(true);
  });
});
