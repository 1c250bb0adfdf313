/**
 * The audit store on Azure Table Storage (Azurite locally).
 *
 * Tables (prefix from PORT25_AUDIT_TABLE_PREFIX):
 * - `<prefix>runs`     partition "run", row runId: the run record;
 *                      partition "sub-<subscription>", "campaign-<campaignId>" (runs a campaign started) and "all",
 *                      row <inverted requestedAt>_<runId>: listing lines (newest first, by subscription, by campaign
 *                      or across all);
 *                      partition "completed", row subscriptionId: the latest run that cycled the fleet.
 * - `<prefix>outcomes` partition runId, row resourceId: one entity per resource outcome.
 * - `<prefix>reverify` partition subscriptionId, row <inverted at>: re-verification records.
 * - `<prefix>notify`   partition runId, row notification key: how each notification of the run went.
 * - `<prefix>campaigns` partition "campaign", row campaignId: the campaign (its input; its summary once ended);
 *                      partition "all", row <inverted requestedAt>_<campaignId>: listing lines, newest first.
 * - `<prefix>refusals` partition "refusal", row <inverted at>_<id>: refused actions (who tried what, and the answer).
 * - `<prefix>ledger`   the hash chains over every final record (ledger.ts).
 * Keys go through encodeKey (ARM ids contain '/'). Every table also has the "~parts" partition for
 * documents too large for one entity (see documents.ts).
 *
 * Records are append-only: created once; a repeated write with identical content succeeds (a replayed
 * activity), a write with different content is refused. The one transition allowed is a run's (or a
 * campaign's) "running" record (and its listing lines) being replaced by its final record, guarded by ETag.
 */
import type { TableClient, TableEntity, TransactionAction } from "@azure/data-tables";
import { z } from "zod";
import { PreconditionError, ValidationError, ensureError } from "../errors";
import { parseWith } from "../contracts/parse";
import { ResourceOutcomeSchema } from "../contracts/outcome";
import { decodeDocument, PARTS_PARTITION, type EncodedDocument, type Entity } from "./documents";
import { encodeKey, invertedTime } from "./keys";
import { AuditLedger, type AuditRecordRef } from "./ledger";

export const LOOPBACK_HTTP = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;
const DEV_STORAGE_TABLE_ENDPOINT = "http://127.0.0.1:10002/devstoreaccount1";
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** A transaction carries at most 100 operations and 4 MiB; keep a margin for the multipart envelope. */
const BATCH_MAX_OPERATIONS = 100;
const BATCH_MAX_BYTES = 3 * 1024 * 1024;

/** The table endpoint a storage connection string points at. */
export function tableEndpointOf(connectionString: string): string | undefined {
  const pairs = new Map<string, string>();
  for (const part of connectionString.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) pairs.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  if (pairs.get("usedevelopmentstorage")?.toLowerCase() === "true") return DEV_STORAGE_TABLE_ENDPOINT;
  const explicit = pairs.get("tableendpoint");
  if (explicit !== undefined) return explicit;
  const account = pairs.get("accountname");
  if (account === undefined) return undefined;
  const protocol = pairs.get("defaultendpointsprotocol") ?? "https";
  const suffix = pairs.get("endpointsuffix") ?? "core.windows.net";
  return `${protocol}://${account}.table.${suffix}`;
}

export interface AuditTableNames {
  runs: string;
  outcomes: string;
  reverify: string;
  notify: string;
  campaigns: string;
  refusals: string;
  ledger: string;
}

export function auditTableNames(prefix: string): AuditTableNames {
  return {
    runs: `${prefix}runs`,
    outcomes: `${prefix}outcomes`,
    reverify: `${prefix}reverify`,
    notify: `${prefix}notify`,
    campaigns: `${prefix}campaigns`,
    refusals: `${prefix}refusals`,
    ledger: `${prefix}ledger`,
  };
}

export type AuditTables = { [K in keyof AuditTableNames]: TableClient };

export function tablesOf(names: AuditTableNames, make: (table: string) => TableClient): AuditTables {
  return {
    runs: make(names.runs),
    outcomes: make(names.outcomes),
    reverify: make(names.reverify),
    notify: make(names.notify),
    campaigns: make(names.campaigns),
    refusals: make(names.refusals),
    ledger: make(names.ledger),
  };
}

export const P_RUN = "run";
export const P_ALL = "all";
export const P_COMPLETED = "completed";
export const subscriptionPartition = (subscriptionId: string): string => `sub-${subscriptionId.toLowerCase()}`;

