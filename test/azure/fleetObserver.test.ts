import { describe, expect, it } from "vitest";
import {
  FleetObserver,
  MAX_LISTING_PAGES,
  listingIntervalSeconds,
  listingPaysOff,
  probeMayPay,
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
  /** `n` VMs (from `from`) polling at `at`, for steps begun at `notBefore`. */
  const pollAll = (arm: ReturnType<typeof fakeArm>, n: number, at: number, notBefore = at - 1000, from = 0) =>
    Promise.all(Array.from({ length: n }, (_, i) => arm.observer.observe(SUB, vmId(from + i), at, notBefore)));

  it("answers every poll made about the same time from one listing, ids compared case-insensitively", async () => {
    const arm = fakeArm(500, 10);
    // 400 VMs counted: 10 pages every 5 s (2 a second) spare more reads than they cost (400 / 180 s).
    const seen = await pollAll(arm, 400, T0);
    expect(arm.calls).toHaveLength(1);
    // The first 35 read their own VMs (no listing could pay yet); from the 36th, one listing answers all.
    expect(seen.slice(0, 35).every((o) => o.kind === "perResource")).toBe(true);
    expect(seen.slice(35).every((o) => o.kind === "listed" && o.status?.powerState === "running")).toBe(true);
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
    await pollAll(arm, 400, T0, T0);
    arm.set("stopping");
    const o = await arm.observer.observe(SUB, vmId(3), T0 + 2000, T0 + 1000);
    expect(arm.calls).toHaveLength(2);
    expect(o).toMatchObject({ kind: "listed", status: { powerState: "stopping" } });
  });

  it("takes no listing to learn its cost while even the shortest could not pay: a canary's poll reads its own VM", async () => {
    const arm = fakeArm(5000, 100);
    expect((await arm.observer.observe(SUB, vmId(0), T0, T0)).kind).toBe("perResource");
    expect((await pollAll(arm, 34, T0 + 1000, T0, 1)).every((o) => o.kind === "perResource")).toBe(true);
    expect(arm.calls).toHaveLength(0);
    // The 36th VM counted could pay for a one-page listing: one is taken, and its 100 pages (one every 25 s) then
    // say that 36 VMs do not pay for it.
    expect((await arm.observer.observe(SUB, vmId(35), T0 + 2000, T0)).kind).toBe("listed");
    expect(arm.calls).toHaveLength(1);
    expect((await arm.observer.observe(SUB, vmId(36), T0 + 30_000, T0 + 30_000)).kind).toBe("perResource");
    expect(arm.calls).toHaveLength(1);
  });

  it("takes another listing after one that spared as many reads as it had pages, and stops after one that did not", async () => {
    const arm = fakeArm(500, 10);
    // 50 VMs counted: the 36th takes a listing, which answers 15 polls (10 pages).
    await pollAll(arm, 50, T0);
    expect(arm.calls).toHaveLength(1);
    // 51 VMs do not pay for 10 pages every 5 s by demand alone, but the last listing did: another is taken.
    expect((await arm.observer.observe(SUB, vmId(60), T0 + 6000, T0)).kind).toBe("listed");
    expect(arm.calls).toHaveLength(2);
    // That one answered a single poll: the next poll reads its own VM.
    expect((await arm.observer.observe(SUB, vmId(61), T0 + 12_000, T0)).kind).toBe("perResource");
    expect(arm.calls).toHaveLength(2);
    // Until the demand has doubled since that listing (51 then): a larger wave's polls are worth another.
    await pollAll(arm, 49, T0 + 13_000, T0, 100);
    expect(arm.calls).toHaveLength(2);
    expect((await arm.observer.observe(SUB, vmId(150), T0 + 13_000, T0)).kind).toBe("listed");
    expect(arm.calls).toHaveLength(3);
  });

  it("a poll that sends on what it sees uses a current listing, but never asks for one nor counts as demand", async () => {
    const arm = fakeArm(40, 1);
    const sending = await Promise.all(
      Array.from({ length: 40 }, (_, i) => arm.observer.observe(SUB, vmId(i), T0, T0 - 1000, true)),
    );
    expect(sending.every((o) => o.kind === "perResource")).toBe(true);
    expect(arm.calls).toHaveLength(0);
    // 36 confirmations pay for one page every 5 s; a sending poll within its interval is answered from it.
    await pollAll(arm, 36, T0 + 1000);
    expect(arm.calls).toHaveLength(1);
    expect(await arm.observer.observe(SUB, vmId(39), T0 + 2000, T0, true)).toMatchObject({ kind: "listed" });
    expect(await arm.observer.observe(SUB, vmId(39), T0 + 7000, T0, true)).toEqual({ kind: "perResource" });
    expect(arm.calls).toHaveLength(1);
  });

  it("never lists again a subscription whose listing needs more pages than a minute's share of High Cost Get", async () => {
    // 20,000 VMs: 400 pages, more than Compute's budget allows a listing (it could never finish fresh).
    const arm = fakeArm(20_000, 400);
    expect((await pollAll(arm, 40, T0, T0)).every((o) => o.kind === "perResource")).toBe(true);
    expect(arm.calls).toHaveLength(1);
    for (let i = 1; i <= 300; i++)
      expect((await arm.observer.observe(SUB, vmId(i), T0 + i * 1000, T0 + i * 1000)).kind).toBe("perResource");
    expect(arm.calls).toHaveLength(1);
    // A subscription just within the limit is listed as before.
    const within = fakeArm(MAX_LISTING_PAGES * 50, MAX_LISTING_PAGES);
    expect((await pollAll(within, 40, T0, T0)).filter((o) => o.kind === "listed")).toHaveLength(5);
  });

  it("after a failed listing, lists again only after ARM's Retry-After, and says what failed meanwhile", async () => {
    const arm = fakeArm(100, 2);
    const throttled = new AzureOperationError("listVmPowerStates", "too many", {
      code: "TooManyRequests",
      statusCode: 429,
      retryable: true,
      retryAfterSeconds: 20,
    });
    await pollAll(arm, 35, T0, T0, 10);
    expect(arm.calls).toHaveLength(0);
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

  it("lists only when one listing per interval costs no more than the reads it spares: one per VM counted in 180 s", () => {
    // 5,000 VMs (100 pages every 25 s) pay off from 720 VMs counted; 500 VMs (10 pages every 5 s) from 360.
    expect(listingPaysOff(100, 25, 720)).toBe(true);
    expect(listingPaysOff(100, 25, 719)).toBe(false);
    expect(listingPaysOff(10, 5, 360)).toBe(true);
    expect(listingPaysOff(10, 5, 359)).toBe(false);
    expect(listingPaysOff(1, 5, 36)).toBe(true);
    // A first listing is taken only when the shortest the demand implies (50 VMs a page) could pay.
    expect(probeMayPay(35)).toBe(false);
    expect(probeMayPay(36)).toBe(true);
    expect(probeMayPay(1000)).toBe(true);
  });
});
