import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeKey, encodeKey, invertedTime, invertedTimeRange } from "../../src/audit/keys";
import {
  CHUNK_CHARS,
  decodeDocument,
  encodeDocument,
  HEAD_CHUNKS,
  PART_CHUNKS,
  splitText,
  storedJson,
} from "../../src/audit/documents";

/** Characters Table Storage forbids in PartitionKey and RowKey. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be absent
const FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

describe("encodeKey", () => {
  it("turns an ARM id into a key without forbidden characters and back", () => {
    const id =
      "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm #1?";
    const key = encodeKey(id);
    expect(key).not.toMatch(FORBIDDEN);
    expect(key.startsWith("!2Fsubscriptions!2F")).toBe(true);
    expect(decodeKey(key)).toBe(id);
  });

  it("is reversible and key-safe for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), (s) => {
        const key = encodeKey(s);
        expect(key).not.toMatch(FORBIDDEN);
        expect(decodeKey(key)).toBe(s);
      }),
    );
  });

  it("never maps two different strings to one key, even past the hashing length", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }), (a, b) => {
        fc.pre(a !== b);
        expect(encodeKey(a)).not.toBe(encodeKey(b));
      }),
    );
    const long = "/".repeat(200);
    expect(encodeKey(long)).toMatch(/^~[0-9a-f]{64}$/);
    expect(encodeKey(long)).not.toBe(encodeKey(long + "/"));
    expect(decodeKey(encodeKey(long))).toBeUndefined();
  });
});

describe("invertedTime", () => {
  it("orders later times first as strings", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (a, b) => {
          fc.pre(a < b);
          const ka = invertedTime(new Date(a).toISOString());
          const kb = invertedTime(new Date(b).toISOString());
          expect(ka.length).toBe(13);
          expect(kb < ka).toBe(true);
        },
      ),
    );
  });

  it("selects exactly the times inside an inclusive range", () => {
    const at = (iso: string): string => `${invertedTime(iso)}_run`;
    const { ge, lt } = invertedTimeRange("2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z");
    const inside = (key: string): boolean => (ge === undefined || key >= ge) && (lt === undefined || key < lt);
    expect(inside(at("2026-01-01T00:00:00.000Z"))).toBe(true);
    expect(inside(at("2026-01-02T00:00:00.000Z"))).toBe(true);
    expect(inside(at("2025-12-31T23:59:59.999Z"))).toBe(false);
    expect(inside(at("2026-01-02T00:00:00.001Z"))).toBe(false);
  });

  it("refuses a time it cannot order", () => {
    expect(() => invertedTime("yesterday")).toThrow(/Not a storable timestamp/);
  });
});

describe("documents", () => {
  it("splits text without separating a surrogate pair", () => {
    const text = "a" + "𝄞".repeat(10);
    const pieces = splitText(text, 4);
    expect(pieces.join("")).toBe(text);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(4);
      expect(/[\ud800-\udbff]$/.test(p)).toBe(false);
    }
  });

  it("writes JSON as ASCII that parses back to the same value", () => {
    const value = { name: "vm-ünïcode-𝄞-⚡", note: "line\u2028sep" };
    const json = storedJson(value);
    expect(json).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it("keeps small documents on one entity and spills large ones into parts that reassemble", async () => {
    const small = encodeDocument("p", "r", "{}");
    expect(small.parts).toEqual([]);
    expect(small.head.doc_0).toBe("{}");

    const big = "x".repeat(CHUNK_CHARS * (HEAD_CHUNKS + PART_CHUNKS + 3) + 17);
    const doc = encodeDocument("p", "r", big);
    expect(doc.head.chunks).toBe(HEAD_CHUNKS);
    expect(doc.parts.map((p) => p.chunks)).toEqual([PART_CHUNKS, 4]);
    const parts = new Map(doc.parts.map((p) => [p.rowKey, p]));
    const text = await decodeDocument(doc.head, (rowKey) => {
      const part = parts.get(rowKey);
      if (part === undefined) throw new Error(`no part ${rowKey}`);
      return Promise.resolve(part);
    });
    expect(text).toBe(big);
  });

  it("detects a stored document that was altered", async () => {
    const doc = encodeDocument("p", "r", '{"status":"completed"}');
    const altered = { ...doc.head, doc_0: '{"status":"cancelled"}' };
    await expect(decodeDocument(altered, () => Promise.reject(new Error("no parts")))).rejects.toThrow(
      /does not match its hash/,
    );
  });
});
