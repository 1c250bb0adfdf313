/**
 * Compute may let a newer power operation on a VM preempt the one running (its status ends Failed with
 * OperationPreempted) rather than refuse the newer one with a conflict (docs/architecture.md, "Azure's answers"; the scenario's
 * behaviour.powerConflict). The run's own deallocate may preempt its power off: the VM is still cycled and running.
 * Someone else's operation may preempt the run's: the run reports it and does not send its step again.
 */
import { describe, expect, it } from "vitest";
import type { ProductHost } from "../support/productHost";
import type { FaultSpec } from "../../src/simulator";
import { fleet, scenario } from "./scenarios";
import { outcome, run } from "./checkedRuns";

/** The power actions ARM accepted for one VM, in order. */
function writesTo(product: ProductHost, name: string): string[] {
  return product.sim
    .requestLog()
    .filter((e) => e.kind === "write" && e.status < 300 && e.path.toLowerCase().includes(`/virtualmachines/${name}/`))
    .map((e) => e.path.split("/").pop() ?? "");
}

describe("power operations preempted", () => {
  it("cycles and restores a VM whose power off its own deallocate preempted", async () => {
    // A power off takes ten minutes; the deallocate after it is sent once a power off has had its usual time, so it
    // meets the power off still running and, under "preempt", takes over from it.
    const { product, result } = await run({
      scenario: scenario({ vms: fleet(2), behaviour: { powerConflict: "preempt", latencies: { powerOff: 600 } } }),
    });
    expect(result.summary.status).toBe("completed");
    for (const name of ["app-001", "app-002"]) {
      const o = outcome(result, name);
      expect(o).toMatchObject({ outcome: "cycled", stateAfter: "running" });
      // Straight from stopping to deallocating: the power off never ended on its own.
      expect(product.sim.timeline(o.resourceId).map((c) => c.to)).toEqual([
        "stopping",
        "deallocating",
        "deallocated",
        "starting",
        "running",
      ]);
      expect(writesTo(product, name)).toEqual(["powerOff", "deallocate", "start"]);
    }
    // The Activity Log records the preempted power off as failed.
    const events = product.sim.world().activityEvents(Date.parse("2026-03-04T00:00:00Z"));
    const powerOffs = events.filter(
      (e) => /app-001/i.test(e.resourceId) && e.operationName.endsWith("/powerOff/action"),
    );
    expect(powerOffs.map((e) => e.status).sort()).toEqual(["Failed", "Started"]);
  });

  it("reports a deallocate its owner's start preempted, and does not send it again", async () => {
    // The run's deallocate of app-001 would never end; twenty minutes in, its owner starts the VM, which preempts it.
    const faults: FaultSpec[] = [
      { kind: "stuckTransition", match: { operation: "vmDeallocate", resource: "app-001" } },
    ];
    const { product, result } = await run({
      scenario: scenario({
        vms: fleet(2),
        behaviour: { powerConflict: "preempt", faults },
        actors: [
          {
            kind: "start",
            vm: "app-001",
            resourceGroup: "rg-app",
            when: { afterSeconds: 1200 },
            caller: "grace@contoso.com",
          },
        ],
      }),
      options: { transitionTimeoutMinutes: 60 },
    });
    const o = outcome(result, "app-001");
    expect(o).toMatchObject({
      outcome: "failed",
      reasonCode: "changedByOther",
      errorCode: "OperationPreempted",
      stateAfter: "running",
    });
    expect(o.message).toMatch(/deallocate of app-001 was preempted by another operation on it \(OperationPreempted\)/);
    expect(o.leftDown).toBeUndefined();
    // One deallocate: the run did not undo the owner's start.
    expect(writesTo(product, "app-001").filter((w) => w === "deallocate")).toHaveLength(1);
    expect(product.sim.snapshot().vms.find((v) => v.name === "app-001")?.powerState).toBe("running");
    expect(outcome(result, "app-002")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
  });
});
