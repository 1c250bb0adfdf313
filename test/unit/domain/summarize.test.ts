import { describe, expect, it } from "vitest";
import type { ResourceOutcome } from "../../../src/contracts/outcome";
import { countOutcomes, groupByReason, leftDownResources } from "../../../src/domain/summarize";

function outcome(
  id: string,
  o: ResourceOutcome["outcome"],
  reasonCode?: ResourceOutcome["reasonCode"],
): ResourceOutcome {
  return { resourceId: `/vm/${id}`, kind: "vm", name: id, resourceGroup: "rg", outcome: o, actions: [], reasonCode };
}

describe("countOutcomes", () => {
  it("counts each outcome kind and the rest as pending", () => {
    const counts = countOutcomes(
      [
        outcome("a", "cycled"),
        outcome("b", "skipped", "alreadyDeallocated"),
        outcome("c", "failed", "allocationFailed"),
      ],
      5,
    );
    expect(counts).toEqual({ total: 5, cycled: 1, skipped: 1, failed: 1, pending: 2, leftDown: 0 });
  });

  it("counts a resource reported twice once, by its latest outcome (ids compared case-insensitively)", () => {
    const counts = countOutcomes([outcome("a", "failed", "throttled"), outcome("A", "cycled")], 1);
    expect(counts).toEqual({ total: 1, cycled: 1, skipped: 0, failed: 0, pending: 0, leftDown: 0 });
  });

  it("never reports negative pending when more outcomes than expected arrive", () => {
    expect(countOutcomes([outcome("a", "cycled"), outcome("b", "cycled")], 1)).toEqual({
      total: 2,
      cycled: 2,
      skipped: 0,
      failed: 0,
      pending: 0,
      leftDown: 0,
    });
  });
});

describe("left-down resources", () => {
  const leftDown = {
    reason: "Allocation failed",
    errorCode: "AllocationFailed",
    state: "deallocated",
    manualAction: "resize it",
    attempts: 4,
  };
  const down: ResourceOutcome = { ...outcome("c", "failed", "allocationFailed"), leftDown };
  const restored: ResourceOutcome = { ...outcome("d", "failed", "operationFailed"), restored: true };

  it("counts a left-down resource among the failed and on its own, and a restored one only among the failed", () => {
    expect(countOutcomes([outcome("a", "cycled"), down, restored], 3)).toEqual({
      total: 3,
      cycled: 1,
      skipped: 0,
      failed: 2,
      pending: 0,
      leftDown: 1,
    });
  });

  it("lists each left-down resource with its reason and manual action, by its latest outcome", () => {
    expect(leftDownResources([down, restored, outcome("a", "cycled")])).toEqual([
      { resourceId: "/vm/c", kind: "vm", name: "c", resourceGroup: "rg", ...leftDown },
    ]);
    expect(leftDownResources([down, outcome("C", "cycled")])).toEqual([]);
  });
});

describe("groupByReason", () => {
  it("counts resources per reason code and leaves out outcomes without one", () => {
    const byReason = groupByReason([
      outcome("a", "skipped", "alreadyDeallocated"),
      outcome("b", "skipped", "alreadyDeallocated"),
      outcome("c", "failed", "allocationFailed"),
      outcome("d", "cycled"),
    ]);
    expect(byReason).toEqual({ alreadyDeallocated: 2, allocationFailed: 1 });
  });
});
