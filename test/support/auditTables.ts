/**
 * Audit tables on the file's own Azurite: each test takes its own table prefix, so no test sees another's records,
 * and reads a table's raw entities past the store. Call at the top of a file.
 */
import { afterAll, beforeAll } from "vitest";
import { TableClient } from "@azure/data-tables";
import { createAuditStore, type AuditStore } from "../../src/audit/store";
import { startAzurite, type LocalAzurite } from "./azurite";

export interface AuditTables {
  /** The connection string of the file's Azurite (once it is running). */
  connectionString(): string;
  /** A table prefix no other test of the file uses: `tag` (the file's by default), a counter and the time. */
  freshPrefix(tag?: string): string;
  /** An audit store on tables of a fresh prefix. */
  freshStore(): { store: AuditStore; prefix: string };
  rawClient(table: string): TableClient;
  /** Every entity of `table` (those matching the OData `filter`, if given), as Azurite holds it. */
  rawEntities(table: string, filter?: string): Promise<Record<string, unknown>[]>;
}

export function auditTables(tag: string): AuditTables {
  let azurite: LocalAzurite | undefined;
  let counter = 0;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  const connectionString = (): string => {
    if (azurite === undefined)
      throw new Error("auditTables(): Azurite is not running (call auditTables() at the top of the file)");
    return azurite.connectionString;
  };
  const freshPrefix = (prefixTag = tag): string => {
    counter += 1;
    return `${prefixTag}${counter}x${Date.now().toString(36)}`;
  };
  const rawClient = (table: string): TableClient =>
    TableClient.fromConnectionString(connectionString(), table, { allowInsecureConnection: true });
  return {
    connectionString,
    freshPrefix,
    freshStore() {
      const prefix = freshPrefix();
      return {
        store: createAuditStore({
          PORT25_AUDIT_TABLE_CONNECTION: connectionString(),
          PORT25_AUDIT_TABLE_PREFIX: prefix,
        }),
        prefix,
      };
    },
    rawClient,
    async rawEntities(table, filter) {
      const out: Record<string, unknown>[] = [];
      const it = rawClient(table).listEntities<Record<string, unknown>>(
        filter === undefined ? {} : { queryOptions: { filter } },
      );
      for await (const e of it) out.push(e);
      return out;
    },
  };
}
