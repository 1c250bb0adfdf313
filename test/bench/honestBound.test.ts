import { describe, expect, it } from "vitest";
import { CYCLE_SHAPES, honestBound, honestWaves } from "../../bench/analyse";
import { ResourceOutcomeSchema, type ResourceOutcome } from "../../src/contracts/outcome";
import type { Plan, PlanEntry, PowerStep } from "../../src/contracts/plan";

const FULL: PowerStep[] = ["powerOff", "deallocate", "start"];

function entry(id: string, steps: PowerStep[], set?: string, updateDomain?: number): PlanEntry {
  return {
    resourceId: id,
    kind: "vm",
    name: id,
    resourceGroup: "rg",
    location: "westeurope",
    action: "cycle",
    steps,
    canary: false,
    ...(set !== undefined ? { availabilitySetId: `/as/${set}` } : {}),
    ...(updateDomain !== undefined ? { updateDomain } : {}),
  };
}

function outcome(id: string, wave: number): ResourceOutcome {
  return ResourceOutcomeSchema.parse({
    resourceId: id,
    kind: "vm",
    name: id,
    resourceGroup: "rg",
    outcome: "cycled",
    wave,
  });
}

function plan(entries: PlanEntry[], caps: Partial<Plan["caps"]> = {}): Plan {
  return {
    entries,
    waves: [],
    caps: { maxConcurrency: 2, maxUnavailablePerAvailabilitySet: 1, maxUnavailablePerScaleSet: 1, ...caps },
    counts: { vms: entries.length, scaleSets: 0, vnets: 0, toCycle: entries.length, toRefresh: 0, skipped: 0 },
  };
}

const honest = (
  p: Plan,
  outcomes: ResourceOutcome[],
  concurrency = 2,
  actual: ReadonlyMap<string, number> = new Map(),
): ReturnType<typeof honestBound> =>
  honestBound(honestWaves(outcomes, p, CYCLE_SHAPES.powerOffDeallocateStart, actual), {
    concurrency,
    shape: CYCLE_SHAPES.powerOffDeallocateStart,
    rule: p.caps.availabilitySetRule ?? "member",
    probeSeconds: 0,
    subnetSeconds: 0,
    simulatedSeconds: 1,
  });
const bound = (p: Plan, outcomes: ResourceOutcome[], concurrency = 2): number =>
  honest(p, outcomes, concurrency).boundSeconds;

describe("the bench's honest bound", () => {
  it("counts a stopped VM's deallocation as its own step, not a whole cycle, in the cap's rounds", () => {
    // Two full cycles and two deallocations at cap 2: 150 s of full cycles, then 2 × 60 s spread over two slots.
    const p = plan([entry("a", FULL), entry("b", FULL), entry("c", ["deallocate"]), entry("d", ["deallocate"])]);
    expect(
      bound(
        p,
        ["a", "b", "c", "d"].map((id) => outcome(id, 1)),
      ),
    ).toBe(210);
  });

  it("adds the waves in order rather than overlapping them", () => {
    const p = plan([entry("a", FULL), entry("b", FULL)]);
    expect(bound(p, [outcome("a", 1), outcome("b", 2)])).toBe(300);
    expect(bound(p, [outcome("a", 1), outcome("b", 1)])).toBe(150);
  });

  it("holds a set to one member at a time by default and to one update domain at a time under that rule", () => {
    const members = [entry("a", FULL, "s", 0), entry("b", FULL, "s", 0), entry("c", ["deallocate"], "s", 1)];
    const outcomes = ["a", "b", "c"].map((id) => outcome(id, 1));
    expect(bound(plan(members), outcomes, 10)).toBe(360);
    expect(bound(plan(members, { availabilitySetRule: "updateDomain" }), outcomes, 10)).toBe(210);
  });

  it("holds a wave to its slowest resource as Azure took it, and keeps the nominal bound beside it", () => {
    // One round at cap 2: Azure took 170 s over one VM's cycle and 140 s over the other's.
    const p = plan([entry("a", FULL), entry("b", FULL)]);
    const h = honest(
      p,
      [outcome("a", 1), outcome("b", 1)],
      2,
      new Map([
        ["a", 170],
        ["b", 140],
      ]),
    );
    expect(h.boundSeconds).toBe(170);
    expect(h.waves[0]?.slowestSeconds).toBe(170);
    expect(h.nominalBoundSeconds).toBe(150);
    // Faster than nominal everywhere: the nominal rounds still hold.
    expect(
      honest(
        p,
        [outcome("a", 1), outcome("b", 1)],
        2,
        new Map([
          ["a", 130],
          ["b", 140],
        ]),
      ).boundSeconds,
    ).toBe(150);
  });

  it("spreads Azure's own seconds over the cap's slots and over a set's members taken one at a time", () => {
    const ids = ["a", "b", "c", "d"];
    const slow = new Map(ids.map((id) => [id, 175] as const));
    // Four full cycles at cap 4: one round, at its slowest member.
    expect(
      honest(
        plan(ids.map((id) => entry(id, FULL))),
        ids.map((id) => outcome(id, 1)),
        4,
        slow,
      ).boundSeconds,
    ).toBe(175);
    // The same four in one set, one member at a time: 4 × 175 s rather than 4 × 150 s.
    const set = plan(ids.map((id) => entry(id, FULL, "s")));
    const h = honest(
      set,
      ids.map((id) => outcome(id, 1)),
      4,
      slow,
    );
    expect(h.boundSeconds).toBe(700);
    expect(h.nominalBoundSeconds).toBe(600);
  });
});
