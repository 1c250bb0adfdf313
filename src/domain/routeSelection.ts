/**
 * Azure's route selection for one destination (Learn "Virtual network traffic routing",
 * https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview): the longest matching prefix wins;
 * among equal prefixes a user route, then a route learnt over BGP, then a system route.
 */
import { blockSize, parseCidr } from "./cidr";

export type RouteSource = "user" | "bgp" | "system";

/** A route as the selection sees it. */
export interface CandidateRoute {
  addressPrefix: string;
  nextHopType: string;
  nextHopIpAddress?: string | undefined;
  source: RouteSource;
  name?: string | undefined;
}

const SOURCE_RANK: Readonly<Record<RouteSource, number>> = { user: 0, bgp: 1, system: 2 };

/**
 * A public address the egress is judged for: outside every private and shared range, so only routes meant for the
 * internet match it. A split default route (0.0.0.0/1 + 128.0.0.0/1) is judged by the half holding it.
 */
export const PUBLIC_DESTINATION = "20.0.0.1";
export const PUBLIC_ADDRESS = 0x14000001;

/** "a.b.c.d" as an unsigned integer, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const parsed = parseCidr(`${text.trim()}/32`);
  return parsed.kind === "ipv4" && parsed.canonical ? parsed.cidr.base : undefined;
}

/** The prefix length of `prefix` when it holds `address`; undefined when it does not (or is not IPv4). */
export function matchLength(prefix: string, address: number): number | undefined {
  const parsed = parseCidr(prefix);
  if (parsed.kind !== "ipv4") return undefined;
  const { base, length } = parsed.cidr;
  return address >= base && address < base + blockSize(length) ? length : undefined;
}

/**
 * The route Azure uses for `destination`: the longest matching prefix; among equal prefixes a user route, then a
 * BGP route, then a system route. Undefined when nothing matches (traffic is dropped).
 */
export function selectRoute<R extends CandidateRoute>(destination: number, routes: readonly R[]): R | undefined {
  let best: { route: R; length: number } | undefined;
  for (const route of routes) {
    const length = matchLength(route.addressPrefix, destination);
    if (length === undefined) continue;
    if (
      best === undefined ||
      length > best.length ||
      (length === best.length && SOURCE_RANK[route.source] < SOURCE_RANK[best.route.source])
    )
      best = { route, length };
  }
  return best?.route;
}
