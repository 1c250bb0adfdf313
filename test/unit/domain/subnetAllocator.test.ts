import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SubnetInfo } from "../../../src/contracts/discovery";
import { blockSize, formatCidr, lastAddress, overlapsCidr, parseCidr, type Ipv4Cidr } from "../../../src/domain/cidr";
import { allocateTemporarySubnet } from "../../../src/domain/subnetAllocator";
import { subnet, vnet } from "./fixtures";

function v4(text: string): Ipv4Cidr {
  const r = parseCidr(text);
  if (r.kind !== "ipv4") throw new Error(`not IPv4: ${text}`);
  return r.cidr;
}

function prefixOf(r: ReturnType<typeof allocateTemporarySubnet>): string {
  if ("reason" in r) throw new Error(`expected a prefix, got ${r.reason}: ${r.message}`);
  return r.prefix;
}

describe("allocateTemporarySubnet", () => {
  it("takes the lowest free /29 after the existing subnets", () => {
    const v = vnet("v", ["10.0.0.0/16"], [subnet("a", "10.0.0.0/24"), subnet("b", "10.0.1.0/28")]);
    expect(prefixOf(allocateTemporarySubnet(v))).toBe("10.0.1.16/29");
  });

  it("finds a hole between unsorted subnets", () => {
    const v = vnet(
      "v",
      ["10.0.0.0/24"],
      [
        subnet("c", "10.0.0.64/26"),
        subnet("a", "10.0.0.0/27"),
        subnet("b", "10.0.0.40/29"),
        subnet("d", "10.0.0.32/29"),
      ],
    );
    expect(prefixOf(allocateTemporarySubnet(v))).toBe("10.0.0.48/29");
  });

  it("treats a single occupied address as blocking its whole /29", () => {
    expect(prefixOf(allocateTemporarySubnet(vnet("v", ["10.0.0.0/24"], [subnet("a", "10.0.0.0/32")])))).toBe(
      "10.0.0.8/29",
    );
    expect(
      prefixOf(
        allocateTemporarySubnet(vnet("v", ["10.0.0.0/24"], [subnet("a", "10.0.0.7/32"), subnet("b", "10.0.0.8/32")])),
      ),
    ).toBe("10.0.0.16/29");
  });

  it("looks at every address space and picks the lowest free block across them", () => {
    const v = vnet(
      "v",
      ["192.168.0.0/24", "10.1.0.0/29", "10.0.0.0/29"],
      [subnet("a", "10.0.0.0/29"), subnet("b", "192.168.0.0/25")],
    );
    expect(prefixOf(allocateTemporarySubnet(v))).toBe("10.1.0.0/29");
  });

  it("counts every entry of addressPrefixes and IPAM-allocated prefixes as occupied", () => {
    const v = vnet(
      "v",
      ["10.0.0.0/27"],
      [
        subnet("multi", undefined, { addressPrefixes: ["10.0.0.0/29", "fd00::/64", "10.0.0.16/29"] }),
        subnet("ipam", undefined, { ipamAllocatedPrefixes: ["10.0.0.8/29"] }),
      ],
    );
    expect(prefixOf(allocateTemporarySubnet(v))).toBe("10.0.0.24/29");
  });

  it("ignores IPv6 space and prefixes", () => {
    const v = vnet("v", ["fd00::/48", "10.0.0.0/28"], [subnet("a", "fd00::/64"), subnet("b", "10.0.0.0/29")]);
    expect(prefixOf(allocateTemporarySubnet(v))).toBe("10.0.0.8/29");
  });

  it("finds the last /29 of a /8 that is otherwise full", () => {
    // Halving covers 10.0.0.0/9, 10.128.0.0/10, … down to one /29: only 10.255.255.248/29 is free.
    const subnets: SubnetInfo[] = [];
    let base = v4("10.0.0.0/8").base;
    for (let len = 9; len <= 29; len++) {
      subnets.push(subnet(`s${len}`, formatCidr({ base, length: len })));
      base += blockSize(len);
    }
    expect(prefixOf(allocateTemporarySubnet(vnet("v", ["10.0.0.0/8"], subnets.reverse())))).toBe("10.255.255.248/29");
  });

  it("reports a full VNet as noFreeSubnetRange", () => {
    const r = allocateTemporarySubnet(
      vnet("v", ["10.0.0.0/24"], [subnet("a", "10.0.0.0/25"), subnet("b", "10.0.0.128/25")]),
    );
    expect(r).toMatchObject({ reason: "noFreeSubnetRange" });
    expect("message" in r && r.message).toMatch(/10\.0\.0\.0\/24/);
  });

  it("reports a space smaller than /29 as having no free range", () => {
    expect(allocateTemporarySubnet(vnet("v", ["10.0.0.0/30"], []))).toMatchObject({ reason: "noFreeSubnetRange" });
  });

  it("reports a VNet without IPv4 space", () => {
    expect(allocateTemporarySubnet(vnet("v", ["fd00::/48"], []))).toMatchObject({ reason: "noIpv4AddressSpace" });
    expect(allocateTemporarySubnet(vnet("v", [], []))).toMatchObject({ reason: "noIpv4AddressSpace" });
  });

  it("reports an IPAM-managed VNet", () => {
    expect(allocateTemporarySubnet(vnet("v", ["10.0.0.0/16"], [], { ipamManaged: true }))).toMatchObject({
      reason: "ipamManaged",
    });
  });

  it("refuses to guess when a subnet prefix is malformed, naming the subnet and the value", () => {
    const r = allocateTemporarySubnet(vnet("v", ["10.0.0.0/16"], [subnet("broken", "10.0.0.300/24")]));
    expect(r).toMatchObject({ reason: "noFreeSubnetRange" });
    expect("message" in r && r.message).toMatch(/broken.*10\.0\.0\.300\/24/);
  });

  it("ignores a malformed address space entry but names it when nothing else is usable", () => {
    expect(prefixOf(allocateTemporarySubnet(vnet("v", ["10.0.0/16", "10.1.0.0/24"], [])))).toBe("10.1.0.0/29");
    const r = allocateTemporarySubnet(vnet("v", ["10.0.0/16"], []));
    expect(r).toMatchObject({ reason: "noIpv4AddressSpace" });
    expect("message" in r && r.message).toContain("10.0.0/16");
  });
});

