/**
 * The first writes the deployed app is about to send, in its storage account's table `<prefix>sends` (the prefix of
 * the audit tables, PORT25_AUDIT_TABLE_PREFIX): each is upserted before its request leaves, so a worker that re-runs
 * the activity after another died knows the step it finds under way may be the run's own (src/root.ts, `SendIntents`;
 * activities/beginPowerOperation.ts). Every worker of the app reaches the same table.
 *
 * Durable before it resolves: Table storage answers a write only once every replica in the primary region holds it
 * (https://learn.microsoft.com/azure/storage/common/storage-redundancy, "Redundancy in the primary region"), and a
 * read (a query of the key's rows) then sees it from any worker (strongly consistent in the primary region:
 * https://learn.microsoft.com/azure/cosmos-db/table-support, "Consistency"). A failure is
 * thrown as it is, never taken for "not recorded": the activity then fails before sending, and is retried.
 *
 * Keys: a record's key names the resource, the step and when the run scheduled it (an ARM id holds '/'), which
 * PartitionKey and RowKey cannot carry ('/', '\', '#', '?', control characters; at most 1 KiB each:
 * https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model). The row is found
 * by the key's SHA-256 (hex) in one of 256 partitions (its first two hex digits), and holds the key itself, compared
 * on every read: a lookup answers only for exactly the key it was asked. Each attempt at a send has a row of its own
 * (RowKey: the digest, `_`, the attempt's id), so that forgetting an attempt ARM refused leaves an earlier attempt's
 * record of the same send; a lookup reads the digest's range of rows, one query.
 */
import { createHash, randomUUID } from "node:crypto";
import { odata, type TableClient } from "@azure/data-tables";
import { ensureError } from "../errors";
import { tableClientMaker, type AuditStoreConfig, type AuditStoreDependencies } from "./store";
import { statusCodeOf } from "./tables";

/** The record of first writes: what src/root.ts's `SendIntents` asks of it. */
export interface SendIntentTable {
  has(key: string): Promise<boolean>;
  /** Records one attempt at the send; answers that attempt's own id. */
  add(key: string): Promise<string>;
  /** Forgets one attempt's record; another attempt's record of the same key stays. */
  drop(key: string, id: string): Promise<void>;
}

export function sendIntentsTableName(prefix: string): string {
  return `${prefix}sends`;
}

/** A string property holds at most 64 KiB (32K UTF-16 units): a longer key is kept in consecutive properties. */
const PIECE = 30_000;

/** The record in the table the app settings name, on the audit tables' connection. */
export function createSendIntentTable(config: AuditStoreConfig, deps: AuditStoreDependencies = {}): SendIntentTable {
  return sendIntentTableOn(tableClientMaker(config, deps)(sendIntentsTableName(config.PORT25_AUDIT_TABLE_PREFIX)));
}

export function sendIntentTableOn(client: TableClient): SendIntentTable {
  let ready: Promise<void> | undefined;
  const ensureTable = (): Promise<void> => {
    // createTable answers a table that already exists without failing.
    ready ??= client.createTable().catch((e: unknown) => {
      ready = undefined;
      throw ensureError(e);
    });
    return ready;
  };
  return {
    async has(key) {
      await ensureTable();
      const { partitionKey, digest } = rowOf(key);
      // Every attempt's row of the key: its digest, alone (a row written before attempts had ids) or with an id.
      const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${digest} and RowKey lt ${`${digest}~`}`;
      for await (const entity of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
        if (storedKey(entity) === key) return true;
      return false;
    },
    async add(key) {
      await ensureTable();
      const id = randomUUID();
      const { partitionKey, digest } = rowOf(key);
      const entity = { partitionKey, rowKey: rowKeyOf(digest, id), ...keyProperties(key) };
      try {
        // Insert Or Replace Entity (https://learn.microsoft.com/rest/api/storageservices/insert-or-replace-entity): a
        // request the SDK sends again after a lost answer writes the same row again, identical.
        await client.upsertEntity(entity, "Replace");
      } catch (e) {
        // The table was deleted (to clear it) while this worker ran: create it again, once.
        if (statusCodeOf(e) !== 404) throw ensureError(e);
        ready = undefined;
        await ensureTable();
        await client.upsertEntity(entity, "Replace");
      }
      return id;
    },
    async drop(key, id) {
      await ensureTable();
      const { partitionKey, digest } = rowOf(key);
      try {
        await client.deleteEntity(partitionKey, rowKeyOf(digest, id));
      } catch (e) {
        // Not there (never written, or dropped already): nothing to forget.
        if (statusCodeOf(e) !== 404) throw ensureError(e);
      }
    },
  };
}

function rowOf(key: string): { partitionKey: string; digest: string } {
  const digest = createHash("sha256").update(key, "utf8").digest("hex");
  return { partitionKey: digest.slice(0, 2), digest };
}

/** One attempt's row: the key's digest and the attempt's id ("" for a row written before attempts had ids). */
function rowKeyOf(digest: string, id: string): string {
  return id === "" ? digest : `${digest}_${id}`;
}

function keyProperties(key: string): Record<string, string | number> {
  const props: Record<string, string | number> = {};
  let pieces = 0;
  for (let start = 0; start < key.length || pieces === 0; pieces++) {
    let end = Math.min(start + PIECE, key.length);
    // Never between the two halves of a surrogate pair: each piece is a whole string.
    if (end < key.length && /[\uD800-\uDBFF]/.test(key.charAt(end - 1))) end -= 1;
    props[`key${pieces}`] = key.slice(start, end);
    start = end;
  }
  props.keyPieces = pieces;
  return props;
}

function storedKey(entity: Record<string, unknown>): string | undefined {
  const pieces = entity.keyPieces;
  if (typeof pieces !== "number" || !Number.isInteger(pieces) || pieces < 1) return undefined;
  let key = "";
  for (let i = 0; i < pieces; i++) {
    const piece = entity[`key${i}`];
    if (typeof piece !== "string") return undefined;
    key += piece;
  }
  return key;
}
