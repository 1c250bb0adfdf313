/** Key encodings for Table Storage: partition and row keys forbid '/', '\\', '#', '?' and control characters. */
import { createHash } from "node:crypto";

const SAFE = /[A-Za-z0-9._-]/;
/** Longer encodings fall back to a hash: keys are capped at 1 KiB and ARM names can be long. */
const MAX_ENCODED = 400;

/**
 * Encodes any string into a key-safe one, reversibly: characters outside [A-Za-z0-9._-] become
 * "!" plus the hex of each UTF-8 byte. ARM ids ("/subscriptions/…") keep their readable shape.
 * A string whose encoding would exceed 400 characters becomes "~" + its SHA-256; '~' never appears
 * in a reversible encoding, so the two forms cannot collide.
 */
export function encodeKey(value: string): string {
  let out = "";
  for (const ch of value) {
    if (SAFE.test(ch)) {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, "utf8")) out += `!${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  if (out.length > MAX_ENCODED) return `~${createHash("sha256").update(value, "utf8").digest("hex")}`;
  return out;
}

/** Inverse of encodeKey; undefined for a hashed key (the original is kept in the entity's document). */
export function decodeKey(key: string): string | undefined {
  if (key.startsWith("~")) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (key[i] === "!") {
      const hex = key.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new Error(`Malformed key escape at ${i} in "${key}"`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      throw new Error(`Malformed key: non-ASCII character at ${i} in "${key}"`);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Largest millisecond timestamp the inverted form holds (year 2286), so it always has 13 digits. */
const MAX_MS = 9_999_999_999_999;

/** Newest-first ordering: row keys sort ascending, so store (MAX - time) zero-padded. */
export function invertedTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) throw new Error(`Not a storable timestamp: "${iso}"`);
  return String(MAX_MS - ms).padStart(13, "0");
}

/**
 * Row-key bounds selecting entities whose time lies in [from, to] for keys that start with
 * invertedTime(...): lower bound inclusive, upper bound exclusive.
 */
export function invertedTimeRange(from?: string, to?: string): { ge?: string; lt?: string } {
  const range: { ge?: string; lt?: string } = {};
  if (to !== undefined) range.ge = invertedTime(to);
  if (from !== undefined) range.lt = String(Number(invertedTime(from)) + 1).padStart(13, "0");
  return range;
}
