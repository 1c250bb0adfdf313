/**
 * Where a simulated VM's traffic to the internet goes, from its subnet's routes, as Azure routes it (Learn "Virtual
 * network traffic routing"): system routes (the VNet's prefixes, peered prefixes, 0.0.0.0/0 → Internet), user routes
 * of the subnet's route table, and a default route a peered hub's gateway advertises over BGP when the peering uses
 * remote gateways; the longest prefix wins, then user over BGP over system. Kept apart from the product's own
 * routing code on purpose: the simulator is the product's test, not its copy.
 */
import { contains, parseCidr, type Cidr } from "./cidr";
import type { Scenario } from "./scenario";

type Vnet = Scenario["vnets"][number];
type Gateway = NonNullable<Vnet["gateway"]>;
type SimNextHop = Scenario["nextHops"][number];

interface SimRoute {
  name: string;
  addressPrefix: string;
  nextHopType: string;
  nextHopIpAddress?: string | undefined;
  /** As effectiveRouteTable names the source: Default (system), User, VirtualNetworkGateway (BGP). */
  source: "Default" | "User" | "VirtualNetworkGateway";
}

export type SimEgress =
  | { kind: "internet"; natGateway?: string }
  | { kind: "appliance"; address: string; at?: SimNextHop }
  | { kind: "gateway"; vnetName: string; gateway: Gateway | undefined }
  | { kind: "none"; route: string };

/** The address internet-bound routes are judged for (outside every private range). */
const PUBLIC: Cidr = { base: 0x14000001, prefixLength: 32, size: 1 };
const RANK = { User: 0, VirtualNetworkGateway: 1, Default: 2 } as const;

interface SubnetRef {
  vnet: Vnet;
  subnet: Vnet["subnets"][number];
}

/** The subnet a "vnet/subnet" reference names. */
export function findSubnet(scenario: Scenario, ref: string | undefined): SubnetRef | undefined {
  if (ref === undefined) return undefined;
  const [vnetName, subnetName] = ref.toLowerCase().split("/");
  const vnet = scenario.vnets.find((v) => v.name.toLowerCase() === vnetName);
  const subnet = vnet?.subnets.find((s) => s.name.toLowerCase() === subnetName);
  return vnet === undefined || subnet === undefined ? undefined : { vnet, subnet };
}

/** Every route of the subnet, the ones effectiveRouteTable lists (none marked Invalid here: that is the selection's job). */
export function routesOf(scenario: Scenario, { vnet, subnet }: SubnetRef): SimRoute[] {
  const table =
    subnet.routeTable === undefined
      ? undefined
      : scenario.routeTables.find((t) => t.name.toLowerCase() === subnet.routeTable?.toLowerCase());
  const routes: SimRoute[] = [
    ...vnet.addressPrefixes.map((p) => ({
      name: "",
      addressPrefix: p,
      nextHopType: "VnetLocal",
      source: "Default" as const,
    })),
    ...(vnet.peerings ?? []).flatMap((peer) =>
      peer.remoteAddressPrefixes.map((p) => ({
        name: "",
        addressPrefix: p,
        nextHopType: "VNetPeering",
        source: "Default" as const,
      })),
    ),
    { name: "", addressPrefix: "0.0.0.0/0", nextHopType: "Internet", source: "Default" },
  ];
  const hub = (vnet.peerings ?? []).find((p) => p.useRemoteGateways);
  if (hub?.remoteGateway?.advertisesDefaultRoute === true && table?.disableBgpRoutePropagation !== true) {
    routes.push({
      name: "",
      addressPrefix: "0.0.0.0/0",
      nextHopType: "VirtualNetworkGateway",
      source: "VirtualNetworkGateway",
    });
  }
  for (const r of table?.routes ?? []) {
    routes.push({
      name: r.name,
      addressPrefix: r.addressPrefix,
      nextHopType: r.nextHopType,
      nextHopIpAddress: r.nextHopIpAddress,
      source: "User",
    });
  }
  return routes;
}

/** The route that carries internet-bound traffic, or undefined when none matches. */
function activeInternetRoute(routes: readonly SimRoute[]): SimRoute | undefined {
  let best: { r: SimRoute; len: number } | undefined;
  for (const r of routes) {
    const c = parseCidr(r.addressPrefix);
    if (typeof c === "string" || !contains(c, PUBLIC)) continue;
    if (
      best === undefined ||
      c.prefixLength > best.len ||
      (c.prefixLength === best.len && RANK[r.source] < RANK[best.r.source])
    )
      best = { r, len: c.prefixLength };
  }
  return best?.r;
}

/** The egress of a subnet (undefined subnet: a VM declared without one routes by system routes alone). */
export function egressOf(scenario: Scenario, ref: SubnetRef | undefined): SimEgress {
  if (ref === undefined) return { kind: "internet" };
  const route = activeInternetRoute(routesOf(scenario, ref));
  switch (route?.nextHopType) {
    case "Internet":
      return ref.subnet.natGateway !== undefined
        ? { kind: "internet", natGateway: ref.subnet.natGateway }
        : { kind: "internet" };
    case "VirtualAppliance":
    case "VirtualApplianceEcmp": {
      const address = route.nextHopIpAddress ?? "";
      const at = scenario.nextHops.find((h) => h.address === address);
      return at === undefined ? { kind: "appliance", address } : { kind: "appliance", address, at };
    }
    case "VirtualNetworkGateway": {
      const hub = (ref.vnet.peerings ?? []).find((p) => p.useRemoteGateways);
      if (hub !== undefined)
        return {
          kind: "gateway",
          vnetName: hub.remoteVirtualNetworkId.split("/").pop() ?? "",
          gateway: hub.remoteGateway,
        };
      return { kind: "gateway", vnetName: ref.vnet.name, gateway: ref.vnet.gateway };
    }
    default:
      return { kind: "none", route: route === undefined ? "(no route)" : route.name };
  }
}

/**
 * A subnet's effective routes as NetworkInterfaces_GetEffectiveRouteTable lists them (network.json
 * `EffectiveRoute`: source Default/User/VirtualNetworkGateway, state Active/Invalid, addressPrefix and
 * nextHopIpAddress as lists). For each prefix one route is Active, the one Azure uses (user over BGP over system,
 * Learn "Virtual network traffic routing"); the others for the same prefix are listed Invalid, as Azure lists a
 * system route a user route overrides. Routes of different prefixes all stay Active: the longest match is picked
 * per packet.
 */
export function effectiveRoutesOf(routes: readonly SimRoute[]): unknown[] {
  const winner = new Map<string, SimRoute>();
  for (const r of routes) {
    const best = winner.get(r.addressPrefix);
    if (best === undefined || RANK[r.source] < RANK[best.source]) winner.set(r.addressPrefix, r);
  }
  return routes.map((r) => ({
    ...(r.name !== "" ? { name: r.name } : {}),
    disableBgpRoutePropagation: false,
    source: r.source,
    state: winner.get(r.addressPrefix) === r ? "Active" : "Invalid",
    addressPrefix: [r.addressPrefix],
    nextHopIpAddress: r.nextHopIpAddress === undefined ? [] : [r.nextHopIpAddress],
    nextHopType: r.nextHopType,
  }));
}