/** Campaign ids are compared without case, as their instance ids are (campaignInstanceId). */
export const campaignKey = (campaignId: string): string => encodeKey(campaignId.toLowerCase());
export const campaignPartition = (campaignId: string): string => `campaign-${campaignKey(campaignId)}`;
export const listingRowKey = (requestedAt: string, id: string): string =>
  `${invertedTime(requestedAt)}_${encodeKey(id)}`;
export const P_CAMPAIGN = "campaign";
export const P_REFUSAL = "refusal";

export const OutcomeDocSchema = z.object({ seq: z.number().int().min(0), outcome: ResourceOutcomeSchema });

type ConflictDecision = "replace" | "keep" | "conflict";

/** Decides what to do when a different document already sits under the same key. */
export type OnConflict = (existing: Record<string, unknown>) => ConflictDecision;
export const refuse: OnConflict = () => "conflict";
/** A document already under the key stands: the one written now gives way. */
export const keepExisting: OnConflict = () => "keep";

export function statusOf(entity: Record<string, unknown>): string | undefined {
  return typeof entity.status === "string" ? entity.status : undefined;
}

/** A "running" record may be replaced by the final one; a final record stays; two finals must agree. */
export const finalReplacesRunning: OnConflict = (existing) =>
  statusOf(existing) === "running" ? "replace" : "conflict";
export const startedAfterFinal: OnConflict = (existing) => (statusOf(existing) === "running" ? "conflict" : "keep");

/**
 * What a run's link in its chain hashes: the run record's stored JSON, then each outcome document's in `seq` order,
 * one per line. The write (runStore.ts) hashes the documents it has just written; the verification hashes them as
 * read back; both through this one definition.
 */
export function chainedRunText(runJson: string, outcomeJsonsInSeqOrder: readonly string[]): string {
  return [runJson, ...outcomeJsonsInSeqOrder].join("\n");
}

export function statusCodeOf(e: unknown): number | undefined {
  if (typeof e === "object" && e !== null && "statusCode" in e && typeof e.statusCode === "number") return e.statusCode;
  return undefined;
}

/** The audit's table clients and ledger, and the append-only writes and reads of documents every record kind shares. */
export class AuditTableAccess {
  private tablesReady: Promise<void> | undefined;

  readonly runs: TableClient;
  readonly outcomes: TableClient;
  readonly reverify: TableClient;
  readonly notify: TableClient;
  readonly campaigns: TableClient;
  readonly refusals: TableClient;
  readonly ledger: AuditLedger;

  constructor(readonly tables: AuditTables) {
    this.runs = tables.runs;
    this.outcomes = tables.outcomes;
    this.reverify = tables.reverify;
    this.notify = tables.notify;
    this.campaigns = tables.campaigns;
    this.refusals = tables.refusals;
    this.ledger = new AuditLedger(tables.ledger);
  }

  ensureTables(): Promise<void> {
    this.tablesReady ??= Promise.all(Object.values(this.tables).map((t) => t.createTable())).then(
      () => undefined,
      (e: unknown) => {
        this.tablesReady = undefined;
        throw ensureError(e);
      },
    );
    return this.tablesReady;
  }