const REGION = v4("10.0.0.0/20").base; // small region so spaces and subnets collide often

const smallCidr = (minLen: number, maxLen: number): fc.Arbitrary<Ipv4Cidr> =>
  fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: minLen, max: maxLen })).map(([offset, length]) => {
    const size = blockSize(length);
    return { base: Math.floor((REGION + offset) / size) * size, length };
  });

function bruteForceLowest(spaces: Ipv4Cidr[], occupied: Ipv4Cidr[]): number | undefined {
  let best: number | undefined;
  for (const s of spaces) {
    for (let b = Math.ceil(s.base / 8) * 8; b + 7 <= lastAddress(s); b += 8) {
      const block = { base: b, length: 29 };
      if (!occupied.some((o) => overlapsCidr(o, block))) {
        if (best === undefined || b < best) best = b;
        break;
      }
    }
  }
  return best;
}

describe("allocateTemporarySubnet properties", () => {
  it("returns exactly the lowest free /29 a brute-force search finds, and 'none' only when there is none", () => {
    fc.assert(
      fc.property(
        fc.array(smallCidr(22, 31), { minLength: 1, maxLength: 3 }),
        fc.array(smallCidr(22, 32), { maxLength: 25 }),
        (spaces, subs) => {
          const v = vnet(
            "v",
            spaces.map(formatCidr),
            subs.map((c, i) => subnet(`s${i}`, formatCidr(c))),
          );
          const r = allocateTemporarySubnet(v);
          const expected = bruteForceLowest(spaces, subs);
          if (expected === undefined) expect(r).toMatchObject({ reason: "noFreeSubnetRange" });
          else expect(prefixOf(r)).toBe(formatCidr({ base: expected, length: 29 }));
        },
      ),
      { numRuns: 400 },
    );
  });

  const anyCidr = (minLen: number, maxLen: number): fc.Arbitrary<Ipv4Cidr> =>
    fc
      .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: minLen, max: maxLen }))
      .map(([addr, length]) => {
        const size = blockSize(length);
        return { base: Math.floor(addr / size) * size, length };
      });

  it("in large spaces the result is inside the space, /29-aligned and overlaps no subnet", () => {
    fc.assert(
      fc.property(
        fc.array(anyCidr(8, 20), { minLength: 1, maxLength: 4 }),
        fc.array(fc.oneof(anyCidr(8, 30), smallCidr(16, 29)), { maxLength: 40 }),
        (spaces, subs) => {
          // Put most subnets inside the spaces so they actually get in the way.
          const inside = subs.map((c, i) => {
            const s = spaces[i % spaces.length];
            if (s === undefined || c.length < s.length) return c;
            const size = blockSize(c.length);
            return { base: s.base + Math.floor((c.base % blockSize(s.length)) / size) * size, length: c.length };
          });
          const r = allocateTemporarySubnet(
            vnet(
              "v",
              spaces.map(formatCidr),
              inside.map((c, i) => subnet(`s${i}`, formatCidr(c))),
            ),
          );
          if ("reason" in r) {
            expect(r.reason).toBe("noFreeSubnetRange");
            for (const s of spaces) expect(hasAlignedGap(s, inside)).toBe(false);
            return;
          }
          const got = v4(r.prefix);
          expect(got.length).toBe(29);
          expect(got.base % 8).toBe(0);
          expect(spaces.some((s) => got.base >= s.base && lastAddress(got) <= lastAddress(s))).toBe(true);
          expect(inside.some((o) => overlapsCidr(o, got))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Independent oracle for big spaces: walk the uncovered gaps of the space, looking for one that holds an aligned /29. */
function hasAlignedGap(space: Ipv4Cidr, subs: Ipv4Cidr[]): boolean {
  const ranges = subs.map((o) => [o.base, lastAddress(o)] as const).sort((a, b) => a[0] - b[0]);
  let gapStart = space.base;
  const fits = (start: number, end: number): boolean =>
    Math.ceil(start / 8) * 8 + 7 <= Math.min(end, lastAddress(space));
  for (const [start, end] of ranges) {
    if (end < gapStart) continue;
    if (start > gapStart && fits(gapStart, start - 1)) return true;
    gapStart = Math.max(gapStart, end + 1);
  }
  return fits(gapStart, lastAddress(space));
}
