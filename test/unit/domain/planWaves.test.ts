import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PlanSchema, type PlanEntry, type Wave } from "../../../src/contracts/plan";
import { buildPlan, planWaves } from "../../../src/domain/planWaves";
import { availabilitySet, discovery, flexSet, options, rgId, subnet, vm, vnet } from "./fixtures";

function entry(name: string, extra: Partial<PlanEntry> = {}): PlanEntry {
  return {
    resourceId: `${rgId("rg")}/providers/Microsoft.Compute/virtualMachines/${name}`,
    kind: "vm",
    name,
    resourceGroup: "rg",
    location: "westeurope",
    action: "cycle",
    steps: ["powerOff", "deallocate", "start"],
    canary: false,
    ...extra,
  };
}

const names = (w: Wave | undefined): string[][] =>
  (w?.batches ?? []).map((b) => b.items.map((id) => id.split("/").pop() ?? ""));

describe("planWaves", () => {
  it("puts canaries first, then tagged waves ascending, then untagged, leaving out what is not cycled", () => {
    const waves = planWaves(
      [
        entry("u1"),
        entry("t5", { waveTag: 5 }),
        entry("c", { canary: true, waveTag: 5 }),
        entry("t0", { waveTag: 0 }),
        entry("skip", { action: "skip", skipReason: "skipTag" }),
        entry("net", { kind: "vnet", action: "refreshSubnet" }),
      ],
      options(),
    );
    expect(waves.map((w) => [w.index, w.label, w.canary])).toEqual([
      [0, "canary", true],
      [1, "wave tag 0", false],
      [2, "wave tag 5", false],
      [3, "untagged", false],
    ]);
    expect(waves.map((w) => names(w))).toEqual([[["c"]], [["t0"]], [["t5"]], [["u1"]]]);
    expect(waves.flatMap((w) => w.batches.map((b) => b.id))).toEqual(["w0l0", "w1l0", "w2l0", "w3l0"]);
  });

  it("numbers waves from 0 when there is no canary", () => {
    const waves = planWaves([entry("a", { waveTag: 2 }), entry("b")], options());
    expect(waves.map((w) => [w.index, w.label])).toEqual([
      [0, "wave tag 2"],
      [1, "untagged"],
    ]);
  });

  it("deals a wave into serial lanes, an availability set with a cap of 1 in one lane", () => {
    const as1 = availabilitySet("as1");
    const entries = [
      entry("a"),
      entry("b", { availabilitySetId: as1 }),
      entry("c", { availabilitySetId: as1.toUpperCase() }),
      entry("d"),
      entry("e"),
    ];
    const [wave] = planWaves(entries, options({ batchSize: 2, maxConcurrency: 3 }));
    expect(wave?.parallel).toBe(3);
    expect(names(wave)).toEqual([["b", "c"], ["a", "e"], ["d"]]);
    expect(wave?.batches.map((b) => [b.id, b.share])).toEqual([
      ["w0l0", 1],
      ["w0l1", 1],
      ["w0l2", 1],
    ]);
  });

  it("spreads a flexible scale set with a cap of k over at most k lanes", () => {
    const fx = flexSet("fx");
    const entries = [entry("a"), ...["f1", "f2", "f3", "f4"].map((n) => entry(n, { flexScaleSetId: fx })), entry("z")];
    const [wave] = planWaves(entries, options({ maxConcurrency: 10, maxUnavailablePerScaleSet: 2 }));
    const withFlex = (wave?.batches ?? []).filter((b) =>
      b.items.some((id) => id.endsWith("/f1") || id.endsWith("/f2") || id.endsWith("/f3") || id.endsWith("/f4")),
    );
    expect(withFlex).toHaveLength(2);
    expect(names(wave).flat().sort()).toEqual(["a", "f1", "f2", "f3", "f4", "z"]);
  });

  it("shares a cap above the lane limit among lanes that keep each group whole", () => {
    const as1 = availabilitySet("as1");
    const entries = [
      ...Array.from({ length: 120 }, (_, i) => entry(`v${String(i).padStart(3, "0")}`)),
      ...["s1", "s2", "s3"].map((n) => entry(n, { availabilitySetId: as1 })),
    ];
    const [wave] = planWaves(entries, options({ maxConcurrency: 100, batchSize: 100 }));
    expect(wave?.parallel).toBe(50);
    const lanes = wave?.batches ?? [];
    expect(lanes.filter((b) => b.items.some((id) => /\/s\d$/.test(id)))).toHaveLength(1);
    expect(lanes.slice(0, 50).reduce((n, b) => n + b.share, 0)).toBeLessThanOrEqual(100);
  });

  it("is deterministic whatever the input order", () => {
    const entries = ["e", "a", "c", "b", "d"].map((n, i) =>
      entry(n, { availabilitySetId: i % 2 === 0 ? availabilitySet("x") : undefined }),
    );
    expect(planWaves(entries, options({ batchSize: 2 }))).toEqual(
      planWaves([...entries].reverse(), options({ batchSize: 2 })),
    );
  });
});