  /** A chained record as stored now (a run's with its outcomes, in order), or undefined when it is gone. */
  async storedRecord(ref: AuditRecordRef): Promise<string | undefined> {
    const client = this.tables[ref.table];
    const head = await this.getEntity(client, ref.partitionKey, ref.rowKey);
    if (head === undefined) return undefined;
    const json = await this.read(client, head);
    if (ref.table !== "runs") return json;
    const outcomes: { seq: number; json: string }[] = [];
    for await (const e of this.outcomes.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${ref.rowKey}'` },
    })) {
      const text = await this.read(this.outcomes, e);
      outcomes.push({ seq: parseWith(OutcomeDocSchema, JSON.parse(text), "stored outcome").seq, json: text });
    }
    outcomes.sort((a, b) => a.seq - b.seq);
    return chainedRunText(
      json,
      outcomes.map((o) => o.json),
    );
  }

  /**
   * Writes many documents of one partition, in transactions where possible; a different document already under a key is
   * refused unless `onConflict` decides otherwise for that document.
   */
  async writeMany(
    client: TableClient,
    docs: EncodedDocument[],
    onConflict: (doc: EncodedDocument) => OnConflict = () => refuse,
  ): Promise<void> {
    for (const doc of docs) for (const part of doc.parts) await this.writeEntity(client, part, refuse, undefined);
    let batch: EncodedDocument[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const current = batch;
      batch = [];
      bytes = 0;
      const actions: TransactionAction[] = current.map((d) => ["create", d.head as TableEntity]);
      try {
        await client.submitTransaction(actions);
      } catch (e) {
        // Some already exist (a replayed write): settle each one on its own, comparing content.
        if (statusCodeOf(e) !== 409) throw ensureError(e);
        for (const d of current) await this.writeEntity(client, d.head, onConflict(d), d.json);
      }
    };
    for (const doc of docs) {
      const size = Buffer.byteLength(JSON.stringify(doc.head), "utf8") + 512;
      if (batch.length >= BATCH_MAX_OPERATIONS || (batch.length > 0 && bytes + size > BATCH_MAX_BYTES)) await flush();
      batch.push(doc);
      bytes += size;
    }
    await flush();
  }

  async writeDocument(client: TableClient, doc: EncodedDocument, onConflict: OnConflict): Promise<void> {
    for (const part of doc.parts) await this.writeEntity(client, part, refuse, undefined);
    await this.writeEntity(client, doc.head, onConflict, doc.json);
  }

  /**
   * Creates `entity`; if its key is taken, compares the stored document with `json` (or, for a part,
   * the raw chunks): identical is success, otherwise `onConflict` decides. Replacement is ETag-guarded;
   * if someone else changed the entity meanwhile, the comparison starts over.
   */
  async writeEntity(
    client: TableClient,
    entity: Entity,
    onConflict: OnConflict,
    json: string | undefined,
  ): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await client.createEntity(entity);
        return;
      } catch (e) {
        if (statusCodeOf(e) !== 409) throw ensureError(e);
      }
      const existing = await this.getEntity(client, entity.partitionKey, entity.rowKey);
      if (existing === undefined) continue; // deleted meanwhile: try creating again
      const same =
        json === undefined
          ? existing.docSha256 === entity.docSha256 && sameChunks(existing, entity)
          : (await this.read(client, existing)) === json;
      if (same) return;
      const decision = onConflict(existing);
      if (decision === "keep") return;
      if (decision === "conflict") {
        throw new PreconditionError(
          `The audit already holds a different record under ${client.tableName}/${entity.partitionKey}/${entity.rowKey}; audit records are never rewritten`,
          "AuditRecordConflict",
          { table: client.tableName, partitionKey: entity.partitionKey, rowKey: entity.rowKey },
        );
      }
      try {
        await client.updateEntity(entity, "Replace", { etag: String(existing.etag) });
        return;
      } catch (e) {
        const status = statusCodeOf(e);
        if (status !== 412 && status !== 404) throw ensureError(e);
      }
    }
    throw new PreconditionError(
      `The audit entity ${client.tableName}/${entity.partitionKey}/${entity.rowKey} kept changing while being written`,
      "AuditWriteContention",
    );
  }

  async getEntity(
    client: TableClient,
    partitionKey: string,
    rowKey: string,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      return await client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (e) {
      if (statusCodeOf(e) === 404) return undefined;
      throw ensureError(e);
    }
  }

  read(client: TableClient, head: Record<string, unknown>): Promise<string> {
    return decodeDocument(head, async (rowKey) => {
      const part = await this.getEntity(client, PARTS_PARTITION, rowKey);
      if (part === undefined) throw new Error(`Stored document part ${rowKey} is missing from ${client.tableName}`);
      return part;
    });
  }

  async firstPage(
    client: TableClient,
    filter: string,
    pageSize: number,
    continuationToken: string | undefined,
  ): Promise<{ entities: Record<string, unknown>[]; continuationToken?: string }> {
    const pages = client
      .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
      .byPage({ maxPageSize: pageSize, ...(continuationToken === undefined ? {} : { continuationToken }) });
    const next = await pages.next();
    if (next.done === true) return { entities: [] };
    const page = next.value;
    const entities: Record<string, unknown>[] = [...page];
    return page.continuationToken === undefined
      ? { entities }
      : { entities, continuationToken: page.continuationToken };
  }
}

function sameChunks(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (a.chunks !== b.chunks || typeof b.chunks !== "number") return false;
  for (let i = 0; i < b.chunks; i++) if (a[`doc_${i}`] !== b[`doc_${i}`]) return false;
  return true;
}

export function pageSizeOf(requested: number | undefined): number {
  const size = requested ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new ValidationError("page size", [
      { path: "pageSize", message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` },
    ]);
  }
  return size;
}
