/**
 * Stores a JSON document in Table Storage without truncation: the text is cut into numbered string
 * properties (doc_0, doc_1, …) of at most 30,000 UTF-16 units each (a property holds 64 KiB), at most
 * 14 of them on the entity itself (an entity holds 1 MiB); the rest goes to content-addressed "part"
 * entities in the partition "~parts", 15 chunks each. Reading reassembles and checks length and hash.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

export const CHUNK_CHARS = 30_000;
export const HEAD_CHUNKS = 14;
export const PART_CHUNKS = 15;
/** Partition of overflow parts; '~' never starts an encoded key, so no real partition is named so. */
export const PARTS_PARTITION = "~parts";
export const MAX_PROPERTY_BYTES = 64 * 1024;
export const MAX_ENTITY_BYTES = 1024 * 1024;

type Scalar = string | number | boolean;
type EntityProps = Record<string, Scalar>;
export interface Entity extends EntityProps {
  partitionKey: string;
  rowKey: string;
}

export interface EncodedDocument {
  /** The entity that is looked up and listed. */
  head: Entity;
  /** Overflow entities, written before the head (the head refers to them by hash). */
  parts: Entity[];
  json: string;
  sha256: string;
}

/**
 * JSON with every non-ASCII character written as a \\uXXXX escape. Stored text stays ASCII, so no
 * layer between here and the table can split a multi-byte UTF-8 sequence (Azurite decodes request
 * bodies chunk by chunk and corrupts characters that straddle two chunks), and JSON.parse restores it.
 */
export function storedJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Cuts text into pieces of at most `size` UTF-16 units, never between the two halves of a surrogate pair. */
export function splitText(text: string, size: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

const chunkName = (i: number): string => `doc_${i}`;

function withChunks(base: Entity, chunks: readonly string[]): Entity {
  const entity: Entity = { ...base, chunks: chunks.length };
  chunks.forEach((c, i) => {
    entity[chunkName(i)] = c;
  });
  return entity;
}

/**
 * Encodes `json` for the entity (partitionKey, rowKey). `scalars` are queryable properties kept on the
 * head next to the document (status, times); they are not part of the document's identity.
 */
export function encodeDocument(
  partitionKey: string,
  rowKey: string,
  json: string,
  scalars: EntityProps = {},
): EncodedDocument {
  const sha256 = sha256Hex(json);
  const chunks = splitText(json, CHUNK_CHARS);
  const inline = chunks.slice(0, HEAD_CHUNKS);
  const overflow = chunks.slice(HEAD_CHUNKS);
  const parts: Entity[] = [];
  for (let p = 0; p * PART_CHUNKS < overflow.length; p++) {
    parts.push(
      withChunks(
        { partitionKey: PARTS_PARTITION, rowKey: partRowKey(sha256, p + 1), docSha256: sha256, part: p + 1 },
        overflow.slice(p * PART_CHUNKS, (p + 1) * PART_CHUNKS),
      ),
    );
  }
  const head = withChunks(
    { ...scalars, partitionKey, rowKey, docSha256: sha256, docLength: json.length, parts: parts.length },
    inline,
  );
  for (const e of [head, ...parts]) assertWithinLimits(e);
  return { head, parts, json, sha256 };
}

function partRowKey(sha256: string, part: number): string {
  return `${sha256}~${String(part).padStart(4, "0")}`;
}

const HeadSchema = z.looseObject({
  docSha256: z.string(),
  docLength: z.number().int(),
  parts: z.number().int().min(0),
  chunks: z.number().int().min(0),
});

/** The chunks stored on an entity, joined. */
function inlineText(entity: Record<string, unknown>): string {
  const chunks = z.number().int().min(0).parse(entity.chunks);
  let text = "";
  for (let i = 0; i < chunks; i++) {
    const piece = entity[chunkName(i)];
    if (typeof piece !== "string") throw new Error(`Stored document is missing ${chunkName(i)}`);
    text += piece;
  }
  return text;
}

/** Reassembles a document from its head, fetching overflow parts through `readPart`, and verifies it. */
export async function decodeDocument(
  head: Record<string, unknown>,
  readPart: (rowKey: string) => Promise<Record<string, unknown>>,
): Promise<string> {
  const h = HeadSchema.parse(head);
  let text = inlineText(head);
  for (let p = 1; p <= h.parts; p++) text += inlineText(await readPart(partRowKey(h.docSha256, p)));
  if (text.length !== h.docLength || sha256Hex(text) !== h.docSha256) {
    throw new Error(`Stored document does not match its hash (${String(head.partitionKey)}/${String(head.rowKey)})`);
  }
  return text;
}

/**
 * Size of an entity as Table Storage counts it (UTF-16 strings, fixed-size numbers, per-property
 * overhead), for checking the 1 MiB entity limit before the service refuses the write.
 */
export function entitySizeBytes(entity: Record<string, unknown>): number {
  let size = 4;
  for (const [name, value] of Object.entries(entity)) {
    if (name === "partitionKey" || name === "rowKey") {
      size += 2 * String(value).length;
      continue;
    }
    size += 8 + 2 * name.length;
    if (typeof value === "string") size += 4 + 2 * value.length;
    else if (typeof value === "boolean") size += 1;
    else size += 8;
  }
  return size;
}

function assertWithinLimits(entity: Entity): void {
  for (const [name, value] of Object.entries(entity)) {
    if (typeof value === "string" && 2 * value.length > MAX_PROPERTY_BYTES) {
      throw new Error(`Property ${name} of ${entity.partitionKey}/${entity.rowKey} exceeds 64 KiB`);
    }
  }
  const size = entitySizeBytes(entity);
  if (size > MAX_ENTITY_BYTES)
    throw new Error(`Entity ${entity.partitionKey}/${entity.rowKey} is ${size} bytes, over 1 MiB`);
}
