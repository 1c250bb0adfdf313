import { describe, expect, it } from "vitest";
import { EffectiveRouteSchema, type EffectiveRoute, type EgressPath } from "../../../src/contracts/egress";
import { confirmEgress, winningDefaultRoute } from "../../../src/domain/egressConfirm";

function route(source: string, state: string, prefix: string, nextHopType: string, ip?: string): EffectiveRoute {
  return EffectiveRouteSchema.parse({
    source,
    state,
    addressPrefix: [prefix],
    nextHopType,
    nextHopIpAddress: ip === undefined ? [] : [ip],
  });
}

const SYSTEM = [
  route("Default", "Active", "10.20.0.0/16", "VnetLocal"),
  route("Default", "Active", "10.100.0.0/16", "VNetPeering"),
];
const HUB =
  "/subscriptions/0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f/resourceGroups/rg-connectivity/providers/Microsoft.Network/virtualNetworks/vnet-hub";
const POSSIBLE: EgressPath = {
  key: `gateway:${HUB.toLowerCase()}`,
  kind: "virtualNetworkGateway",
  direct: false,
  source: "bgp",
  basis: "possible",
  hop: "the gateway of peered VNet vnet-hub (useRemoteGateways), if it advertises a default route",
  hopResourceId: HUB,
};
const APPLIANCE: EgressPath = {
  key: "appliance:10.100.0.4",
  kind: "virtualAppliance",
  direct: false,
  source: "user",
  basis: "routes",
  hop: "appliance 10.100.0.4 in VNet vnet-hub",
  nextHopIpAddress: "10.100.0.4",
};
const DIRECT: EgressPath = {
  key: "internet",
  kind: "internet",
  direct: true,
  source: "system",
  basis: "routes",
  hop: "the Internet",
};

describe("the winning default route of a NIC's effective routes", () => {
  it("ignores Invalid routes, however they rank", () => {
    const w = winningDefaultRoute([
      ...SYSTEM,
      route("User", "Invalid", "0.0.0.0/0", "VirtualAppliance", "10.100.0.4"),
      route("Default", "Active", "0.0.0.0/0", "Internet"),
    ]);
    expect(w?.nextHopType).toBe("Internet");
  });

  it("takes the longest prefix holding a public address: a split default route beats 0.0.0.0/0", () => {
    const w = winningDefaultRoute([
      route("Default", "Active", "0.0.0.0/0", "Internet"),
      route("VirtualNetworkGateway", "Active", "0.0.0.0/1", "VirtualNetworkGateway", "10.1.0.4"),
    ]);
    expect([w?.nextHopType, w?.addressPrefix]).toEqual(["VirtualNetworkGateway", "0.0.0.0/1"]);
  });

  it("prefers a user route over a BGP route over a system route for the same prefix when several are Active", () => {
    const routes = [
      route("Default", "Active", "0.0.0.0/0", "Internet"),
      route("VirtualNetworkGateway", "Active", "0.0.0.0/0", "VirtualNetworkGateway"),
      route("User", "Active", "0.0.0.0/0", "VirtualAppliance", "10.100.0.4"),
    ];
    expect(winningDefaultRoute(routes)?.source).toBe("user");
    expect(winningDefaultRoute(routes.slice(0, 2))?.source).toBe("bgp");
  });

  it("finds none when no Active route holds a public address", () => {
    expect(winningDefaultRoute(SYSTEM)).toBeUndefined();
  });
});

describe("confirming a canary's egress path from its effective routes", () => {
  it("confirms an appliance path whose user default route names the same address", () => {
    const { path, confirmation } = confirmEgress(APPLIANCE, [
      ...SYSTEM,
      route("Default", "Invalid", "0.0.0.0/0", "Internet"),
      route("User", "Active", "0.0.0.0/0", "VirtualAppliance", "10.100.0.4"),
    ]);
    expect(confirmation.status).toBe("confirmed");
    expect(path).toEqual({ ...APPLIANCE, basis: "effectiveRoutes" });
  });

  it("keeps the computed path and names both when the effective routes send traffic elsewhere", () => {
    const { path, confirmation } = confirmEgress(APPLIANCE, [
      ...SYSTEM,
      route("User", "Active", "0.0.0.0/0", "VirtualAppliance", "10.100.0.5"),
    ]);
    expect(path).toEqual(APPLIANCE);
    expect(confirmation.status).toBe("disagrees");
    expect(confirmation.detail).toContain("VirtualAppliance 10.100.0.5");
    expect(confirmation.detail).toContain("appliance 10.100.0.4 in VNet vnet-hub");
  });

  it("settles a spoke using remote gateways as force-tunnelled when the hub's gateway advertises the default route", () => {
    const { path, confirmation } = confirmEgress(POSSIBLE, [
      ...SYSTEM,
      route("Default", "Invalid", "0.0.0.0/0", "Internet"),
      route("VirtualNetworkGateway", "Active", "0.0.0.0/0", "VirtualNetworkGateway"),
    ]);
    expect(confirmation.status).toBe("confirmed");
    expect(path).toMatchObject({
      kind: "virtualNetworkGateway",
      direct: false,
      basis: "effectiveRoutes",
      source: "bgp",
      key: POSSIBLE.key,
    });
    expect(path.hop).not.toContain("if it advertises");
  });

  it("settles a spoke using remote gateways as direct when no default route is learnt", () => {
    const { path, confirmation } = confirmEgress(POSSIBLE, [
      ...SYSTEM,
      route("Default", "Active", "0.0.0.0/0", "Internet"),
    ]);
    expect(confirmation.status).toBe("confirmed");
    expect(path).toEqual({
      key: "internet",
      kind: "internet",
      direct: true,
      source: "system",
      basis: "effectiveRoutes",
      hop: "the Internet",
    });
  });

  it("flags a direct path the effective routes force-tunnel", () => {
    const { path, confirmation } = confirmEgress(DIRECT, [
      ...SYSTEM,
      route("VirtualNetworkGateway", "Active", "0.0.0.0/0", "VirtualNetworkGateway"),
    ]);
    expect(path).toEqual(DIRECT);
    expect(confirmation.status).toBe("disagrees");
  });
});
