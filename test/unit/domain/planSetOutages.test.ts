import { describe, expect, it } from "vitest";
import { buildPlan } from "../../../src/domain/planWaves";
import { renderPlan } from "../../../src/cli/render";
import type { VmInfo } from "../../../src/contracts/discovery";
import { TAGS, type RemediationOptionsInput } from "../../../src/contracts/options";
import { availabilitySet, discovery, options, vm } from "./fixtures";

const web = availabilitySet("avset-web");
const member = (name: string, overrides: Partial<VmInfo> = {}): VmInfo =>
  vm(name, { availabilitySetId: web, ...overrides });
// A standalone VM with the agent takes the canary's place, so the set's members share one wave.
const canary = vm("vm-canary", { networkWatcherAgent: true });

function planOf(vms: VmInfo[], opts: RemediationOptionsInput = {}): ReturnType<typeof buildPlan> {
  return buildPlan(discovery({ vms: [canary, ...vms] }), options(opts));
}

describe("availability sets the plan may take fully down", () => {
  it("names a set whose one running member is cycled while the others were already deallocated", () => {
    const plan = planOf([
      member("vm-a"),
      member("vm-b", { powerState: "deallocated" }),
      member("vm-c", { powerState: "stopped" }),
    ]);
    expect(plan.setOutages).toEqual([
      {
        availabilitySetId: web,
        name: "avset-web",
        resourceGroup: "rg-app",
        members: 3,
        notRunningBefore: 2,
        runningCycled: 1,
      },
    ]);
    expect(renderPlan(plan, false)).toContain(
      "Availability sets that may have no member running while cycled: rg-app/avset-web (its one running member cycled, 2 of 3 not running before the run)",
    );
  });

  it("names a set whose running members the per-set cap lets go down together in one wave", () => {
    const vms = [member("vm-a"), member("vm-b"), member("vm-c", { powerState: "deallocated" })];
    expect(planOf(vms, { maxUnavailablePerAvailabilitySet: 2 }).setOutages?.map((o) => o.runningCycled)).toEqual([2]);
    // One member at a time (the default) always leaves the other running.
    expect(planOf(vms).setOutages).toBeUndefined();
  });

  it("leaves out a set that keeps a running member: one it skips, or one in another wave", () => {
    const cap = { maxUnavailablePerAvailabilitySet: 5 };
    expect(planOf([member("vm-a"), member("vm-b", { tags: { [TAGS.skip]: "skip" } })], cap).setOutages).toBeUndefined();
    expect(
      planOf([member("vm-a", { tags: { [TAGS.wave]: "1" } }), member("vm-b", { tags: { [TAGS.wave]: "2" } })], cap)
        .setOutages,
    ).toBeUndefined();
  });

  it("by update domain, names a set whose running members share one domain and leaves out one spread over two", () => {
    const rule = { availabilitySetRule: "updateDomain" } as const;
    const one = [member("vm-a", { platformUpdateDomain: 0 }), member("vm-b", { platformUpdateDomain: 0 })];
    expect(planOf(one, rule).setOutages?.map((o) => o.name)).toEqual(["avset-web"]);
    const two = [member("vm-a", { platformUpdateDomain: 0 }), member("vm-b", { platformUpdateDomain: 1 })];
    expect(planOf(two, rule).setOutages).toBeUndefined();
  });
});
