/**
 * Each VM's egress path, from its subnet's routes (Learn "Virtual network traffic routing",
 * https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview): every subnet has system routes
 * (its VNet's prefixes → VnetLocal, peered prefixes → VNetPeering, 0.0.0.0/0 → Internet); a route table associated
 * with the subnet adds user routes; a gateway adds routes learnt over BGP. Azure picks the longest prefix that
 * matches, and for equal prefixes a user route over a BGP route over a system route. The port-25 exemption applies
 * "only to VM traffic that is routed directly to the internet" (Learn "Troubleshoot outbound SMTP connectivity"), so
 * the path decides what the canary proves.
 */
import type { Discovery, SubnetInfo, VnetInfo } from "../contracts/discovery";
import type { EgressChange, EgressPath, PeeringInfo, RecordedEgress, RouteTableInfo } from "../contracts/egress";
import { resourceKey } from "../contracts/ids";
import {
  PUBLIC_ADDRESS,
  PUBLIC_DESTINATION,
  matchLength,
  parseIpv4,
  selectRoute,
  type CandidateRoute,
} from "./routeSelection";
/** The subscription named in a resource id. */
export function subscriptionOf(id: string): string | undefined {
  return /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase();
}

export function nameOf(id: string): string {
  return (
    id
      .split("/")
      .filter((p) => p !== "")
      .pop() ?? id
  );
}

export interface SubnetContext {
  vnet: VnetInfo;
  subnet: SubnetInfo;
  routeTable?: RouteTableInfo | undefined;
}

/** The subnet's routes: system, user (its route table), and nothing learnt over BGP (ARM lists no BGP routes). */
export function subnetRoutes({ vnet, subnet, routeTable }: SubnetContext): CandidateRoute[] {
  void subnet;
  const system: CandidateRoute[] = [
    ...vnet.addressPrefixes.map((p) => ({ addressPrefix: p, nextHopType: "VnetLocal", source: "system" as const })),
    ...(vnet.peerings ?? []).flatMap((peer) =>
      peer.remoteAddressPrefixes.map((p) => ({
        addressPrefix: p,
        nextHopType: "VNetPeering",
        source: "system" as const,
      })),
    ),
    { addressPrefix: "0.0.0.0/0", nextHopType: "Internet", source: "system" },
  ];
  const user: CandidateRoute[] = (routeTable?.routes ?? []).map((r) => ({
    addressPrefix: r.addressPrefix,
    nextHopType: r.nextHopType,
    nextHopIpAddress: r.nextHopIpAddress,
    source: "user",
    name: r.name,
  }));
  return [...user, ...system];
}

/** Where the next-hop address lives: this VNet, or a peered one (whose id names its subscription). */
function locate(ip: string, vnet: VnetInfo): { vnetId: string; vnetName: string } | undefined {
  const address = parseIpv4(ip);
  if (address === undefined) return undefined;
  if (vnet.addressPrefixes.some((p) => matchLength(p, address) !== undefined))
    return { vnetId: vnet.id, vnetName: vnet.name };
  const peer = (vnet.peerings ?? []).find((p) =>
    p.remoteAddressPrefixes.some((prefix) => matchLength(prefix, address) !== undefined),
  );
  return peer === undefined ? undefined : { vnetId: peer.remoteVnetId, vnetName: nameOf(peer.remoteVnetId) };
}

function remoteGatewayPeering(vnet: VnetInfo): PeeringInfo | undefined {
  return (vnet.peerings ?? []).find((p) => p.useRemoteGateways);
}

