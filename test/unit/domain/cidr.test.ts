import { describe, expect, it } from "vitest";
import { containsCidr, formatCidr, overlapsCidr, parseCidr, type Ipv4Cidr } from "../../../src/domain/cidr";

function v4(text: string): Ipv4Cidr {
  const r = parseCidr(text);
  if (r.kind !== "ipv4") throw new Error(`not IPv4: ${text}`);
  return r.cidr;
}

describe("cidr helpers", () => {
  it("parses and formats IPv4 prefixes, including the extremes", () => {
    for (const text of ["0.0.0.0/0", "10.0.0.0/8", "192.168.1.8/29", "255.255.255.255/32"])
      expect(formatCidr(v4(text))).toBe(text);
    expect(v4("10.1.2.0/24")).toEqual({ base: 10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 256, length: 24 });
  });

  it("clears host bits and says the prefix was not canonical", () => {
    const r = parseCidr("10.0.0.5/24");
    expect(r).toEqual({ kind: "ipv4", cidr: v4("10.0.0.0/24"), canonical: false });
  });

  it("recognises IPv6 prefixes", () => {
    expect(parseCidr("fd00:db8::/64").kind).toBe("ipv6");
    expect(parseCidr("::/0").kind).toBe("ipv6");
  });

  it.each([
    "10.0.0.0",
    "10.0.0/24",
    "10.0.0.256/24",
    "10.0.0.0/33",
    "10.0.0.0/x",
    "01.0.0.0/8",
    "a.b.c.d/8",
    "fd00::/129",
    "",
  ])("reports %j as invalid with a message naming it", (text) => {
    const r = parseCidr(text);
    expect(r.kind).toBe("invalid");
    if (r.kind === "invalid") expect(r.message).toContain(`"${text}"`);
  });

  it("tells containment from overlap", () => {
    expect(containsCidr(v4("10.0.0.0/16"), v4("10.0.255.248/29"))).toBe(true);
    expect(containsCidr(v4("10.0.0.0/16"), v4("10.1.0.0/29"))).toBe(false);
    expect(containsCidr(v4("10.0.0.0/29"), v4("10.0.0.0/16"))).toBe(false);
    expect(overlapsCidr(v4("10.0.0.0/29"), v4("10.0.0.0/16"))).toBe(true);
    expect(overlapsCidr(v4("10.0.0.0/29"), v4("10.0.0.8/29"))).toBe(false);
    expect(overlapsCidr(v4("0.0.0.0/0"), v4("255.255.255.255/32"))).toBe(true);
  });
});
