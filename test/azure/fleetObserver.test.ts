import { describe, expect, it } from "vitest";
import {
  FleetObserver,
  MAX_LISTING_PAGES,
  listingIntervalSeconds,
  listingPaysOff,
  firstListingMayPay,
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
    const seen = await pollAll(arm, 400, T0);
    expect(arm.calls).toHaveLength(1);
    // The first nine read their own VMs (no listing could pay for nine); from the tenth on, one listing answers all.
    expect(seen.slice(0, 9).every((o) => o.kind === "perResource")).toBe(true);
    expect(seen.slice(9).every((o) => o.kind === "listed" && o.status?.powerState === "running")).toBe(true);
    // Within the listing's interval (10 pages: 5 s) the same listing answers; after it a new one is taken, as the
    // last one spared more reads than its pages.
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

  it("takes no listing that could not pay: not for a canary's one poll, nor for the plan's 5,000 VMs with 199 polling", async () => {
    const unknownSize = fakeArm(5000, 100);
    expect((await unknownSize.observer.observe(SUB, vmId(0), T0, T0)).kind).toBe("perResource");
    expect(unknownSize.calls).toHaveLength(0);
    // Known from the plan: 100 pages, one every 25 s at most, pay from 200 VMs polling.
    const known = fakeArm(5000, 100);
    const hinted = (i: number) => known.observer.observe(SUB, vmId(i), T0, T0, { subscriptionVms: 5000 });
    for (let i = 0; i < 199; i++) expect((await hinted(i)).kind).toBe("perResource");
    expect(known.calls).toHaveLength(0);
    expect((await hinted(199)).kind).toBe("listed");
    expect(known.calls).toHaveLength(1);
    // It answered one poll, far fewer than its pages: the next poll reads its own VM.
    const next = await known.observer.observe(SUB, vmId(200), T0 + 30_000, T0 + 30_000, { subscriptionVms: 5000 });
    expect(next.kind).toBe("perResource");
    expect(known.calls).toHaveLength(1);
  });

  it("takes listings while they have spared as many reads as their pages, then again only when the VMs polling double", async () => {
    const arm = fakeArm(500, 10);
    // 50 VMs polling: the tenth takes a listing (10 pages), which answers 41 polls.
    await pollAll(arm, 50, T0);
    expect(arm.calls).toHaveLength(1);
    // Lone polls after it each take another while the reads spared (41, then one more each) cover the pages taken.
    for (let i = 1; i <= 4; i++)
      expect((await arm.observer.observe(SUB, vmId(59 + i), T0 + i * 6000, T0)).kind).toBe("listed");
    expect(arm.calls).toHaveLength(5);
    // 45 reads spared for 50 pages: the next poll reads its own VM.
    expect((await arm.observer.observe(SUB, vmId(64), T0 + 30_000, T0)).kind).toBe("perResource");
    expect(arm.calls).toHaveLength(5);
    // Until the VMs polling have doubled since the last listing (54 then): a larger wave's polls are worth another.
    await pollAll(arm, 52, T0 + 31_000, T0, 100);
    expect(arm.calls).toHaveLength(5);
    expect((await arm.observer.observe(SUB, vmId(200), T0 + 31_000, T0)).kind).toBe("listed");
    expect(arm.calls).toHaveLength(6);
  });

  it("a poll that sends on what it sees uses a current listing, but never asks for one", async () => {
    const arm = fakeArm(40, 1);
    const send = { reusesOnly: true };
    const sending = await Promise.all(
      Array.from({ length: 40 }, (_, i) => arm.observer.observe(SUB, vmId(i), T0, T0 - 1000, send)),
    );
    expect(sending.every((o) => o.kind === "perResource")).toBe(true);
    expect(arm.calls).toHaveLength(0);
    // The first poll a listing can answer outright takes one (40 VMs polling pay for a page every 5 s); a sending poll
    // within its interval is answered from it.
    await pollAll(arm, 36, T0 + 1000);
    expect(arm.calls).toHaveLength(1);
    expect(await arm.observer.observe(SUB, vmId(39), T0 + 2000, T0, send)).toMatchObject({ kind: "listed" });
    expect(await arm.observer.observe(SUB, vmId(39), T0 + 7000, T0, send)).toEqual({ kind: "perResource" });
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
    // Known from the plan, it is not even tried.
    const known = fakeArm(20_000, 400);
    for (let i = 0; i < 1000; i++) await known.observer.observe(SUB, vmId(i), T0, T0, { subscriptionVms: 20_000 });
    expect(known.calls).toHaveLength(0);
    // A subscription just within the limit is listed as before.
    const within = fakeArm(MAX_LISTING_PAGES * 50, MAX_LISTING_PAGES);
    expect((await pollAll(within, 40, T0, T0)).filter((o) => o.kind === "listed")).toHaveLength(31);
  });

  it("after a failed listing, lists again only after ARM's Retry-After, and says what failed meanwhile", async () => {
    const arm = fakeArm(100, 2);
    const throttled = new AzureOperationError("listVmPowerStates", "too many", {
      code: "TooManyRequests",
      statusCode: 429,
      retryable: true,
      retryAfterSeconds: 20,
    });
    await pollAll(arm, 9, T0, T0, 10);
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

  it("takes a first listing only when it could cost no more than reading the VMs polling one by one", () => {
    // 5,000 VMs (100 pages every 25 s) could pay from 200 VMs polling; 500 VMs (10 pages every 5 s) from 100.
    expect(listingPaysOff(100, 25, 500)).toBe(true);
    expect(listingPaysOff(100, 25, 20)).toBe(false);
    expect(listingPaysOff(10, 5, 20)).toBe(false);
    expect(listingPaysOff(2, 5, 20)).toBe(true);
    // Its size unknown, the fewest pages the VMs polling imply (50 a page); known, the plan's count decides.
    expect(firstListingMayPay(9)).toBe(false);
    expect(firstListingMayPay(10)).toBe(true);
    expect(firstListingMayPay(50, 500)).toBe(false);
    expect(firstListingMayPay(100, 500)).toBe(true);
    expect(firstListingMayPay(40, 200)).toBe(true);
    expect(firstListingMayPay(5000, 20_000)).toBe(false);
  });
});
