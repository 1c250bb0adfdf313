import { describe, expect, it } from "vitest";
import {
  FleetObserver,
  MAX_LISTING_PAGES,
  listingIntervalSeconds,
  listingPaysOff,
  type ListingResult,
} from "../../src/azure/fleetObserver";
import { AzureOperationError } from "../../src/errors";

const SUB = "00000000-0000-4000-8000-000000000001";
const T0 = Date.parse("2026-03-03T08:00:00Z");
const vmId = (i: number): string =>
  `/subscriptions/${SUB}/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm-${i}`;

/** A subscription of `n` VMs listed `pages` pages at a time; counts the listings taken. */
function fakeArm(n: number, pages: number) {
  const calls: number[] = [];
  let state = "running";
  let fail: AzureOperationError | undefined;
  const list = (_sub: string, maxPages: number): Promise<ListingResult> => {
    calls.push(calls.length);
    if (fail !== undefined) return Promise.reject(fail);
    // As the gateway does: stop at the page limit when more remain, and say so.
    if (pages > maxPages) return Promise.resolve({ listing: { pages: maxPages, truncated: true, vms: [] } });
    return Promise.resolve({
      listing: {
        pages,
        vms: Array.from({ length: n }, (_, i) => ({
          id: vmId(i).replace("/RG/", "/rg/"),
          powerState: state as "running",
          provisioningState: "Succeeded",
        })),
      },
    });
  };
  return {
    calls,
    observer: new FleetObserver(list),
    set: (s: string) => (state = s),
    failWith: (e: AzureOperationError | undefined) => (fail = e),
  };
}

describe("the fleet observer", () => {
  it("answers every poll made about the same time from one listing, ids compared case-insensitively", async () => {
    const arm = fakeArm(500, 10);
    const seen = await Promise.all(
      Array.from({ length: 200 }, (_, i) => arm.observer.observe(SUB, vmId(i), T0, T0 - 1000)),
    );
    expect(arm.calls).toHaveLength(1);
    expect(seen.every((o) => o.kind === "listed" && o.status?.powerState === "running")).toBe(true);
    // Within the listing's interval (10 pages: 5 s) the same listing answers; after it a new one is taken.
    await arm.observer.observe(SUB, vmId(1), T0 + 4000, T0 - 1000);
    expect(arm.calls).toHaveLength(1);
    arm.set("stopping");
    const later = await arm.observer.observe(SUB, vmId(1), T0 + 5000, T0 - 1000);
    expect(arm.calls).toHaveLength(2);
    expect(later).toMatchObject({ kind: "listed", takenAt: T0 + 5000, status: { powerState: "stopping" } });
  });

  it("never answers with a listing taken before the step the poll watches began", async () => {
    const arm = fakeArm(500, 10);
    await Promise.all(Array.from({ length: 100 }, (_, i) => arm.observer.observe(SUB, vmId(i), T0, T0)));
    arm.set("stopping");
    const o = await arm.observer.observe(SUB, vmId(3), T0 + 2000, T0 + 1000);
    expect(arm.calls).toHaveLength(2);
    expect(o).toMatchObject({ kind: "listed", status: { powerState: "stopping" } });
  });

  it("leaves the VMs to their own reads when few are in flight and the listing is long", async () => {
    const arm = fakeArm(5000, 100);
    // The first poll lists once to learn what a listing costs (100 pages: one every 25 s at most).
    expect((await arm.observer.observe(SUB, vmId(0), T0, T0)).kind).toBe("listed");
    const o = await arm.observer.observe(SUB, vmId(1), T0 + 30_000, T0 + 30_000);
    expect(o.kind).toBe("perResource");
    expect(arm.calls).toHaveLength(1);
  });

  it("never lists again a subscription whose listing needs more pages than a minute's share of High Cost Get", async () => {
    // 20,000 VMs: 400 pages, more than Compute's budget allows a listing (it could never finish fresh).
    const arm = fakeArm(20_000, 400);
    expect((await arm.observer.observe(SUB, vmId(0), T0, T0)).kind).toBe("perResource");
    for (let i = 1; i <= 300; i++)
      expect((await arm.observer.observe(SUB, vmId(i), T0 + i * 1000, T0 + i * 1000)).kind).toBe("perResource");
    expect(arm.calls).toHaveLength(1);
    // A subscription just within the limit is listed as before.
    const within = fakeArm(MAX_LISTING_PAGES * 50, MAX_LISTING_PAGES);
    expect((await within.observer.observe(SUB, vmId(0), T0, T0)).kind).toBe("listed");
  });

  it("after a failed listing, lists again only after ARM's Retry-After, and says what failed meanwhile", async () => {
    const arm = fakeArm(100, 2);
    const throttled = new AzureOperationError("listVmPowerStates", "too many", {
      code: "TooManyRequests",
      statusCode: 429,
      retryable: true,
      retryAfterSeconds: 20,
    });
    arm.failWith(throttled);
    await expect(arm.observer.observe(SUB, vmId(0), T0, T0)).rejects.toBe(throttled);
    await expect(arm.observer.observe(SUB, vmId(1), T0 + 10_000, T0)).rejects.toBe(throttled);
    expect(arm.calls).toHaveLength(1);
    arm.failWith(undefined);
    expect((await arm.observer.observe(SUB, vmId(1), T0 + 20_000, T0)).kind).toBe("listed");
    expect(arm.calls).toHaveLength(2);
  });

  it("spaces listings by Compute's High Cost Get budget: 80 % of 300 pages a minute, a minute when the bucket is spent", () => {
    expect(listingIntervalSeconds(1, undefined)).toBe(5);
    expect(listingIntervalSeconds(100, undefined)).toBe(25);
    expect(listingIntervalSeconds(100, 99)).toBe(60);
    expect(listingIntervalSeconds(100, 500)).toBe(25);
  });

  it("lists only when one listing per interval costs no more than reading the VMs in flight one by one", () => {
    // 5,000 VMs (100 pages every 25 s) pay off from 200 VMs counted; 500 VMs (10 pages every 5 s) from 100.
    expect(listingPaysOff(100, 25, 500)).toBe(true);
    expect(listingPaysOff(100, 25, 20)).toBe(false);
    expect(listingPaysOff(10, 5, 20)).toBe(false);
    expect(listingPaysOff(2, 5, 20)).toBe(true);
  });
});