/** The egress path of a subnet's traffic to a public address. */
export function egressOfSubnet(ctx: SubnetContext, destination: string = PUBLIC_DESTINATION): EgressPath {
  const { vnet, subnet, routeTable } = ctx;
  const address = parseIpv4(destination) ?? PUBLIC_ADDRESS;
  const route = selectRoute(address, subnetRoutes(ctx));
  const common = {
    source: route?.source ?? ("system" as const),
    basis: "routes" as const,
    ...(routeTable !== undefined && route?.source === "user" ? { routeTableId: routeTable.id } : {}),
    ...(route?.name !== undefined ? { routeName: route.name } : {}),
  };
  const hub = remoteGatewayPeering(vnet);
  switch (route?.nextHopType.toLowerCase()) {
    case "internet": {
      // A default route learnt over BGP from the hub's gateway would beat the system route (equal prefix); ARM's
      // resource reads cannot tell whether the hub advertises one: only the NIC's effective routes can.
      if (route.source === "system" && hub !== undefined && routeTable?.disableBgpRoutePropagation !== true) {
        return {
          ...common,
          key: `gateway:${resourceKey(hub.remoteVnetId)}`,
          kind: "virtualNetworkGateway",
          direct: false,
          source: "bgp",
          basis: "possible",
          hop: `the gateway of peered VNet ${nameOf(hub.remoteVnetId)} (useRemoteGateways), if it advertises a default route`,
          hopResourceId: hub.remoteVnetId,
          ...optionalSub(hub.remoteVnetId),
        };
      }
      if (subnet.natGatewayId !== undefined) {
        // A NAT gateway takes the subnet's outbound internet traffic (Learn "What is Azure NAT Gateway?"); it is still
        // routed directly to the internet from this subscription.
        return {
          ...common,
          key: `nat:${resourceKey(subnet.natGatewayId)}`,
          kind: "natGateway",
          direct: true,
          hop: `NAT gateway ${nameOf(subnet.natGatewayId)}`,
          hopResourceId: subnet.natGatewayId,
          ...optionalSub(subnet.natGatewayId),
        };
      }
      return { ...common, key: "internet", kind: "internet", direct: true, hop: "the Internet" };
    }
    case "virtualappliance":
    case "virtualapplianceecmp": {
      const ip = route.nextHopIpAddress ?? "";
      const where = locate(ip, vnet);
      return {
        ...common,
        key: `appliance:${ip}`,
        kind: "virtualAppliance",
        direct: false,
        hop: where === undefined ? `appliance ${ip}` : `appliance ${ip} in VNet ${where.vnetName}`,
        ...(ip !== "" ? { nextHopIpAddress: ip } : {}),
        ...(where !== undefined ? { hopResourceId: where.vnetId, ...optionalSub(where.vnetId) } : {}),
      };
    }
    case "virtualnetworkgateway": {
      // Forced tunnelling: the VNet's own gateway, or the hub's when the peering uses remote gateways.
      const gatewayVnet = hub?.remoteVnetId ?? vnet.id;
      return {
        ...common,
        key: `gateway:${resourceKey(gatewayVnet)}`,
        kind: "virtualNetworkGateway",
        direct: false,
        hop: `the VPN/ExpressRoute gateway of VNet ${nameOf(gatewayVnet)} (forced tunnelling)`,
        hopResourceId: gatewayVnet,
        ...optionalSub(gatewayVnet),
      };
    }
    default:
      return {
        ...common,
        key: "none",
        kind: "none",
        direct: false,
        hop:
          route === undefined
            ? "no route (dropped)"
            : `route ${route.name ?? route.addressPrefix} → ${route.nextHopType} (dropped)`,
      };
  }
}

function optionalSub(id: string): { hopSubscriptionId?: string } {
  const sub = subscriptionOf(id);
  return sub === undefined ? {} : { hopSubscriptionId: sub };
}

/** The path of every VM when no subnet has a route table or NAT gateway and no VNet uses a remote gateway. */
export const SYSTEM_DIRECT: EgressPath = {
  key: "internet",
  kind: "internet",
  direct: true,
  source: "system",
  basis: "routes",
  hop: "the Internet",
};

/** Which of the subscription's NICs and route tables must be listed for the egress paths (none when all are direct). */
export function needsNetworkReads(vnets: readonly VnetInfo[]): { nics: boolean; routeTables: boolean } {
  const routeTables = vnets.some((v) => v.subnets.some((s) => s.routeTableId !== undefined));
  const other = vnets.some(
    (v) => v.subnets.some((s) => s.natGatewayId !== undefined) || (v.peerings ?? []).some((p) => p.useRemoteGateways),
  );
  return { nics: routeTables || other, routeTables };
}

/** The path of a VM whose subnet is not among the listed VNets: system routes assumed, and said so. */
export const ASSUMED_DIRECT: EgressPath = {
  key: "internet",
  kind: "internet",
  direct: true,
  source: "system",
  basis: "assumed",
  hop: "the Internet (subnet not read: system routes assumed)",
};

