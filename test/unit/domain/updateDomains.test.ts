import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Caps } from "../../../src/contracts/plan";
import { resourceKey } from "../../../src/contracts/ids";
import { availabilitySetRounds, scheduleNext, type SchedItem } from "../../../src/domain/scheduler";
import { buildPlan } from "../../../src/domain/planWaves";
import { joinVmListings } from "../../../src/domain/discovery";
import { orderForCaps } from "../../../orchestrations/cycleBatch";
import { renderPlan } from "../../../src/cli/render";
import { RemediationOptionsSchema } from "../../../src/contracts/options";
import { availabilitySet, discovery, options, vm } from "./fixtures";

const byDomain = (maxConcurrency: number): Caps => ({
  maxConcurrency,
  maxUnavailablePerAvailabilitySet: 1,
  maxUnavailablePerScaleSet: 5,
  availabilitySetRule: "updateDomain",
});
const ids = (items: SchedItem[]): string[] => items.map((i) => i.id);

describe("availability sets by update domain", () => {
  it("starts every member of the first update domain together and holds the set's other domains back", () => {
    const pending: SchedItem[] = [
      { id: "a0", availabilitySetId: "/as/one", updateDomain: 0 },
      { id: "a1", availabilitySetId: "/as/one", updateDomain: 1 },
      { id: "a5", availabilitySetId: "/AS/ONE", updateDomain: 0 },
      { id: "b1", availabilitySetId: "/as/two", updateDomain: 1 },
      { id: "b2", availabilitySetId: "/as/two", updateDomain: 1 },
      { id: "x" },
    ];
    expect(ids(scheduleNext(pending, byDomain(10)))).toEqual(["a0", "a5", "b1", "b2", "x"]);
  });

  it("goes down alone when its update domain is unknown", () => {
    const pending: SchedItem[] = [
      { id: "u1", availabilitySetId: "/as/one" },
      { id: "a0", availabilitySetId: "/as/one", updateDomain: 0 },
      { id: "u2", availabilitySetId: "/as/one" },
    ];
    expect(ids(scheduleNext(pending, byDomain(10)))).toEqual(["u1"]);
    expect(ids(scheduleNext(pending.slice(1), byDomain(10)))).toEqual(["a0"]);
  });

  it("keeps the default rule at one member per set", () => {
    const pending: SchedItem[] = [
      { id: "a0", availabilitySetId: "/as/one", updateDomain: 0 },
      { id: "a5", availabilitySetId: "/as/one", updateDomain: 0 },
    ];
    expect(ids(scheduleNext(pending, { ...byDomain(10), availabilitySetRule: "member" }))).toEqual(["a0"]);
    expect(
      ids(
        scheduleNext(pending, {
          maxConcurrency: 10,
          maxUnavailablePerAvailabilitySet: 1,
          maxUnavailablePerScaleSet: 5,
        }),
      ),
    ).toEqual(["a0"]);
  });

  it("counts a set's rounds as its domains (each unknown member one more) under the option, its members over the cap otherwise", () => {
    const items: SchedItem[] = [0, 1, 2, 3, 4, 0, 1].map((d, i) => ({
      id: `v${i}`,
      availabilitySetId: "/as/one",
      updateDomain: d,
    }));
    items.push({ id: "u", availabilitySetId: "/as/one" });
    expect(availabilitySetRounds(items, byDomain(5)).get("/as/one")).toBe(6);
    expect(
      availabilitySetRounds(items, {
        ...byDomain(5),
        availabilitySetRule: "member",
        maxUnavailablePerAvailabilitySet: 3,
      }).get("/as/one"),
    ).toBe(3);
  });

  it("never has two update domains of a set down in one round, and every item is eventually started", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            set: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
            ud: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
          }),
          { maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 12 }),
        (specs, cap) => {
          let pending: SchedItem[] = specs.map((s, i) => ({
            id: `v${i}`,
            ...(s.set !== undefined ? { availabilitySetId: `/as/${s.set}` } : {}),
            ...(s.set !== undefined && s.ud !== undefined ? { updateDomain: s.ud } : {}),
          }));
          let rounds = 0;
          while (pending.length > 0 && rounds <= specs.length) {
            const round = scheduleNext(pending, byDomain(cap));
            expect(round.length).toBeGreaterThan(0);
            expect(round.length).toBeLessThanOrEqual(cap);
            const domains = new Map<string, Set<string>>();
            for (const i of round) {
              if (i.availabilitySetId === undefined) continue;
              const d = domains.get(i.availabilitySetId) ?? new Set<string>();
              d.add(i.updateDomain === undefined ? `vm:${i.id}` : String(i.updateDomain));
              domains.set(i.availabilitySetId, d);
            }
            for (const d of domains.values()) expect(d.size).toBe(1);
            const chosen = new Set(round);
            pending = pending.filter((i) => !chosen.has(i));
            rounds++;
          }
          expect(pending).toEqual([]);
        },
      ),
    );
  });
});

