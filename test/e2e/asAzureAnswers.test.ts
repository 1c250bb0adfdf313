/**
 * The run against answers Azure gives and a tidy state machine would not: a VM (and a scale-set instance) that reads
 * PowerState/stopped on its way from deallocated to running, a status listing with no power state for some VMs, and
 * a preempted operation whose status says Canceled.
 */
import { describe, expect, it } from "vitest";
import { fleet, scenario } from "./scenarios";
import { outcome, run } from "./checkedRuns";

describe("the run against Azure's less convenient answers", () => {
  it("cycles VMs and scale-set instances whose start reads stopped for minutes before running", async () => {
    // Every poll of the start between 60 s and 180 s sees `stopped`: the run's first poll of a start comes at 72 s.
    const { product, result } = await run({
      scenario: scenario({
        vms: fleet(3),
        scaleSets: [
          {
            name: "ss-web",
            resourceGroup: "rg-app",
            orchestrationMode: "Uniform",
            instances: [{ instanceId: "0" }, { instanceId: "1" }],
          },
        ],
        behaviour: { latencies: { start: 240 }, stoppedWhileStarting: { afterSeconds: 60, seconds: 120 } },
      }),
    });
    expect(result.summary.status).toBe("completed");
    for (const name of ["canary-01", "app-001", "app-002", "app-003", "ss-web"])
      expect(outcome(result, name)).toMatchObject({ outcome: "cycled" });
    for (const name of ["app-001", "app-002", "app-003"])
      expect(outcome(result, name)).toMatchObject({ stateAfter: "running" });
    const snapshot = product.sim.snapshot();
    expect(snapshot.vms.every((v) => v.powerState === "running")).toBe(true);
    // One start per VM: the stopped reading was not taken for an owner's stop, nor answered with a second start.
    const starts = product.sim
      .requestLog()
      .filter((e) => e.kind === "write" && e.status < 300 && /\/virtualmachines\/app-00\d\/start$/i.test(e.path));
    expect(starts).toHaveLength(3);
    // And the run did read them while they showed stopped (the glimpse was seen, not slept through).
    const log = product.sim.requestLog();
    const seenStopped = starts.filter((start) => {
      const vm = /virtualmachines\/([^/]+)\/start$/i.exec(start.path)?.[1] ?? "";
      return log.some(
        (e) =>
          e.kind === "read" &&
          e.status === 200 &&
          e.at >= start.at + 60_000 &&
          e.at < start.at + 180_000 &&
          (e.path.toLowerCase().includes(`/virtualmachines/${vm}/`) || /\/virtualmachines$/i.test(e.path)),
      );
    });
    expect(seenStopped).toHaveLength(3);
  });

  it("plans and cycles VMs the subscription's status listing gives no power state, from their own reads", async () => {
    // Every statusOnly listing leaves every VM's power state out (Learn: "in some rare situations"): discovery reads
    // those VMs on their own, and polls fall back from the shared listing to each VM's reads.
    const { product, result } = await run({
      scenario: scenario({ vms: fleet(4), behaviour: { listingPowerStateMissing: 1 } }),
    });
    expect(result.summary.status).toBe("completed");
    for (const o of result.outcomes) expect(o).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    expect(result.outcomes.some((o) => o.reasonCode === "unknownPowerState")).toBe(false);
    expect(product.sim.snapshot().vms.every((v) => v.powerState === "running")).toBe(true);
  });

  it("reports a deallocate its owner's start preempted, its status Canceled, and does not send it again", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vms: fleet(2),
        behaviour: {
          powerConflict: "preempt",
          preemptedStatus: "Canceled",
          responseShapes: { lro: "azureAsyncOperation" },
          faults: [{ kind: "stuckTransition", match: { operation: "vmDeallocate", resource: "app-001" } }],
        },
        actors: [{ kind: "start", vm: "app-001", resourceGroup: "rg-app", when: { afterSeconds: 1200 } }],
      }),
      options: { transitionTimeoutMinutes: 60 },
    });
    expect(outcome(result, "app-001")).toMatchObject({
      outcome: "failed",
      reasonCode: "changedByOther",
      errorCode: "OperationPreempted",
      stateAfter: "running",
    });
    const deallocates = product.sim
      .requestLog()
      .filter((e) => e.kind === "write" && e.status < 300 && /\/virtualmachines\/app-001\/deallocate$/i.test(e.path));
    expect(deallocates).toHaveLength(1);
    expect(outcome(result, "app-002")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
  });

  it("sends its deallocate again when Compute refuses it with OperationNotAllowed while the power off still runs", async () => {
    // A power off takes ten minutes; the deallocate goes out once a power off has had its usual time, meets it still
    // running and is refused in Compute's words ("… since another operation is in progress"), then sent again.
    const { product, result } = await run({
      scenario: scenario({ vms: fleet(2), behaviour: { powerConflict: "409", latencies: { powerOff: 600 } } }),
    });
    expect(result.summary.status).toBe("completed");
    for (const name of ["app-001", "app-002"])
      expect(outcome(result, name)).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    const refused = product.sim
      .requestLog()
      .filter((e) => /\/virtualmachines\/app-00\d\/deallocate$/i.test(e.path) && e.status === 409);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => e.errorCode === "OperationNotAllowed")).toBe(true);
  });

  it("reports a VM its owner deletes at the run's first write as disappeared, though the delete takes minutes", async () => {
    // The delete runs 15 minutes: meanwhile the VM is marked for deletion and Compute refuses its power off
    // (OperationNotAllowed, "… since the VM is marked for deletion"); then it is gone.
    const { result } = await run({
      scenario: scenario({
        vms: fleet(2),
        behaviour: { latencies: { delete: 900 } },
        actors: [
          {
            kind: "delete",
            vm: "app-001",
            resourceGroup: "rg-app",
            when: { firstTouch: "app-001" },
            caller: "dave@contoso.com",
          },
        ],
      }),
    });
    expect(result.summary.status).toBe("completed");
    const o = outcome(result, "app-001");
    expect(o).toMatchObject({ outcome: "skipped", reasonCode: "disappeared", stateAfter: "absent" });
    expect(o.message).toMatch(/delete by dave@contoso\.com/);
    expect(o.leftDown).toBeUndefined();
    expect(outcome(result, "app-002")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
  });

  it("skips a VM the plan finds being deleted, saying so", async () => {
    const { result } = await run({
      scenario: scenario({
        vms: fleet(2),
        behaviour: { latencies: { delete: 900 } },
        actors: [{ kind: "delete", vm: "app-001", resourceGroup: "rg-app", when: { afterSeconds: 0 } }],
      }),
    });
    expect(outcome(result, "app-001")).toMatchObject({ outcome: "skipped", reasonCode: "transitionalState" });
    expect(outcome(result, "app-001").message).toMatch(/being deleted/);
  });
});
