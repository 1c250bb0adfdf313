/**
 * The canary's egress path checked against its NIC's effective routes: what Azure itself routes by
 * (network interfaces, "Get effective route table"), as opposed to what the route tables and peerings suggest.
 */
import type { EffectiveRoute, EgressPath, PathConfirmation } from "../contracts/egress";
import { describeEgress, nameOf } from "./egress";
import { PUBLIC_ADDRESS, selectRoute, type CandidateRoute, type RouteSource } from "./routeSelection";

/** effectiveRouteTable's `source` as the selection ranks it: User, then VirtualNetworkGateway (BGP), then Default. */
function sourceOf(source: string): RouteSource {
  const s = source.toLowerCase();
  return s === "user" ? "user" : s === "virtualnetworkgateway" ? "bgp" : "system";
}

/** The route of a NIC's effective routes that carries its traffic to the internet: Active ones only, longest prefix, then user over BGP over system. */
export function winningDefaultRoute(
  routes: readonly EffectiveRoute[],
): (CandidateRoute & { route: EffectiveRoute }) | undefined {
  const candidates = routes
    .filter((r) => r.state.toLowerCase() === "active")
    .flatMap((r) =>
      r.addressPrefix.map((addressPrefix) => ({
        addressPrefix,
        nextHopType: r.nextHopType,
        nextHopIpAddress: r.nextHopIpAddress[0],
        source: sourceOf(r.source),
        name: r.name,
        route: r,
      })),
    );
  return selectRoute(PUBLIC_ADDRESS, candidates);
}

function describeWinner(w: CandidateRoute | undefined): string {
  if (w === undefined) return "no route (dropped)";
  const label = w.source === "user" ? "user route" : w.source === "bgp" ? "route learnt over BGP" : "system route";
  return `${w.nextHopType}${w.nextHopIpAddress !== undefined ? ` ${w.nextHopIpAddress}` : ""} (${label} ${w.addressPrefix}${w.name !== undefined && w.name !== "" ? ` ${w.name}` : ""})`;
}

/** Whether the winning route's next hop is the path's hop. */
function sameHop(path: EgressPath, w: CandidateRoute | undefined): boolean {
  const type = w?.nextHopType.toLowerCase();
  switch (path.kind) {
    case "internet":
    case "natGateway":
      return type === "internet";
    case "virtualAppliance":
      return (
        (type === "virtualappliance" || type === "virtualapplianceecmp") &&
        w?.nextHopIpAddress === path.nextHopIpAddress
      );
    case "virtualNetworkGateway":
      return type === "virtualnetworkgateway";
    default:
      return w === undefined || type === "none";
  }
}

/**
 * The canary's path checked against its NIC's effective routes (what Azure itself routes by). A path the route
 * tables leave "possible" (a peering with useRemoteGateways) is settled either way: the hub's gateway advertises a
 * default route (force-tunnelled) or it does not (direct). Otherwise the path is confirmed when the winning default
 * route names its hop, and stands unchanged, with both named, when it does not.
 */
export function confirmEgress(
  path: EgressPath,
  routes: readonly EffectiveRoute[],
): { path: EgressPath; confirmation: PathConfirmation } {
  const winner = winningDefaultRoute(routes);
  const said = `the NIC's effective routes send internet traffic to ${describeWinner(winner)}`;
  if (path.basis === "possible") {
    const type = winner?.nextHopType.toLowerCase();
    if (type === "virtualnetworkgateway") {
      const hop =
        path.hopResourceId === undefined
          ? "the hub's VPN/ExpressRoute gateway"
          : `the VPN/ExpressRoute gateway of peered VNet ${nameOf(path.hopResourceId)} (useRemoteGateways)`;
      return {
        path: { ...path, hop: `${hop} (forced tunnelling)`, source: winner?.source ?? "bgp", basis: "effectiveRoutes" },
        confirmation: { status: "confirmed", detail: `${said}: force-tunnelled` },
      };
    }
    if (type === "internet") {
      return {
        path: {
          key: "internet",
          kind: "internet",
          direct: true,
          source: winner?.source ?? "system",
          basis: "effectiveRoutes",
          hop: "the Internet",
        },
        confirmation: {
          status: "confirmed",
          detail: `${said}: the hub's gateway advertises no default route, so the path is direct`,
        },
      };
    }
    return {
      path,
      confirmation: {
        status: "disagrees",
        detail: `${said}, not ${describeEgress(path)} as the route tables and peerings suggest`,
      },
    };
  }
  if (sameHop(path, winner))
    return { path: { ...path, basis: "effectiveRoutes" }, confirmation: { status: "confirmed", detail: said } };
  return {
    path,
    confirmation: { status: "disagrees", detail: `${said}, but the route tables give ${describeEgress(path)}` },
  };
}
