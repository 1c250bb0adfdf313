import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { egressChanges, egressOfSubnet, egressPaths } from "../../../src/domain/egress";
import { parseIpv4, selectRoute, type CandidateRoute, type RouteSource } from "../../../src/domain/routeSelection";
import type { RouteTableInfo } from "../../../src/contracts/egress";
import { discovery, scaleSet, subnet, vm, vnet } from "./fixtures";

const HUB_SUB = "11111111-2222-3333-4444-555555555555";
const HUB = `/subscriptions/${HUB_SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/hub-vnet`;

function table(routes: RouteTableInfo["routes"], disableBgpRoutePropagation = false): RouteTableInfo {
  return {
    id: "/subscriptions/x/resourceGroups/rg-net/providers/Microsoft.Network/routeTables/rt-spoke",
    name: "rt-spoke",
    disableBgpRoutePropagation,
    routes,
  };
}

const spoke = (peerings: Parameters<typeof vnet>[3] = {}) =>
  vnet("spoke", ["10.1.0.0/16"], [subnet("app", "10.1.1.0/24")], peerings);
const hubPeering = (useRemoteGateways: boolean) => ({
  peerings: [{ name: "to-hub", remoteVnetId: HUB, remoteAddressPrefixes: ["10.100.0.0/16"], useRemoteGateways }],
});

