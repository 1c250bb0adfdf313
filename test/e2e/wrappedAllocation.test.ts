/**
 * Allocation failures Azure wraps as ResourceOperationFailure / ResourceDeploymentFailure, the real code only in
 * `details`: the run reads them as that code, so the VM gets the allocation reason and its manual action.
 */
import { describe, expect, it } from "vitest";
import { fleet, scenario } from "./scenarios";
import { outcome, run } from "./checkedRuns";

describe("a wrapped allocation failure", () => {
  it("is retried as an allocation failure and, when it persists, reported left down with the zonal code and the capacity action", async () => {
    const { result } = await run({
      scenario: scenario({
        vms: fleet(2),
        behaviour: {
          faults: [
            {
              kind: "allocationFailure",
              code: "AllocationFailed",
              wrappedIn: "ResourceDeploymentFailure",
              count: 1,
              match: { resource: "app-001" },
            },
            {
              kind: "allocationFailure",
              code: "ZonalAllocationFailed",
              wrappedIn: "ResourceOperationFailure",
              match: { resource: "app-002" },
            },
          ],
        },
      }),
      options: { restoreTimeoutMinutes: 15 },
    });
    // Once: retried like any allocation failure, and the cycle completes.
    const once = outcome(result, "app-001");
    expect(once).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    expect(once.message).toMatch(/AllocationFailed/);
    // Persistent: left down, named by the code inside the wrapper, with the capacity advice.
    const down = outcome(result, "app-002");
    expect(down).toMatchObject({
      outcome: "failed",
      reasonCode: "allocationFailed",
      errorCode: "ZonalAllocationFailed",
    });
    expect(down.leftDown).toMatchObject({ state: "deallocated", errorCode: "ZonalAllocationFailed" });
    expect(down.leftDown?.manualAction).toMatch(/no capacity/);
    expect(down.leftDown?.reason).toMatch(/ResourceOperationFailure/);
  }, 180_000);
});
