import { describe, expect, it } from "vitest";
import { WriteBudget } from "../../src/azure/writeBudget";

const T0 = Date.parse("2026-03-03T08:00:00Z");
const vm = (sub: string): string =>
  `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-1`;
const A = vm("00000000-0000-4000-8000-00000000000a");
const B = vm("00000000-0000-4000-8000-00000000000b");
const writes = (remaining: number) => [{ bucket: "subscription-writes", remaining, refill: "second" as const }];

describe("a worker's view of ARM's subscription write bucket", () => {
  it("lets every write go until ARM has said something of the bucket", () => {
    const budget = new WriteBudget();
    for (let i = 0; i < 500; i++) expect(budget.take(A, T0)).toBeUndefined();
  });

  it("holds a write back, unsent, once the writes taken since ARM's count leave only the few kept for others", () => {
    const budget = new WriteBudget();
    budget.heard(A, T0, writes(8));
    expect([1, 2, 3, 4].map(() => budget.take(A, T0))).toEqual([undefined, undefined, undefined, 1]);
    // A token given back (the write found nothing to send) pays for the next.
    budget.giveBack(A);
    expect(budget.take(A, T0)).toBeUndefined();
    expect(budget.take(A, T0)).toBe(1);
    // Refilled 10 a second: a second later ten more may go.
    const later = Array.from({ length: 11 }, () => budget.take(A, T0 + 1000));
    expect(later.filter((w) => w === undefined)).toHaveLength(10);
    // Another subscription's bucket is its own.
    expect(budget.take(B, T0)).toBeUndefined();
  });

  it("after a 429 waits for the refill, and never believes itself above ARM's last count", () => {
    const budget = new WriteBudget();
    budget.remaining(A, T0, 0);
    expect(budget.take(A, T0)).toBe(1);
    expect(budget.take(A, T0 + 500)).toBe(1);
    expect(budget.take(A, T0 + 600)).toBeUndefined();
    // A count above the view's leaves the view as it was: what ARM said last and the writes taken since.
    budget.heard(A, T0 + 600, writes(150));
    expect(budget.take(A, T0 + 600)).toBe(1);
    // A read's answer says nothing of writes (ARM sends the writes count on writes only).
    budget.heard(A, T0 + 600, [{ bucket: "subscription-reads", remaining: 0, refill: "second" }]);
    expect(budget.take(A, T0 + 700)).toBeUndefined();
  });
});
