/**
 * scenarios/update-domains.json under `availabilitySetRule: "updateDomain"`: an availability set's members go down one
 * update domain at a time, every member of a domain together, the next domain only once that one is back — as Azure's
 * planned maintenance takes a set (Learn, "Availability sets overview"). Checked on the simulator's own timeline.
 */
import { describe, expect, it } from "vitest";
import type { RemediationResult } from "../../src/contracts/remediation";
import type { ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { outcome, run } from "./checkedRuns";

const SCENARIO = "scenarios/update-domains.json";

/** Each VM's stretch out of `running` in the run (first to last state change), by name. */
function downTime(product: ProductHost, result: RemediationResult, name: string): { start: number; end: number } {
  const changes = product.sim.timeline(outcome(result, name).resourceId);
  return { start: changes[0]?.at ?? Number.NaN, end: changes[changes.length - 1]?.at ?? Number.NaN };
}
const overlap = (a: { start: number; end: number }, b: { start: number; end: number }): boolean =>
  a.start < b.end && b.start < a.end;
const seconds = (r: RemediationResult): number =>
  (Date.parse(r.summary.endedAt ?? "") - Date.parse(r.summary.startedAt)) / 1000;

describe(SCENARIO, () => {
  it("takes a set's update domain down together and its next domain after, and is faster than one member at a time", async () => {
    const byDomain = await run({ scenario: SCENARIO, options: { availabilitySetRule: "updateDomain" } });
    const { product, result } = byDomain;
    expect(result.summary.status).toBe("completed");
    expect(result.outcomes.filter((o) => o.kind === "vm" && o.outcome !== "cycled").map((o) => o.name)).toEqual([]);

    // The plan says the rule and each member's domain (five by default; avset-db declares two).
    const plan = result.plan;
    expect(plan?.caps.availabilitySetRule).toBe("updateDomain");
    const domainOf = new Map((plan?.entries ?? []).map((e) => [e.name, e.updateDomain] as const));
    expect(["web-00", "web-01", "web-02", "web-03", "web-04", "web-05", "web-06"].map((n) => domainOf.get(n))).toEqual([
      0, 1, 2, 3, 4, 0, 1,
    ]);
    expect(["db-00", "db-01", "db-02", "db-03"].map((n) => domainOf.get(n))).toEqual([0, 1, 0, 1]);
    expect(domainOf.get("app-01")).toBeUndefined();

    // Members of one domain were down at the same time; members of different domains of a set never were.
    const t = (n: string): { start: number; end: number } => downTime(product, result, n);
    expect(overlap(t("web-00"), t("web-05"))).toBe(true);
    expect(overlap(t("db-00"), t("db-02"))).toBe(true);
    for (const [a, b] of [
      ["web-00", "web-01"],
      ["web-05", "web-06"],
      ["web-02", "web-03"],
      ["db-00", "db-01"],
      ["db-02", "db-03"],
    ] as const)
      expect(overlap(t(a), t(b))).toBe(false);

    // The checker reads the rule from the run's options: judged by the default rule, this run broke it.
    const asIfByMember = {
      ...result,
      input: { ...result.input, options: { ...result.input.options, availabilitySetRule: "member" as const } },
    };
    expect(
      checkInvariants(product.sim, asIfByMember, product.scenario).filter((v) => v.invariant === 3).length,
    ).toBeGreaterThan(0);

    // The same fleet one member at a time: never two members of a set down together, and slower.
    const byMember = await run({ scenario: SCENARIO });
    expect(byMember.result.plan?.caps.availabilitySetRule).toBeUndefined();
    expect(
      overlap(
        downTime(byMember.product, byMember.result, "web-00"),
        downTime(byMember.product, byMember.result, "web-05"),
      ),
    ).toBe(false);
    expect(seconds(result)).toBeLessThan(seconds(byMember.result));
  });
});