describe("route selection (Learn: Virtual network traffic routing)", () => {
  const ip = (s: string) => parseIpv4(s) as number;

  it("takes the longest matching prefix whatever its source", () => {
    const routes: CandidateRoute[] = [
      { addressPrefix: "0.0.0.0/0", nextHopType: "VirtualAppliance", source: "user" },
      { addressPrefix: "20.0.0.0/8", nextHopType: "Internet", source: "system" },
    ];
    expect(selectRoute(ip("20.0.0.1"), routes)?.nextHopType).toBe("Internet");
    expect(selectRoute(ip("52.0.0.1"), routes)?.nextHopType).toBe("VirtualAppliance");
  });

  it("prefers a user route over BGP over system for the same prefix", () => {
    const all: CandidateRoute[] = [
      { addressPrefix: "0.0.0.0/0", nextHopType: "Internet", source: "system" },
      { addressPrefix: "0.0.0.0/0", nextHopType: "VirtualNetworkGateway", source: "bgp" },
      { addressPrefix: "0.0.0.0/0", nextHopType: "VirtualAppliance", source: "user" },
    ];
    expect(selectRoute(ip("20.0.0.1"), all)?.source).toBe("user");
    expect(
      selectRoute(
        ip("20.0.0.1"),
        all.filter((r) => r.source !== "user"),
      )?.source,
    ).toBe("bgp");
  });

  it("returns nothing when no prefix holds the address", () => {
    expect(
      selectRoute(ip("20.0.0.1"), [{ addressPrefix: "10.0.0.0/8", nextHopType: "VnetLocal", source: "system" }]),
    ).toBeUndefined();
  });

  const source = fc.constantFrom<RouteSource>("user", "bgp", "system");
  const route = fc.record({
    length: fc.integer({ min: 0, max: 32 }),
    source,
    hop: fc.constantFrom("Internet", "VirtualAppliance", "None"),
  });
  const rank: Record<RouteSource, number> = { user: 0, bgp: 1, system: 2 };

  it("picks a matching route no other matching route beats, in any order (property)", () => {
    fc.assert(
      fc.property(
        fc.array(route, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (specs, address) => {
          // Every prefix is taken around the destination, so each matches; lengths and sources vary.
          const routes: CandidateRoute[] = specs.map((s, i) => {
            const size = 2 ** (32 - s.length);
            const base = Math.floor(address / size) * size;
            const text = `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${s.length}`;
            return { addressPrefix: text, nextHopType: s.hop, source: s.source, name: `r${i}` };
          });
          const chosen = selectRoute(address, routes);
          expect(chosen).toBeDefined();
          const len = (r: CandidateRoute) => Number(r.addressPrefix.split("/")[1]);
          for (const r of routes) {
            const better =
              len(r) > len(chosen as CandidateRoute) ||
              (len(r) === len(chosen as CandidateRoute) && rank[r.source] < rank[(chosen as CandidateRoute).source]);
            expect(better).toBe(false);
          }
          expect(selectRoute(address, [...routes].reverse())?.addressPrefix).toBe(chosen?.addressPrefix);
        },
      ),
    );
  });
});

describe("egress path of a subnet, per next hop", () => {
  it("is the Internet, direct, with only system routes", () => {
    const v = spoke();
    const path = egressOfSubnet({ vnet: v, subnet: v.subnets[0]! });
    expect(path).toMatchObject({ key: "internet", kind: "internet", direct: true, source: "system" });
  });

  it("is the NAT gateway, direct, when one is associated and the Internet route wins", () => {
    const nat = "/subscriptions/x/resourceGroups/rg-net/providers/Microsoft.Network/natGateways/nat-egress";
    const v = vnet("spoke", ["10.1.0.0/16"], [subnet("app", "10.1.1.0/24", { natGatewayId: nat })]);
    expect(egressOfSubnet({ vnet: v, subnet: v.subnets[0]! })).toMatchObject({
      kind: "natGateway",
      direct: true,
      hopResourceId: nat,
    });
  });

  it("is the appliance in the peered hub, named with its subscription, for a user default route to a VirtualAppliance", () => {
    const v = spoke(hubPeering(false));
    const path = egressOfSubnet({
      vnet: v,
      subnet: v.subnets[0]!,
      routeTable: table([
        {
          name: "default-to-fw",
          addressPrefix: "0.0.0.0/0",
          nextHopType: "VirtualAppliance",
          nextHopIpAddress: "10.100.0.4",
        },
      ]),
    });
    expect(path).toMatchObject({
      key: "appliance:10.100.0.4",
      kind: "virtualAppliance",
      direct: false,
      source: "user",
      hopResourceId: HUB,
      hopSubscriptionId: HUB_SUB,
      routeName: "default-to-fw",
    });
    expect(path.hop).toContain("hub-vnet");
  });

  it("treats VirtualApplianceEcmp as an appliance", () => {
    const v = spoke();
    const path = egressOfSubnet({
      vnet: v,
      subnet: v.subnets[0]!,
      routeTable: table([
        { name: "ecmp", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualApplianceEcmp", nextHopIpAddress: "10.1.0.4" },
      ]),
    });
    expect(path).toMatchObject({ kind: "virtualAppliance", hopResourceId: v.id });
  });

  it("is the VNet's gateway for forced tunnelling (user default route to VirtualNetworkGateway)", () => {
    const v = spoke();
    const path = egressOfSubnet({
      vnet: v,
      subnet: v.subnets[0]!,
      routeTable: table([{ name: "tunnel", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualNetworkGateway" }]),
    });
    expect(path).toMatchObject({ kind: "virtualNetworkGateway", direct: false, hopResourceId: v.id });
  });

  it("is the hub's gateway for forced tunnelling through a peering with useRemoteGateways", () => {
    const v = spoke(hubPeering(true));
    const path = egressOfSubnet({
      vnet: v,
      subnet: v.subnets[0]!,
      routeTable: table([{ name: "tunnel", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualNetworkGateway" }]),
    });
    expect(path).toMatchObject({ key: `gateway:${HUB.toLowerCase()}`, hopSubscriptionId: HUB_SUB, basis: "routes" });
  });

  it("says a peering with useRemoteGateways may bring a BGP default route, unless propagation is off", () => {
    const v = spoke(hubPeering(true));
    expect(egressOfSubnet({ vnet: v, subnet: v.subnets[0]! })).toMatchObject({
      kind: "virtualNetworkGateway",
      source: "bgp",
      basis: "possible",
      direct: false,
    });
    expect(egressOfSubnet({ vnet: v, subnet: v.subnets[0]!, routeTable: table([], true) })).toMatchObject({
      kind: "internet",
      direct: true,
    });
  });

  it("is dropped for a default route to None", () => {
    const v = spoke();
    expect(
      egressOfSubnet({
        vnet: v,
        subnet: v.subnets[0]!,
        routeTable: table([{ name: "drop", addressPrefix: "0.0.0.0/0", nextHopType: "None" }]),
      }),
    ).toMatchObject({ kind: "none", direct: false });
  });

  it("keeps the Internet when the user route covers only private space", () => {
    const v = spoke();
    const path = egressOfSubnet({
      vnet: v,
      subnet: v.subnets[0]!,
      routeTable: table([{ name: "onprem", addressPrefix: "192.168.0.0/16", nextHopType: "VirtualNetworkGateway" }]),
    });
    expect(path.kind).toBe("internet");
  });
});

describe("egress paths of a discovery", () => {
  it("follows VM → NIC → subnet → route table, and a scale set's network profile subnet", () => {
    const rt = table([
      { name: "fw", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualAppliance", nextHopIpAddress: "10.100.0.4" },
    ]);
    const v = vnet(
      "spoke",
      ["10.1.0.0/16"],
      [
        subnet("app", "10.1.1.0/24", { id: "/vnet/spoke/subnets/app" }),
        subnet("hubbed", "10.1.2.0/24", { id: "/vnet/spoke/subnets/hubbed", routeTableId: rt.id }),
      ],
      hubPeering(false),
    );
    const d = discovery({
      vms: [vm("direct", { nicIds: ["/nic/direct"] }), vm("hubbed", { nicIds: ["/nic/hubbed"] }), vm("unlisted")],
      scaleSets: [scaleSet("ss", { subnetIds: ["/vnet/spoke/subnets/hubbed"] })],
      vnets: [v],
      nics: [
        { id: "/nic/direct", subnetIds: ["/vnet/spoke/subnets/app"] },
        { id: "/nic/hubbed", subnetIds: ["/vnet/spoke/subnets/hubbed"] },
      ],
      routeTables: [rt],
    });
    const paths = egressPaths(d);
    const of = (id: string) => paths.get(id.toLowerCase());
    expect(of(d.vms[0]!.id)?.kind).toBe("internet");
    expect(of(d.vms[1]!.id)?.kind).toBe("virtualAppliance");
    expect(of(d.vms[2]!.id)).toMatchObject({ kind: "internet", basis: "assumed" });
    expect(of(d.scaleSets[0]!.id)?.key).toBe("appliance:10.100.0.4");
  });
});

describe("re-verification: egress path changed since the run", () => {
  const rt = table([
    { name: "fw", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualAppliance", nextHopIpAddress: "10.100.0.4" },
  ]);
  const build = (routeTableId: string | undefined) => {
    const v = vnet(
      "spoke",
      ["10.1.0.0/16"],
      [subnet("app", "10.1.1.0/24", { id: "/vnet/spoke/subnets/app", routeTableId })],
      hubPeering(false),
    );
    return discovery({
      vms: [vm("app-01", { nicIds: ["/nic/app-01"] })],
      vnets: [v],
      nics: [{ id: "/nic/app-01", subnetIds: ["/vnet/spoke/subnets/app"] }],
      routeTables: [rt],
    });
  };
  const recordOf = (d: ReturnType<typeof build>) =>
    [...egressPaths(d)].map(([id, path]) => ({ resourceId: id, name: "app-01", path }));

  it("notices a route table added since the run and says port 25 now rests on the hub's appliance", () => {
    const changes = egressChanges(recordOf(build(undefined)), egressPaths(build(rt.id)));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      name: "app-01",
      before: { kind: "internet" },
      after: { kind: "virtualAppliance" },
    });
    expect(changes[0]?.meaning).toContain("no longer rests on this subscription's exemption");
    expect(changes[0]?.meaning).toContain(HUB_SUB);
  });

  it("notices the route removed again and says the exemption now governs port 25", () => {
    const [change] = egressChanges(recordOf(build(rt.id)), egressPaths(build(undefined)));
    expect(change?.meaning).toContain("the exemption now governs its port 25");
  });

  it("reports nothing when the path is the same, or when the subnet can no longer be read", () => {
    expect(egressChanges(recordOf(build(rt.id)), egressPaths(build(rt.id)))).toEqual([]);
    const unread = discovery({
      vms: [vm("app-01", { nicIds: ["/nic/gone"] })],
      vnets: build(rt.id).vnets,
      nics: [],
      routeTables: [rt],
    });
    expect(egressChanges(recordOf(build(undefined)), egressPaths(unread))).toEqual([]);
  });
});