/**
 * The egress path of every VM and uniform scale set of a discovery, by resource key: VM → its primary (first) NIC →
 * that NIC's first IP configuration's subnet; a scale set → its network profile's first subnet.
 */
export function egressPaths(discovery: Discovery): Map<string, EgressPath> {
  const out = new Map<string, EgressPath>();
  if (discovery.nics === undefined && !needsNetworkReads(discovery.vnets).nics) {
    for (const r of [...discovery.vms, ...discovery.scaleSets]) out.set(resourceKey(r.id), SYSTEM_DIRECT);
    return out;
  }
  const subnets = new Map<string, SubnetContext>();
  const tables = new Map((discovery.routeTables ?? []).map((t) => [resourceKey(t.id), t] as const));
  for (const vnet of discovery.vnets) {
    for (const subnet of vnet.subnets) {
      const routeTable = subnet.routeTableId === undefined ? undefined : tables.get(resourceKey(subnet.routeTableId));
      subnets.set(resourceKey(subnet.id !== "" ? subnet.id : `${vnet.id}/subnets/${subnet.name}`), {
        vnet,
        subnet,
        routeTable,
      });
    }
  }
  const nics = new Map((discovery.nics ?? []).map((n) => [resourceKey(n.id), n] as const));
  const ofSubnet = (subnetId: string | undefined): EgressPath => {
    const ctx = subnetId === undefined ? undefined : subnets.get(resourceKey(subnetId));
    return ctx === undefined ? ASSUMED_DIRECT : egressOfSubnet(ctx);
  };
  for (const vm of discovery.vms) {
    const first = vm.nicIds?.[0];
    const nic = first === undefined ? undefined : nics.get(resourceKey(first));
    out.set(resourceKey(vm.id), ofSubnet(nic?.subnetIds[0]));
  }
  for (const ss of discovery.scaleSets) out.set(resourceKey(ss.id), ofSubnet(ss.subnetIds?.[0]));
  return out;
}

/** What a path means for port 25, in one phrase (plan, report, CLI). */
export function describeEgress(path: EgressPath): string {
  const where = path.hopSubscriptionId !== undefined ? ` in subscription ${path.hopSubscriptionId}` : "";
  if (path.direct) return `direct: ${path.hop}${path.basis === "assumed" ? "" : ` (${path.source} route)`}`;
  return `via ${path.hop}${where} (${path.source} route${path.routeName !== undefined ? ` ${path.routeName}` : ""}${path.basis === "possible" ? ", unconfirmed" : ""})`;
}

/** What moving from one path to another means for port 25. */
export function egressChangeMeaning(before: EgressPath, after: EgressPath): string {
  const where = (p: EgressPath): string =>
    p.hopSubscriptionId === undefined ? p.hop : `${p.hop} in subscription ${p.hopSubscriptionId}`;
  if (before.direct && !after.direct) {
    return `its traffic to the internet now leaves through ${where(after)}: port 25 no longer rests on this subscription's exemption but on what that hop lets out`;
  }
  if (!before.direct && after.direct) {
    return `its traffic now goes straight to the internet (${after.hop}): the exemption now governs its port 25 (it was cycled by the run, so TCP 25 should go out; the canary probe proves it)`;
  }
  if (!before.direct) return `port 25 now depends on ${where(after)} instead of ${where(before)}`;
  return `it still goes straight to the internet, now by ${after.hop} instead of ${before.hop}: the exemption still applies`;
}

/**
 * The VMs and scale sets whose egress path differs from the one the run recorded (a route table added, edited or
 * removed since). Resources gone or new since the run are not changes of path; a path only assumed now (its subnet
 * not read) is no evidence of a change.
 */
export function egressChanges(
  recorded: readonly RecordedEgress[],
  now: ReadonlyMap<string, EgressPath>,
): EgressChange[] {
  const out: EgressChange[] = [];
  for (const r of recorded) {
    const after = now.get(resourceKey(r.resourceId));
    if (after === undefined || after.basis === "assumed" || r.path.basis === "assumed" || after.key === r.path.key)
      continue;
    out.push({
      resourceId: r.resourceId,
      name: r.name,
      before: r.path,
      after,
      meaning: egressChangeMeaning(r.path, after),
    });
  }
  return out;
}
