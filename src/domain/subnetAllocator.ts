/** Picks the range of the temporary subnet that refreshes a VNet with delegated subnets. */
import type { VnetInfo } from "../contracts/discovery";
import type { ReasonCode } from "../contracts/outcome";
import { blockSize, formatCidr, type Ipv4Cidr, lastAddress, parseCidr } from "./cidr";

/** Azure's smallest IPv4 subnet; the temporary subnet never needs more. */
const TEMP_SUBNET_LENGTH = 29;
const TEMP_SIZE = blockSize(TEMP_SUBNET_LENGTH);

type SubnetAllocation = { prefix: string } | { reason: ReasonCode; message: string };

interface Range {
  start: number;
  end: number; // inclusive
}

function alignUp(address: number): number {
  return Math.ceil(address / TEMP_SIZE) * TEMP_SIZE;
}

/** Sorted, merged occupied ranges, so one pass can jump over each of them. */
function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Range[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/** Lowest /29 inside `space` that touches no occupied range; occupied is sorted and merged. */
function firstFreeIn(space: Ipv4Cidr, occupied: readonly Range[]): number | undefined {
  const spaceEnd = lastAddress(space);
  let candidate = alignUp(space.base);
  // Binary search for the first range that could touch the candidate; after that the walk is linear.
  let lo = 0;
  let hi = occupied.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((occupied[mid]?.end ?? Infinity) < candidate) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; candidate + TEMP_SIZE - 1 <= spaceEnd; i++) {
    const r = occupied[i];
    if (r === undefined || r.start > candidate + TEMP_SIZE - 1) return candidate;
    if (r.end >= candidate) candidate = alignUp(r.end + 1);
  }
  return undefined;
}

/**
 * The first free IPv4 /29 (lowest address) inside the VNet's IPv4 address space that overlaps no existing
 * subnet prefix (addressPrefix, addressPrefixes, IPAM allocations), or why there is none.
 */
export function allocateTemporarySubnet(vnet: VnetInfo): SubnetAllocation {
  if (vnet.ipamManaged) {
    return {
      reason: "ipamManaged",
      message: `VNet ${vnet.name} takes its address space from IPAM pools; add and remove the temporary subnet through the pool manually`,
    };
  }

  const spaces: Ipv4Cidr[] = [];
  const badSpaces: string[] = [];
  for (const p of vnet.addressPrefixes) {
    const parsed = parseCidr(p);
    if (parsed.kind === "ipv4") spaces.push(parsed.cidr);
    else if (parsed.kind === "invalid") badSpaces.push(parsed.message);
  }
  if (spaces.length === 0) {
    const why = badSpaces.length > 0 ? `; malformed address prefixes: ${badSpaces.join("; ")}` : "";
    return { reason: "noIpv4AddressSpace", message: `VNet ${vnet.name} has no IPv4 address space${why}` };
  }

  const occupied: Range[] = [];
  for (const subnet of vnet.subnets) {
    const prefixes = [
      ...(subnet.addressPrefix !== undefined ? [subnet.addressPrefix] : []),
      ...(subnet.addressPrefixes ?? []),
      ...subnet.ipamAllocatedPrefixes,
    ];
    for (const p of prefixes) {
      const parsed = parseCidr(p);
      // An unreadable subnet range could hide an overlap: refuse rather than guess.
      if (parsed.kind === "invalid") {
        return {
          reason: "noFreeSubnetRange",
          message: `subnet ${subnet.name} of VNet ${vnet.name} has a malformed address prefix (${parsed.message}); cannot pick a temporary range safely`,
        };
      }
      if (parsed.kind === "ipv4") occupied.push({ start: parsed.cidr.base, end: lastAddress(parsed.cidr) });
    }
  }
  const merged = mergeRanges(occupied);

  let best: number | undefined;
  for (const space of spaces) {
    const found = firstFreeIn(space, merged);
    if (found !== undefined && (best === undefined || found < best)) best = found;
  }
  if (best === undefined) {
    const why = badSpaces.length > 0 ? ` (malformed address prefixes ignored: ${badSpaces.join("; ")})` : "";
    return {
      reason: "noFreeSubnetRange",
      message: `VNet ${vnet.name} has no free /${TEMP_SUBNET_LENGTH} in ${spaces.map(formatCidr).join(", ")}${why}; add an address range to the VNet or free one`,
    };
  }
  return { prefix: formatCidr({ base: best, length: TEMP_SUBNET_LENGTH }) };
}
