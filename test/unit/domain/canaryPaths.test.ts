import { describe, expect, it } from "vitest";
import { canaryReads, planResources } from "../../../src/domain/planResources";
import { pathsToProve, pathVerdict } from "../../../src/domain/canaryPaths";
import type { RouteTableInfo } from "../../../src/contracts/egress";
import { discovery, options, subnet, vm, vnet } from "./fixtures";

const rt: RouteTableInfo = {
  id: "/rt/fw",
  name: "fw",
  disableBgpRoutePropagation: false,
  routes: [{ name: "d", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualAppliance", nextHopIpAddress: "10.0.9.4" }],
};

function twoPaths(agent: boolean) {
  const v = vnet(
    "spoke",
    ["10.0.0.0/16"],
    [subnet("a", "10.0.1.0/24", { id: "/s/a" }), subnet("b", "10.0.2.0/24", { id: "/s/b", routeTableId: rt.id })],
  );
  const on = (name: string) => vm(name, { nicIds: [`/nic/${name}`], networkWatcherAgent: agent });
  return discovery({
    vms: [on("direct-1"), on("direct-2"), on("fw-1"), on("fw-2")],
    vnets: [v],
    nics: [
      { id: "/nic/direct-1", subnetIds: ["/s/a"] },
      { id: "/nic/direct-2", subnetIds: ["/s/a"] },
      { id: "/nic/fw-1", subnetIds: ["/s/b"] },
      { id: "/nic/fw-2", subnetIds: ["/s/b"] },
    ],
    routeTables: [rt],
  });
}

describe("canaries per egress path", () => {
  it("marks one canary on each path holding VMs to cycle", () => {
    const canaries = planResources(twoPaths(true), options())
      .filter((e) => e.canary)
      .map((e) => [e.name, e.egress?.key]);
    expect(canaries).toEqual([
      ["direct-1", "internet"],
      ["fw-1", "appliance:10.0.9.4"],
    ]);
  });

  it("reads candidates' extensions in turn across paths, all of them when there are several paths", () => {
    const reads = canaryReads(twoPaths(false), options());
    expect(reads.vmIds.map((id) => id.split("/").pop())).toEqual(["direct-1", "fw-1", "direct-2", "fw-2"]);
    expect(reads.wanted).toBe(4);
  });

  it("reads as it always did with one path: stop at canaryCount", () => {
    const d = discovery({ vms: [vm("a"), vm("b")] });
    expect(canaryReads(d, options({ canaryCount: 1 }))).toMatchObject({ wanted: 1 });
  });

  it("gives direct paths first, and a hub path blocked by its canary reads exempted here, blocked at the hop", () => {
    const groups = pathsToProve(planResources(twoPaths(true), options()));
    expect(groups.map((g) => g.path.direct)).toEqual([true, false]);
    const hub = groups[1]!;
    const v = pathVerdict(hub, { vmId: "x", name: "fw-1" }, { result: "unreachable", detail: "fw-1 could not reach" });
    expect(v).toMatchObject({ result: "blockedAtHop", resources: ["fw-1", "fw-2"] });
    expect(v.detail).toMatch(/^exempted here, blocked at appliance 10\.0\.9\.4 in VNet spoke in subscription /);
    expect(
      pathVerdict(groups[0]!, { vmId: "y", name: "direct-1" }, { result: "unreachable", detail: "no" }).result,
    ).toBe("unreachable");
    expect(pathVerdict(hub, undefined, undefined).result).toBe("noCanary");
  });
});
