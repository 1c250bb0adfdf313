import { describe, expect, it } from "vitest";
import {
  FleetObserver,
  MAX_LISTING_PAGES,
  listingIntervalSeconds,
  listingPaysOff,
  expectedPages,
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

  it("answers every poll of a clump from one listing, ids compared case-insensitively", async () => {
    const arm = fakeArm(500, 10);
    const seen = await pollAll(arm, 400, T0);
    expect(arm.calls).toHaveLength(1);
    // The first two read their own VMs; the third makes three polls for the one page that many VMs imply, and the
    // listing it takes answers the rest.
    expect(seen.slice(0, 2).every((o) => o.kind === "perResource")).toBe(true);
    expect(seen.slice(2).every((o) => o.kind === "listed" && o.status?.powerState === "running")).toBe(true);
    // Within the listing's interval (10 pages: 5 s) the same listing answers. A lone poll after it reads its own VM
    // (the clump is over); the next clump takes a new listing as soon as it has as many polls as pages (the last paid).
    await arm.observer.observe(SUB, vmId(1), T0 + 4000, T0 - 1000);
    expect(arm.calls).toHaveLength(1);
    expect((await arm.observer.observe(SUB, vmId(1), T0 + 5000, T0 - 1000)).kind).toBe("perResource");
    arm.set("stopping");
    const next = await pollAll(arm, 20, T0 + 6000);
    expect(arm.calls).toHaveLength(2);
    // The two lone polls count too: the eighth of the clump makes ten.
    expect(next.filter((o) => o.kind === "listed")).toHaveLength(13);
    expect(next[19]).toMatchObject({ kind: "listed", takenAt: T0 + 6000, status: { powerState: "stopping" } });
  });

  it("never answers with a listing taken before the step the poll watches began", async () => {
    const arm = fakeArm(500, 10);
    await pollAll(arm, 400, T0, T0);
    arm.set("stopping");
    const o = await arm.observer.observe(SUB, vmId(3), T0 + 2000, T0 + 1000);
    expect(arm.calls).toHaveLength(2);
    expect(o).toMatchObject({ kind: "listed", status: { powerState: "stopping" } });
  });

  it("takes no listing that could not pay: not for a canary's one poll, nor for the plan's 5,000 VMs with 299 polls", async () => {
    const unknownSize = fakeArm(5000, 100);
    expect((await unknownSize.observer.observe(SUB, vmId(0), T0, T0)).kind).toBe("perResource");
    expect(unknownSize.calls).toHaveLength(0);
    // Known from the plan: 100 pages, one every 25 s at most, pay for three times as many polls in 25 s.
    const known = fakeArm(5000, 100);
    const hinted = (i: number, at = T0) => known.observer.observe(SUB, vmId(i), at, at, { subscriptionVms: 5000 });
    for (let i = 0; i < 299; i++) expect((await hinted(i)).kind).toBe("perResource");
    expect(known.calls).toHaveLength(0);
    expect((await hinted(299)).kind).toBe("listed");
    expect(known.calls).toHaveLength(1);
    // Its 25 s over, a lone poll reads its own VM.
    expect((await hinted(300, T0 + 30_000)).kind).toBe("perResource");
    expect(known.calls).toHaveLength(1);
  });

  it("after a listing that paid, the next clump needs only as many polls as pages; after one that did not, three times", async () => {
    const hint = { subscriptionVms: 500 };
    const poll = (arm: ReturnType<typeof fakeArm>, n: number, at: number, from: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => arm.observer.observe(SUB, vmId(from + i), at, at - 1000, hint)));
    // 40 polls: the 30th takes a listing (10 pages), which answers 11: it paid.
    const paid = fakeArm(500, 10);
    await poll(paid, 40, T0, 0);
    expect(paid.calls).toHaveLength(1);
    await poll(paid, 10, T0 + 6000, 100);
    expect(paid.calls).toHaveLength(2);
    // 30 polls: the listing answers one: the next clump needs 30 polls again.
    const unpaid = fakeArm(500, 10);
    await poll(unpaid, 30, T0, 0);
    expect(unpaid.calls).toHaveLength(1);
    await poll(unpaid, 29, T0 + 6000, 100);
    expect(unpaid.calls).toHaveLength(1);
    await poll(unpaid, 1, T0 + 6000, 200);
    expect(unpaid.calls).toHaveLength(2);
  });

  it("a poll that sends on what it sees uses a current listing, but never asks for one", async () => {
    const arm = fakeArm(40, 1);
    const send = { reusesOnly: true };
    const sending = await Promise.all(
      Array.from({ length: 40 }, (_, i) => arm.observer.observe(SUB, vmId(i), T0, T0 - 1000, send)),
    );
    expect(sending.every((o) => o.kind === "perResource")).toBe(true);
    expect(arm.calls).toHaveLength(0);
    // Three polls a listing can answer outright take one (one page); a sending poll within its interval is answered
    // from it.
    await pollAll(arm, 3, T0 + 1000);
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
    expect((await pollAll(within, 40, T0, T0)).filter((o) => o.kind === "listed")).toHaveLength(38);
  });

  it("after a failed listing, lists again only after ARM's Retry-After, and says what failed meanwhile", async () => {
    const arm = fakeArm(100, 2);
    const throttled = new AzureOperationError("listVmPowerStates", "too many", {
      code: "TooManyRequests",
      statusCode: 429,
      retryable: true,
      retryAfterSeconds: 20,
    });
    await pollAll(arm, 2, T0, T0, 10);
    expect(arm.calls).toHaveLength(0);
    arm.failWith(throttled);
    await expect(arm.observer.observe(SUB, vmId(0), T0, T0)).rejects.toBe(throttled);
    await expect(arm.observer.observe(SUB, vmId(1), T0 + 10_000, T0)).rejects.toBe(throttled);
    expect(arm.calls).toHaveLength(1);
    arm.failWith(undefined);
    const again = await pollAll(arm, 3, T0 + 20_000, T0, 20);
    expect(again.map((o) => o.kind)).toEqual(["perResource", "perResource", "listed"]);
    expect(arm.calls).toHaveLength(2);
  });

  it("spaces listings by Compute's High Cost Get budget: 80 % of 300 pages a minute, a minute when the bucket is spent", () => {
    expect(listingIntervalSeconds(1, undefined)).toBe(5);
    expect(listingIntervalSeconds(100, undefined)).toBe(25);
    expect(listingIntervalSeconds(100, 99)).toBe(60);
    expect(listingIntervalSeconds(100, 500)).toBe(25);
  });

  it("prices a listing by the polls of the last interval it could have answered, against its pages", () => {
    expect(listingPaysOff(10, 29)).toBe(false);
    expect(listingPaysOff(10, 30)).toBe(true);
    expect(listingPaysOff(10, 10, true)).toBe(true);
    expect(listingPaysOff(10, 9, true)).toBe(false);
    expect(listingPaysOff(MAX_LISTING_PAGES + 1, 100_000)).toBe(false);
    // Before the first listing: the plan's count of VMs, else the VMs polling, 50 a page.
    expect(expectedPages(40)).toBe(1);
    expect(expectedPages(120)).toBe(3);
    expect(expectedPages(40, 500)).toBe(10);
  });
});
