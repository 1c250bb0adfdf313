import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { VmInfo } from "../../../src/contracts/discovery";
import { TEMP_SUBNET_PREFIX } from "../../../src/contracts/options";
import type { PowerState } from "../../../src/contracts/power";
import { findStragglers, findTemporarySubnets } from "../../../src/domain/stragglers";
import { discovery, scaleSet, subnet, vm, vnet } from "./fixtures";

const EFFECTIVE = "2026-03-02T09:00:00Z";
const BEFORE = "2026-02-20T08:00:00Z";
const AFTER = "2026-03-03T08:10:00Z";

function lastRun(...vms: VmInfo[]) {
  return { exemptionEffectiveAt: EFFECTIVE, resourceIds: vms.map((v) => v.id) };
}

describe("findStragglers: VMs", () => {
  it("flags a running VM the run knew that was last started before the exemption", () => {
    const a = vm("a", { lastStartTime: BEFORE });
    expect(findStragglers(discovery({ vms: [a] }), lastRun(a))).toEqual([
      { resourceId: a.id, kind: "vm", name: "a", resourceGroup: "rg-app", reason: "notStartedSinceRun", since: BEFORE },
    ]);
  });

  it("flags a running VM the run never saw as createdAfterRun", () => {
    const known = vm("known", { lastStartTime: AFTER });
    const fresh = vm("fresh", { lastStartTime: BEFORE });
    expect(findStragglers(discovery({ vms: [known, fresh] }), lastRun(known)).map((s) => [s.name, s.reason])).toEqual([["fresh", "createdAfterRun"]]);
  });

  it("flags a running VM whose last start is unknown, without a since", () => {
    const a = vm("a");
    const [s] = findStragglers(discovery({ vms: [a] }), lastRun(a));
    expect(s?.reason).toBe("notStartedSinceRun");
    expect(s).not.toHaveProperty("since");
  });

  it("leaves a VM started since the exemption alone, including one started at that very moment", () => {
    const a = vm("a", { lastStartTime: AFTER });
    const b = vm("b", { lastStartTime: EFFECTIVE });
    expect(findStragglers(discovery({ vms: [a, b] }), lastRun(a, b))).toEqual([]);
  });

  it.each(["stopped", "deallocated", "starting", "stopping", "deallocating", "unknown"] as const)(
    "ignores a %s VM: only running machines carry the old policy on the wire",
    (powerState) => {
      const a = vm("a", { powerState, lastStartTime: BEFORE });
      expect(findStragglers(discovery({ vms: [a] }), lastRun(a))).toEqual([]);
    },
  );

  it("matches the run's outcomes case-insensitively", () => {
    const a = vm("a", { lastStartTime: BEFORE });
    const run = { exemptionEffectiveAt: EFFECTIVE, resourceIds: [a.id.toLowerCase()] };
    expect(findStragglers(discovery({ vms: [a] }), run)[0]?.reason).toBe("notStartedSinceRun");
  });

  it("lists each straggler once, ordered by resource id", () => {
    const z = vm("z", { lastStartTime: BEFORE });
    const a = vm("a", { lastStartTime: BEFORE });
    const names = findStragglers(discovery({ vms: [z, a, z] }), lastRun()).map((s) => s.name);
    expect(names).toEqual(["a", "z"]);
  });

  it("refuses an exemption time that is not a time", () => {
    expect(() => findStragglers(discovery(), { exemptionEffectiveAt: "yesterday", resourceIds: [] })).toThrow(/not a time/);
  });
});

describe("findStragglers: uniform scale sets", () => {
  const inst = (instanceId: string, powerState: PowerState, lastStartTime?: string) => ({
    instanceId,
    powerState,
    provisioningState: "Succeeded",
    ...(lastStartTime !== undefined ? { lastStartTime } : {}),
  });

  it("flags a scale set once when any running instance is stale, since its oldest known start", () => {
    const ss = scaleSet("ss", { instances: [inst("0", "running", AFTER), inst("1", "running", BEFORE), inst("2", "running", "2026-01-01T00:00:00Z")] });
    expect(findStragglers(discovery({ scaleSets: [ss] }), { exemptionEffectiveAt: EFFECTIVE, resourceIds: [ss.id] })).toEqual([
      { resourceId: ss.id, kind: "scaleSet", name: "ss", resourceGroup: "rg-app", reason: "notStartedSinceRun", since: "2026-01-01T00:00:00Z" },
    ]);
  });

  it("leaves a scale set alone when its stale instances are not running", () => {
    const ss = scaleSet("ss", { instances: [inst("0", "running", AFTER), inst("1", "deallocated", BEFORE), inst("2", "stopped")] });
    expect(findStragglers(discovery({ scaleSets: [ss] }), { exemptionEffectiveAt: EFFECTIVE, resourceIds: [] })).toEqual([]);
  });

  it("flags a scale set created after the run whose instance start is unknown", () => {
    const ss = scaleSet("new-ss", { instances: [inst("0", "running")] });
    const [s] = findStragglers(discovery({ scaleSets: [ss] }), { exemptionEffectiveAt: EFFECTIVE, resourceIds: [] });
    expect(s?.reason).toBe("createdAfterRun");
    expect(s).not.toHaveProperty("since");
  });
});

describe("findStragglers: property", () => {
  const power = fc.constantFrom<PowerState>("running", "stopped", "deallocated", "starting", "unknown");
  const time = fc.option(fc.integer({ min: Date.parse("2026-01-01T00:00:00Z"), max: Date.parse("2026-04-01T00:00:00Z") }), { nil: undefined });

  it("lists exactly the running VMs started before the exemption or at an unknown time, with the right reason", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ power, time, known: fc.boolean() }), { maxLength: 30 }), (specs) => {
        const vms = specs.map((s, i) =>
          vm(`vm${String(i).padStart(2, "0")}`, { powerState: s.power, ...(s.time !== undefined ? { lastStartTime: new Date(s.time).toISOString() } : {}) }),
        );
        const known = vms.filter((_, i) => specs[i]?.known === true).map((v) => v.id);
        const out = findStragglers(discovery({ vms }), { exemptionEffectiveAt: EFFECTIVE, resourceIds: known });
        const expected = specs
          .map((s, i) => ({ s, v: vms[i] }))
          .filter(({ s }) => s.power === "running" && (s.time === undefined || s.time < Date.parse(EFFECTIVE)))
          .map(({ s, v }) => [v?.name, s.known ? "notStartedSinceRun" : "createdAfterRun"]);
        expect(out.map((s) => [s.name, s.reason])).toEqual(expected);
      }),
    );
  });
});

describe("findTemporarySubnets", () => {
  it("finds the subnets named with the temporary prefix, with their ids, and nothing else", () => {
    const leaked = `${TEMP_SUBNET_PREFIX}0badf00d`;
    const d = discovery({
      vnets: [
        vnet("vn1", ["10.0.0.0/16"], [subnet("app", "10.0.0.0/24"), subnet(leaked, "10.0.9.0/29")]),
        vnet("vn2", ["10.1.0.0/16"], [subnet("port25-other", "10.1.0.0/24"), subnet("Port25-Temp-upper", "10.1.1.0/29")]),
      ],
    });
    const vn1 = d.vnets[0]?.id ?? "";
    expect(findTemporarySubnets(d)).toEqual([{ vnetId: vn1, vnetName: "vn1", subnetName: leaked, subnetId: `${vn1}/subnets/${leaked}` }]);
  });

  it("finds none in a subscription without VNets", () => {
    expect(findTemporarySubnets(discovery())).toEqual([]);
  });
});
