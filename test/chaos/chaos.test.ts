import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type LocalAzurite } from "../support/azurite";
import { countRetries, planSeed, renderTable, runChaosSeed, totals, type ChaosSeedResult } from "./harness";
import { withoutRolledBackSubnets } from "./subnetLeaks";
import type { SimulatorHandle } from "../../src/simulator";

/** The `npm test` slice: the quick profile (small fleets, bounded faults) over seeds 1–SLICE. */
const SLICE = 30;
/**
 * Seeds past the slice that once found a product bug, run with it: 39 (quick), an owner's deallocate begun between the
 * run's read and its power off (refused with 409), taken for the run's own by a re-run of that first write; 724
 * (full), a first power off sent by a run whose answer was lost, re-run after a host restart and answered `throttled`
 * (the new worker's view of the write bucket spent), then sent again under a new time that no record of the first
 * send matched: the run's own power off was taken for someone else's and the VM left stopped; 704 (full), a wave by
 * update domain at a cap of 19 whose 19 lanes were given shares of 21 (each lane of one resource rounded up to 1),
 * so 20 resources went down at once.
 */
const PINNED: readonly { seed: number; profile: "quick" | "full" }[] = [
  { seed: 39, profile: "quick" },
  { seed: 724, profile: "full" },
  { seed: 704, profile: "full" },
];

describe("chaos plans", () => {
  it("gives the same fleet, faults and host disruptions for the same seed, and different ones for another", () => {
    const a = planSeed(42);
    expect(planSeed(42)).toEqual(a);
    expect(planSeed(43)).not.toEqual(a);
  });

  it("draws fleets of 10–200 VMs and, over a hundred seeds, every fault kind, lost completions and restarts", () => {
    const plans = Array.from({ length: 100 }, (_, i) => planSeed(i + 1));
    for (const p of plans) {
      expect(p.scenario.vms.length).toBeGreaterThanOrEqual(10);
      expect(p.scenario.vms.length).toBeLessThanOrEqual(200);
    }
    const kinds = new Set(plans.flatMap((p) => p.faults.map((f) => f.kind)));
    expect([...kinds].sort()).toEqual([
      "allocationFailure",
      "conflict",
      "http5xx",
      "latencySpike",
      "lroFailed",
      "stuckTransition",
      "throttleStorm",
    ]);
    const storms = plans.flatMap((p) => p.faults.filter((f) => f.kind === "throttleStorm"));
    expect(storms.some((f) => f.retryAfterSeconds === null)).toBe(true);
    expect(storms.some((f) => typeof f.retryAfterSeconds === "number")).toBe(true);
    expect(plans.some((p) => p.lostCompletionRate > 0)).toBe(true);
    expect(plans.some((p) => p.restartAfterEpisodes.length > 0)).toBe(true);
    expect(new Set(plans.map((p) => p.scenario.vms.length)).size).toBeGreaterThan(30);
    // Caps that keep lanes serial, and caps above 50 that share them (columns, or rounds by update domain).
    const caps = plans.map((p) => p.options.maxConcurrency ?? 20);
    expect(caps.some((c) => c <= 25)).toBe(true);
    expect(caps.filter((c) => c > 50).length).toBeGreaterThan(10);
    expect(
      plans.some((p) => (p.options.maxConcurrency ?? 20) > 50 && p.options.availabilitySetRule === "updateDomain"),
    ).toBe(true);
  });

  it("counts a retry only when the same request follows a 409, 429 or 5xx answer", () => {
    const e = (method: string, path: string, status: number) => ({ method, path, status });
    expect(
      countRetries([
        e("GET", "/a", 429),
        e("GET", "/b", 200),
        e("GET", "/A", 200), // retry of the 429 (paths compare case-insensitively)
        e("PUT", "/s", 409),
        e("PUT", "/s", 503), // retry of the 409
        e("PUT", "/s", 201), // retry of the 503
        e("GET", "/c", 404),
        e("GET", "/c", 200), // a 404 is not retried: not counted
      ]),
    ).toBe(3);
  });
});

describe("invariant 4 under rolled-back subnet creations", () => {
  const vnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";
  const temp = `${vnet}/subnets/port25-temp-1`;
  const sim = (log: { method: string; path: string; status: number }[], subnets: string[]) =>
    ({
      requestLog: () => log,
      snapshot: () => ({ vnets: [{ id: vnet, subnets: subnets.map((name) => ({ name })) }] }),
    }) as unknown as SimulatorHandle;
  const leak = {
    invariant: 4 as const,
    message: `temporary subnet ${temp.toLowerCase()} was created but never deleted`,
  };

  it("drops the violation when the creation was rolled back (a later read says 404 and the subnet is gone)", () => {
    const log = [
      { method: "PUT", path: temp, status: 201 },
      { method: "GET", path: temp, status: 404 },
    ];
    expect(withoutRolledBackSubnets(sim(log, []), [leak])).toEqual([]);
  });

  it("keeps it when the subnet is still there, or nothing ever showed it gone", () => {
    expect(
      withoutRolledBackSubnets(
        sim(
          [
            { method: "PUT", path: temp, status: 201 },
            { method: "GET", path: temp, status: 404 },
          ],
          ["port25-temp-1"],
        ),
        [leak],
      ),
    ).toEqual([leak]);
    expect(withoutRolledBackSubnets(sim([{ method: "PUT", path: temp, status: 201 }], []), [leak])).toEqual([leak]);
    expect(
      withoutRolledBackSubnets(
        sim(
          [
            { method: "GET", path: temp, status: 404 },
            { method: "PUT", path: temp, status: 201 },
          ],
          [],
        ),
        [leak],
      ),
    ).toEqual([leak]);
  });
});

describe(`chaos slice: ${SLICE + PINNED.length} seeded runs under faults, lost completions and host restarts`, () => {
  let azurite: LocalAzurite;
  const results: ChaosSeedResult[] = [];
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite.stop();
  });

  it(
    "keeps the six invariants, audits every outcome and leaves no orchestration running on every seed",
    { timeout: 600_000 },
    async () => {
      const slice = Array.from({ length: SLICE }, (_, i) => ({ seed: i + 1, profile: "quick" as const }));
      for (const { seed, profile } of [...slice, ...PINNED]) {
        results.push(await runChaosSeed(seed, { profile, auditConnection: azurite.connectionString }));
      }
      const t = totals(results);
      // Known, reported product bugs are tolerated here (never in `npm run chaos`); everything else fails the test.
      const unexpected = results.flatMap((r) =>
        r.violations.filter((v) => v.knownBug === undefined).map((v) => `${r.replay}  [${v.check}] ${v.message}`),
      );
      expect(unexpected, renderTable(t)).toEqual([]);
      // The slice really disturbed the runs, and most of them went to the end of their waves.
      expect(t.hostRestarts).toBeGreaterThan(5);
      expect(t.lostCompletions).toBeGreaterThan(10);
      expect(Object.keys(t.faultsInjected).length).toBeGreaterThanOrEqual(6);
      expect(t.retries).toBeGreaterThan(0);
      expect(t.vmsCycled).toBeGreaterThan(SLICE * 2);
      expect((t.statuses.completed ?? 0) + (t.statuses.completedWithFailures ?? 0)).toBeGreaterThan(SLICE / 3);
    },
  );
});