describe("buildPlan", () => {
  it("combines entries, waves, caps from the options and counts", () => {
    const d = discovery({
      vms: [vm("a"), vm("b", { powerState: "deallocated" }), vm("c", { networkWatcherAgent: true })],
      vnets: [
        vnet(
          "v",
          ["10.0.0.0/16"],
          [subnet("ase", "10.0.0.0/24", { delegations: ["Microsoft.Web/hostingEnvironments"] })],
        ),
      ],
    });
    const plan = buildPlan(d, options({ maxConcurrency: 7, maxUnavailablePerScaleSet: 3 }));
    expect(PlanSchema.parse(plan)).toEqual(plan);
    expect(plan.caps).toEqual({ maxConcurrency: 7, maxUnavailablePerAvailabilitySet: 1, maxUnavailablePerScaleSet: 3 });
    expect(plan.counts).toEqual({ vms: 3, scaleSets: 0, vnets: 1, toCycle: 2, toRefresh: 1, skipped: 1 });
    expect(plan.waves.map((w) => [w.label, names(w)])).toEqual([
      ["canary", [["c"]]],
      ["untagged", [["a"]]],
    ]);
  });
});

const groupKeys = (e: PlanEntry | undefined): string[] => [
  ...(e?.availabilitySetId !== undefined ? [`as:${e.availabilitySetId.toLowerCase()}`] : []),
  ...(e?.flexScaleSetId !== undefined ? [`fx:${e.flexScaleSetId.toLowerCase()}`] : []),
];

const AV_SETS = [undefined, "as1", "as2", "AS2", "as3"];
const FLEX = [undefined, undefined, "fx1", "FX1", "fx2"];

const entryArb = fc.record({
  action: fc.constantFrom<PlanEntry["action"]>("cycle", "cycle", "cycle", "skip", "refreshSubnet"),
  canary: fc.boolean(),
  waveTag: fc.constantFrom(undefined, 0, 1, 3, 10),
  av: fc.constantFrom(...AV_SETS),
  fx: fc.constantFrom(...FLEX),
});