describe("planning by update domain", () => {
  const as1 = availabilitySet("web");
  const fleet = discovery({
    vms: [
      vm("web-0", { availabilitySetId: as1, platformUpdateDomain: 0 }),
      vm("web-1", { availabilitySetId: as1, platformUpdateDomain: 1 }),
      vm("web-2", { availabilitySetId: as1, platformUpdateDomain: 0 }),
      vm("web-3", { availabilitySetId: as1 }),
      vm("solo", { platformUpdateDomain: 3 }),
    ],
  });

  it("carries each set member's update domain into its entry and gives a member of unknown domain a reason", () => {
    const plan = buildPlan(fleet, options({ availabilitySetRule: "updateDomain" }));
    const byName = new Map(plan.entries.map((e) => [e.name, e] as const));
    expect(byName.get("web-0")?.updateDomain).toBe(0);
    expect(byName.get("web-1")?.updateDomain).toBe(1);
    expect(byName.get("web-3")?.updateDomain).toBeUndefined();
    expect(byName.get("web-3")?.availabilityNote).toMatch(/update domain unknown.*cycled alone/);
    // A VM outside any set has no domain to respect.
    expect(byName.get("solo")?.updateDomain).toBeUndefined();
    expect(plan.caps.availabilitySetRule).toBe("updateDomain");
  });

  it("keeps the default plan's caps and entries free of the rule", () => {
    const plan = buildPlan(fleet, options());
    expect(plan.caps.availabilitySetRule).toBeUndefined();
    expect(plan.entries.some((e) => e.availabilityNote !== undefined)).toBe(false);
  });

  it("keeps a set whole in one lane with room for its widest domain, the members of a domain next to each other", () => {
    const plan = buildPlan(fleet, options({ availabilitySetRule: "updateDomain", maxConcurrency: 4 }));
    const wave = plan.waves[plan.waves.length - 1];
    const lanes = wave?.batches ?? [];
    const laneOf = (name: string): number => lanes.findIndex((b) => b.items.some((id) => id.endsWith(`/${name}`)));
    const setLane = laneOf("web-0");
    expect(["web-1", "web-2", "web-3"].map(laneOf)).toEqual([setLane, setLane, setLane]);
    expect(lanes[setLane]?.share ?? 0).toBeGreaterThanOrEqual(2);
    const entries = (lanes[setLane]?.items ?? []).flatMap((id) =>
      plan.entries.filter((e) => resourceKey(e.resourceId) === resourceKey(id)),
    );
    const order = orderForCaps(entries, { ...plan.caps, maxConcurrency: lanes[setLane]?.share ?? 1 }).map(
      (e) => e.name,
    );
    expect(order.indexOf("web-2")).toBe(order.indexOf("web-0") + 1);
  });

  it("shows the rule, each member's domain and the member it cannot place in the plan's text", () => {
    const text = renderPlan(buildPlan(fleet, options({ availabilitySetRule: "updateDomain" })), true);
    expect(text).toMatch(/^Caps: 20 at once, one update domain per availability set, 5 per flexible scale set$/m);
    expect(text).toMatch(/Availability sets: rg-app\/web-3: update domain unknown/);
    expect(text).toMatch(/web-1 .*update domain 1/);
    expect(renderPlan(buildPlan(fleet, options()), true)).toMatch(/^Caps: 20 at once, 1 per availability set, /m);
  });

  it("takes the rule from a start body, one member by default, and refuses any other value", () => {
    expect(RemediationOptionsSchema.parse({}).availabilitySetRule).toBe("member");
    expect(RemediationOptionsSchema.parse({ availabilitySetRule: "updateDomain" }).availabilitySetRule).toBe(
      "updateDomain",
    );
    expect(RemediationOptionsSchema.safeParse({ availabilitySetRule: "faultDomain" }).success).toBe(false);
  });

  it("reads the update domain from the status listing it joins to the model", () => {
    const [joined] = joinVmListings(
      [vm("web-0", { availabilitySetId: as1, powerState: "unknown" })],
      [{ id: vm("web-0").id, powerState: "running", provisioningState: "Succeeded", platformUpdateDomain: 2 }],
    );
    expect(joined?.platformUpdateDomain).toBe(2);
    expect(joined?.powerState).toBe("running");
  });
});
