import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Caps } from "../../../src/contracts/plan";
import { scheduleNext, type SchedItem } from "../../../src/domain/scheduler";

const caps = (maxConcurrency: number, perAvSet = 1, perScaleSet = 5): Caps => ({
  maxConcurrency,
  maxUnavailablePerAvailabilitySet: perAvSet,
  maxUnavailablePerScaleSet: perScaleSet,
});

const ids = (items: SchedItem[]): string[] => items.map((i) => i.id);

describe("scheduleNext", () => {
  it("starts pending items in order up to the global cap", () => {
    const pending = ["a", "b", "c", "d"].map((id) => ({ id }));
    expect(ids(scheduleNext(pending, caps(2)))).toEqual(["a", "b"]);
  });

  it("holds back a second VM of an availability set but lets later items through", () => {
    const pending = [
      { id: "a1", availabilitySetId: "/AS/one" },
      { id: "a2", availabilitySetId: "/as/ONE" },
      { id: "b" },
    ];
    expect(ids(scheduleNext(pending, caps(10)))).toEqual(["a1", "b"]);
  });

  it("compares availability sets case-insensitively", () => {
    const pending = [
      { id: "a1", availabilitySetId: "/AS/ONE/" },
      { id: "a2", availabilitySetId: "/as/one/" },
      { id: "c" },
    ];
    expect(ids(scheduleNext(pending, caps(10)))).toEqual(["a1", "c"]);
  });

  it("caps members of one flexible scale set", () => {
    const pending = ["f0", "f1", "f2", "f3", "f4"].map((id, i) => ({ id, flexScaleSetId: i === 0 ? "/FX" : "/fx" }));
    expect(ids(scheduleNext(pending, caps(10, 1, 2)))).toEqual(["f0", "f1"]);
  });

  it("does not start an item listed twice", () => {
    expect(ids(scheduleNext([{ id: "A" }, { id: "a" }, { id: "b" }, { id: "B" }], caps(10)))).toEqual(["A", "b"]);
  });

  it("starts nothing when nothing is pending", () => {
    expect(scheduleNext([], caps(2))).toEqual([]);
  });
});

const itemArb = fc.record(
  {
    av: fc.constantFrom("as1", "AS1", "as2", "as3"),
    fx: fc.constantFrom("fx1", "FX1", "fx2"),
  },
  { requiredKeys: [] },
);

describe("scheduleNext simulated in rounds", () => {
  it("never exceeds a cap in a round, schedules every item exactly once, and always makes progress", () => {
    fc.assert(
      fc.property(
        fc.array(itemArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        (specs, maxConcurrency, perAv, perFx) => {
          const c = caps(maxConcurrency, perAv, perFx);
          let pending: SchedItem[] = specs.map((s, i) => ({
            id: `vm${i}`,
            ...(s.av !== undefined ? { availabilitySetId: `/sets/${s.av}` } : {}),
            ...(s.fx !== undefined ? { flexScaleSetId: `/flex/${s.fx}` } : {}),
          }));
          const started = new Map<string, number>();
          while (pending.length > 0) {
            const next = scheduleNext(pending, c);
            const pendingIds = new Set(pending.map((p) => p.id));
            for (const item of next) {
              if (!pendingIds.has(item.id)) expect.fail(`${item.id} was not pending`);
              started.set(item.id, (started.get(item.id) ?? 0) + 1);
            }
            pending = pending.filter((p) => !next.includes(p));

            // Caps hold within the round.
            expect(next.length).toBeLessThanOrEqual(c.maxConcurrency);
            for (const key of ["availabilitySetId", "flexScaleSetId"] as const) {
              const counts = new Map<string, number>();
              for (const i of next) {
                const g = i[key]?.toLowerCase();
                if (g !== undefined) counts.set(g, (counts.get(g) ?? 0) + 1);
              }
              const cap =
                key === "availabilitySetId" ? c.maxUnavailablePerAvailabilitySet : c.maxUnavailablePerScaleSet;
              for (const [g, n] of counts) if (n > cap) expect.fail(`${n} of ${g} in one round, cap ${cap}`);
            }
            // Progress: every round starts something while items are pending.
            expect(next.length).toBeGreaterThan(0);
            // Maximal: an item left pending is held back by a cap the round reached.
            const inGroup = (key: "availabilitySetId" | "flexScaleSetId", g: string | undefined): number =>
              g === undefined ? 0 : next.filter((i) => i[key]?.toLowerCase() === g.toLowerCase()).length;
            for (const left of pending) {
              const held =
                next.length >= c.maxConcurrency ||
                (left.availabilitySetId !== undefined &&
                  inGroup("availabilitySetId", left.availabilitySetId) >= c.maxUnavailablePerAvailabilitySet) ||
                (left.flexScaleSetId !== undefined &&
                  inGroup("flexScaleSetId", left.flexScaleSetId) >= c.maxUnavailablePerScaleSet);
              if (!held) expect.fail(`${left.id} could have started in this round`);
            }
          }
          expect(started.size).toBe(specs.length);
          expect([...started.values()].every((n) => n === 1)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
