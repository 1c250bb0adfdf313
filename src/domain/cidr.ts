/** IPv4 CIDR arithmetic on plain numbers (0 … 2^32-1); IPv6 is recognised only so callers can ignore it. */

const IPV4_TOTAL = 2 ** 32;

/** An IPv4 prefix: `base` is the network address as an unsigned integer, `length` the prefix length. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly length: number;
}

type CidrParseResult =
  | {
      readonly kind: "ipv4";
      readonly cidr: Ipv4Cidr;
      /** false when host bits were set and had to be cleared */ readonly canonical: boolean;
    }
  | { readonly kind: "ipv6" }
  | { readonly kind: "invalid"; readonly message: string };

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parses "a.b.c.d/n" (IPv4) and recognises IPv6 prefixes (anything with a colon and a valid /0…/128). */
export function parseCidr(text: string): CidrParseResult {
  const value = text.trim();
  const slash = value.indexOf("/");
  if (slash < 0) return { kind: "invalid", message: `"${text}" has no prefix length (expected a.b.c.d/n)` };
  const addr = value.slice(0, slash);
  const lenText = value.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lenText))
    return { kind: "invalid", message: `"${text}" has an invalid prefix length "${lenText}"` };
  const length = Number(lenText);
  if (addr.includes(":")) {
    if (length > 128 || !/^[0-9A-Fa-f:.]+$/.test(addr))
      return { kind: "invalid", message: `"${text}" is not a valid IPv6 prefix` };
    return { kind: "ipv6" };
  }
  if (length > 32) return { kind: "invalid", message: `"${text}" has a prefix length above 32` };
  const parts = addr.split(".");
  if (parts.length !== 4) return { kind: "invalid", message: `"${text}" is not a dotted IPv4 address` };
  let address = 0;
  for (const part of parts) {
    if (!OCTET.test(part) || Number(part) > 255)
      return { kind: "invalid", message: `"${text}" has an invalid octet "${part}"` };
    address = address * 256 + Number(part);
  }
  const size = blockSize(length);
  const base = Math.floor(address / size) * size;
  return { kind: "ipv4", cidr: { base, length }, canonical: base === address };
}

/** Number of addresses in a prefix of this length. */
export function blockSize(length: number): number {
  return 2 ** (32 - length);
}

/** Last address of the prefix (inclusive). */
export function lastAddress(cidr: Ipv4Cidr): number {
  return cidr.base + blockSize(cidr.length) - 1;
}

/** True when `inner` lies entirely inside `outer`. */
export function containsCidr(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.base >= outer.base && lastAddress(inner) <= lastAddress(outer);
}

/** True when the two prefixes share at least one address. */
export function overlapsCidr(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

function formatIpv4(address: number): string {
  if (!Number.isInteger(address) || address < 0 || address >= IPV4_TOTAL)
    throw new RangeError(`not an IPv4 address: ${address}`);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
  return octets.join(".");
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.length}`;
}