describe("planWaves properties", () => {
  it("places every cycle entry in exactly one lane of one wave, a group with a cap of k in at most k serial lanes", () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        (specs, batchSize, maxConcurrency, groupCap) => {
          const entries = specs.map((s, i) =>
            entry(`vm${i}`, {
              action: s.action,
              canary: s.canary,
              waveTag: s.waveTag,
              // Azure puts a VM in an availability set or in a scale set, never both (the properties exclude each other).
              ...(s.av !== undefined
                ? { availabilitySetId: availabilitySet(s.av) }
                : s.fx !== undefined
                  ? { flexScaleSetId: flexSet(s.fx) }
                  : {}),
            }),
          );
          const waves = planWaves(
            entries,
            options({
              batchSize,
              maxConcurrency,
              maxUnavailablePerAvailabilitySet: groupCap,
              maxUnavailablePerScaleSet: groupCap,
            }),
          );
          const byId = new Map(entries.map((e) => [e.resourceId, e]));

          const seen = new Map<string, number>();
          waves.forEach((w, wi) => {
            expect(w.index).toBe(wi);
            expect(w.batches.length).toBeGreaterThan(0);
            const members = w.batches.flatMap((b) => b.items).map((id) => byId.get(id));
            // A wave holds one kind: canaries, or one tag value, or untagged.
            if (w.canary) expect(members.every((e) => e?.canary === true)).toBe(true);
            else expect(new Set(members.map((e) => `${e?.canary}|${e?.waveTag}`)).size).toBe(1);

            expect(w.parallel).toBe(maxConcurrency);
            const lanesOfGroup = new Map<string, Set<string>>();
            w.batches.forEach((b, bi) => {
              expect(b.id).toBe(`w${wi}l${bi}`);
              expect(b.items.length).toBeGreaterThan(0);
              // Serial lanes: one resource of a lane in flight keeps the global cap.
              expect(b.share).toBe(1);
              for (const id of b.items) {
                seen.set(id, (seen.get(id) ?? 0) + 1);
                for (const k of groupKeys(byId.get(id)))
                  lanesOfGroup.set(k, (lanesOfGroup.get(k) ?? new Set()).add(b.id));
              }
            });
            // A group's members are down together only from different lanes: at most its cap of them.
            for (const [k, lanes] of lanesOfGroup)
              expect(lanes.size, `${k} in ${[...lanes].join(", ")}`).toBeLessThanOrEqual(groupCap);
          });
          const cycle = entries.filter((e) => e.action === "cycle").map((e) => e.resourceId);
          expect([...seen.keys()].sort()).toEqual([...cycle].sort());
          expect([...seen.values()].every((n) => n === 1)).toBe(true);
          // Canaries first, tagged waves ascending, untagged last.
          const order = waves.map((w) =>
            w.canary ? -1 : (byId.get(w.batches[0]?.items[0] ?? "")?.waveTag ?? Infinity),
          );
          expect(order).toEqual([...order].sort((a, b) => a - b));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("planWaves' shares of a cap among lanes that are not serial", () => {
  it("give every lane of a group running together at least 1 and together never more than the cap", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ set: fc.integer({ min: 0, max: 6 }), domain: fc.integer({ min: 0, max: 4 }) }), {
          minLength: 1,
          maxLength: 120,
        }),
        fc.integer({ min: 2, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        (specs, maxConcurrency, batchSize) => {
          // Set 0 stands for a VM in no availability set; the update-domain rule keeps lanes from being serial.
          const entries = specs.map((s, i) =>
            entry(
              `vm${i}`,
              s.set === 0 ? {} : { availabilitySetId: availabilitySet(`as${s.set}`), updateDomain: s.domain },
            ),
          );
          const waves = planWaves(entries, options({ batchSize, maxConcurrency, availabilitySetRule: "updateDomain" }));
          for (const w of waves) {
            for (let start = 0; start < w.batches.length; start += w.parallel) {
              const group = w.batches.slice(start, start + w.parallel);
              expect(group.reduce((n, b) => n + b.share, 0)).toBeLessThanOrEqual(maxConcurrency);
              for (const b of group) {
                expect(b.share).toBeGreaterThanOrEqual(1);
                expect(b.share).toBeLessThanOrEqual(b.items.length);
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keep a wave of 2 lanes of 3 and 17 lanes of 1 within a cap of 19", () => {
    // The shape of a wave that once ran 21 resources at once under a cap of 19: each lane of 1 rounded up to a share
    // of 1 on top of the larger lanes' proportional shares.
    const big = (set: string, n: number): PlanEntry[] =>
      Array.from({ length: n }, (_, i) =>
        entry(`${set}-${i}`, { availabilitySetId: availabilitySet(set), updateDomain: i }),
      );
    const entries = [...big("a", 3), ...big("b", 3), ...Array.from({ length: 17 }, (_, i) => entry(`solo${i}`))];
    const [wave] = planWaves(entries, options({ maxConcurrency: 19, availabilitySetRule: "updateDomain" }));
    const shares = (wave?.batches ?? []).map((b) => b.share);
    expect(shares).toHaveLength(19);
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(19);
  });
});
