/** IPv4 CIDR arithmetic for subnet validation (overlap, containment). */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefixLength: number;
  /** Number of addresses in the block. */
  size: number;
}

/** Parses "a.b.c.d/n"; returns a message when malformed or when host bits are set (ARM refuses those too). */
export function parseCidr(text: string): Cidr | string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return `"${text}" is not IPv4 CIDR notation`;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  if (octets.some((o) => o > 255)) return `"${text}" has an octet above 255`;
  const prefixLength = Number(m[5]);
  if (prefixLength > 32) return `"${text}" has a prefix length above 32`;
  const base = (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0;
  const size = 2 ** (32 - prefixLength);
  if (base % size !== 0) return `"${text}" has host bits set`;
  return { base, prefixLength, size };
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function formatCidr(c: Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefixLength}`;
}
