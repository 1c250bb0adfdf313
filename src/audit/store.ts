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
import { createHash } from "node:crypto";
import { TableClient, type TableEntity, type TransactionAction } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";
import { z } from "zod";
import { ConfigError, PreconditionError, ValidationError, ensureError } from "../errors";
import { parseWith } from "../contracts/parse";
import {
  RemediationInputSchema,
  RemediationResultSchema,
  type RemediationInput,
  type RemediationResult,
} from "../contracts/remediation";
import { ResourceOutcomeSchema, type ResourceOutcome } from "../contracts/outcome";
import {
  AuditedCampaignSchema,
  AuditStatusSchema,
  CampaignListingSchema,
  CompletedSubscriptionSchema,
  REVERIFIABLE_STATUSES,
  RunRecordSchema,
  RunSummarySchema,
  type AuditedCampaign,
  type AuditedRun,
  type CampaignListing,
  type CampaignPage,
  type CompletedSubscription,
  type PlanDigest,
  type RunPage,
  type RunRecord,
  type RunSummary,
} from "../contracts/audit";
import { ReverificationRecordSchema, type ReverificationRecord, type ReverificationRecordInput } from "../contracts/reverify";
import { NotificationRecordSchema, type NotificationRecord } from "../contracts/notification";
import type { Plan } from "../contracts/plan";
import { SubscriptionIdSchema } from "../contracts/ids";
import {
  CampaignInputSchema,
  CampaignRecordSchema,
  type CampaignInput,
  type CampaignRecord,
} from "../contracts/campaign";
import { CampaignIdSchema } from "../contracts/startRequest";
import { decodeDocument, encodeDocument, PARTS_PARTITION, storedJson, type EncodedDocument, type Entity } from "./documents";
import { encodeKey, invertedTime, invertedTimeRange } from "./keys";
import {
  AuditLedger,
  CAMPAIGNS_CHAIN,
  REFUSALS_CHAIN,
  sha256,
  subscriptionChain,
  type AuditLink,
  type AuditRecordRef,
  type AuditVerification,
  type ChainedRecord,
} from "./ledger";
import { RefusalRecordSchema, type RefusalRecord } from "../contracts/refusal";

export interface ListRunsQuery {
  subscriptionId?: string;
  /** Only the runs this campaign started (with subscriptionId: that subscription's run in the campaign). */
  campaignId?: string;
  /** Inclusive bounds on the run's requestedAt (ISO 8601). */
  from?: string;
  to?: string;
  pageSize?: number;
  continuationToken?: string;
}

export interface ListCampaignsQuery {
  /** Inclusive bounds on the campaign's requestedAt (ISO 8601). */
  from?: string;
  to?: string;
  pageSize?: number;
  continuationToken?: string;
}

export interface ListReverificationsQuery {
  pageSize?: number;
  continuationToken?: string;
}

export interface ReverificationPage {
  records: ReverificationRecord[];
  continuationToken?: string;
}

export interface AuditStore {
  /** Creates the tables when missing; the other operations call it on first use. */
  ensureTables(): Promise<void>;
  /** Records a run as "running". Idempotent; a no-op once the run's final record exists. */
  recordRunStarted(input: RemediationInput): Promise<void>;
  /** Writes every resource outcome, then the final run record, and chains it. Idempotent for identical content. */
  recordRunCompleted(result: RemediationResult): Promise<AuditLink>;
  recordReverification(record: ReverificationRecordInput): Promise<AuditLink>;
  /** How one notification of a run went (one record per run and event type; a replay writes the same record). */
  recordNotification(record: NotificationRecord): Promise<void>;
  /** The notifications of a run, oldest first. */
  listNotifications(runId: string): Promise<NotificationRecord[]>;
  /** Runs newest first, by subscription or across all, optionally within a requestedAt range. */
  listRuns(query?: ListRunsQuery): Promise<RunPage>;
  getRun(runId: string): Promise<AuditedRun | undefined>;
  listReverifications(subscriptionId: string, query?: ListReverificationsQuery): Promise<ReverificationPage>;
  /** Subscriptions whose fleet a run has cycled, each with its latest such run (for the re-verification timer). */
  listCompletedSubscriptions(): Promise<CompletedSubscription[]>;
  /** Records a campaign as "running". Idempotent; a no-op once the campaign's final record exists. */
  recordCampaignStarted(input: CampaignInput): Promise<void>;
  /** The campaign's final record (its summary and input), chained. Idempotent for identical content. */
  recordCampaignCompleted(record: CampaignRecord): Promise<AuditLink>;
  /** An action the API refused (401, 403, 409): who tried what, and the answer. Chained with the other refusals. */
  recordRefusal(record: RefusalRecord): Promise<AuditLink>;
  /** Refused actions, newest first. */
  listRefusals(pageSize?: number): Promise<RefusalRecord[]>;
  /**
   * Checks the hash chains against the records as stored now: each record changed, removed or reordered, each link
   * altered or removed, each final record no link vouches for. Optionally only one subscription's chain.
   */
  verify(subscriptionId?: string): Promise<AuditVerification>;
  /** The campaign: its input, and its summary once it has ended; undefined when the audit has no such campaign. */
  getCampaign(campaignId: string): Promise<AuditedCampaign | undefined>;
  /** Campaigns newest first, optionally within a requestedAt range. */
  listCampaigns(query?: ListCampaignsQuery): Promise<CampaignPage>;
}

export interface AuditStoreConfig {
  PORT25_AUDIT_TABLE_CONNECTION?: string | undefined;
  PORT25_AUDIT_TABLE_ENDPOINT?: string | undefined;
  PORT25_AUDIT_TABLE_PREFIX: string;
  AZURE_CLIENT_ID?: string | undefined;
}

export interface AuditStoreDependencies {
  /** Credential for the identity-based endpoint; DefaultAzureCredential when not given. */
  credential?: TokenCredential;
}

const LOOPBACK_HTTP = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;
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

type AuditTables = { [K in keyof AuditTableNames]: TableClient };

function tablesOf(names: AuditTableNames, make: (table: string) => TableClient): AuditTables {
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

/**
 * Builds the store from the app settings: a connection string (Azurite, or a storage account with
 * keys) or, in Azure, the table endpoint with the app's managed identity.
 */
export function createAuditStore(config: AuditStoreConfig, deps: AuditStoreDependencies = {}): AuditStore {
  const names = auditTableNames(config.PORT25_AUDIT_TABLE_PREFIX);
  const connection = config.PORT25_AUDIT_TABLE_CONNECTION;
  if (connection !== undefined) {
    const endpoint = tableEndpointOf(connection);
    if (endpoint === undefined) {
      throw new ConfigError([{ path: "PORT25_AUDIT_TABLE_CONNECTION", message: "names no table endpoint or account" }]);
    }
    const insecure = endpoint.toLowerCase().startsWith("http:");
    if (insecure && !LOOPBACK_HTTP.test(endpoint)) {
      throw new ConfigError([{ path: "PORT25_AUDIT_TABLE_CONNECTION", message: "plain http is only accepted for a loopback endpoint (Azurite)" }]);
    }
    const make = (table: string): TableClient =>
      TableClient.fromConnectionString(connection, table, { allowInsecureConnection: insecure });
    return new TableAuditStore(tablesOf(names, make));
  }
  const endpoint = config.PORT25_AUDIT_TABLE_ENDPOINT;
  if (endpoint === undefined) {
    throw new ConfigError([
      { path: "PORT25_AUDIT_TABLE_ENDPOINT", message: "set the table endpoint (or PORT25_AUDIT_TABLE_CONNECTION locally)" },
    ]);
  }
  if (!endpoint.toLowerCase().startsWith("https:")) {
    throw new ConfigError([{ path: "PORT25_AUDIT_TABLE_ENDPOINT", message: "must be https for identity-based access" }]);
  }
  const credential =
    deps.credential ??
    new DefaultAzureCredential(config.AZURE_CLIENT_ID === undefined ? {} : { managedIdentityClientId: config.AZURE_CLIENT_ID });
  const make = (table: string): TableClient => new TableClient(endpoint, table, credential);
  return new TableAuditStore(tablesOf(names, make));
}

/** SHA-256 of the plan's JSON, with the counts an auditor reads without the plan itself. */
export function planDigest(plan: Plan): PlanDigest {
  return {
    sha256: createHash("sha256").update(JSON.stringify(plan), "utf8").digest("hex"),
    counts: plan.counts,
    waves: plan.waves.length,
    caps: plan.caps,
  };
}

const P_RUN = "run";
const P_ALL = "all";
const P_COMPLETED = "completed";
const subscriptionPartition = (subscriptionId: string): string => `sub-${subscriptionId.toLowerCase()}`;
/** Campaign ids are compared without case, as their instance ids are (campaignInstanceId). */
const campaignKey = (campaignId: string): string => encodeKey(campaignId.toLowerCase());
const campaignPartition = (campaignId: string): string => `campaign-${campaignKey(campaignId)}`;
const listingRowKey = (requestedAt: string, id: string): string => `${invertedTime(requestedAt)}_${encodeKey(id)}`;
const P_CAMPAIGN = "campaign";
const P_REFUSAL = "refusal";

const OutcomeDocSchema = z.object({ seq: z.number().int().min(0), outcome: ResourceOutcomeSchema });

type ConflictDecision = "replace" | "keep" | "conflict";
/** Decides what to do when a different document already sits under the same key. */
type OnConflict = (existing: Record<string, unknown>) => ConflictDecision;
const refuse: OnConflict = () => "conflict";

function statusOf(entity: Record<string, unknown>): string | undefined {
  return typeof entity.status === "string" ? entity.status : undefined;
}
/** A "running" record may be replaced by the final one; a final record stays; two finals must agree. */
const finalReplacesRunning: OnConflict = (existing) => (statusOf(existing) === "running" ? "replace" : "conflict");
const startedAfterFinal: OnConflict = (existing) => (statusOf(existing) === "running" ? "conflict" : "keep");

function statusCodeOf(e: unknown): number | undefined {
  if (typeof e === "object" && e !== null && "statusCode" in e && typeof e.statusCode === "number") return e.statusCode;
  return undefined;
}

class TableAuditStore implements AuditStore {
  private tablesReady: Promise<void> | undefined;

  private readonly runs: TableClient;
  private readonly outcomes: TableClient;
  private readonly reverify: TableClient;
  private readonly notify: TableClient;
  private readonly campaigns: TableClient;
  private readonly refusals: TableClient;
  private readonly ledger: AuditLedger;

  constructor(private readonly tables: AuditTables) {
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

  async recordRefusal(raw: RefusalRecord): Promise<AuditLink> {
    const record = parseWith(RefusalRecordSchema, raw, "refusal record");
    await this.ensureTables();
    const doc = encodeDocument(P_REFUSAL, `${invertedTime(record.at)}_${encodeKey(record.id)}`, storedJson(record), { at: record.at, status: record.status });
    await this.writeDocument(this.refusals, doc, refuse);
    const ref: AuditRecordRef = { table: "refusals", partitionKey: doc.head.partitionKey, rowKey: doc.head.rowKey };
    return this.ledger.append(REFUSALS_CHAIN, "refusal", ref, sha256(doc.json), record.at);
  }

  async listRefusals(pageSize?: number): Promise<RefusalRecord[]> {
    await this.ensureTables();
    const page = await this.firstPage(this.refusals, `PartitionKey eq '${P_REFUSAL}'`, pageSizeOf(pageSize), undefined);
    const out: RefusalRecord[] = [];
    for (const entity of page.entities) out.push(parseWith(RefusalRecordSchema, JSON.parse(await this.read(this.refusals, entity)), "stored refusal"));
    return out;
  }

  async verify(subscriptionId?: string): Promise<AuditVerification> {
    const sub = subscriptionId === undefined ? undefined : parseWith(SubscriptionIdSchema, subscriptionId, "subscriptionId");
    await this.ensureTables();
    const records: ChainedRecord[] = [];
    const finals = (e: Record<string, unknown>): boolean => statusOf(e) !== "running";
    const runFilter = sub === undefined ? `PartitionKey eq '${P_RUN}'` : `PartitionKey eq '${P_RUN}' and subscriptionId eq '${sub}'`;
    for await (const e of this.runs.listEntities<Record<string, unknown>>({ queryOptions: { filter: runFilter } })) {
      if (finals(e) && typeof e.subscriptionId === "string") {
        records.push({ chain: subscriptionChain(e.subscriptionId), ref: { table: "runs", partitionKey: P_RUN, rowKey: String(e.rowKey) } });
      }
    }
    const reverifyFilter = sub === undefined ? `PartitionKey ne '${PARTS_PARTITION}'` : `PartitionKey eq '${sub}'`;
    for await (const e of this.reverify.listEntities<Record<string, unknown>>({ queryOptions: { filter: reverifyFilter } })) {
      records.push({ chain: subscriptionChain(String(e.partitionKey)), ref: { table: "reverify", partitionKey: String(e.partitionKey), rowKey: String(e.rowKey) } });
    }
    if (sub === undefined) {
      for await (const e of this.campaigns.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${P_CAMPAIGN}'` } })) {
        if (finals(e)) records.push({ chain: CAMPAIGNS_CHAIN, ref: { table: "campaigns", partitionKey: P_CAMPAIGN, rowKey: String(e.rowKey) } });
      }
      for await (const e of this.refusals.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${P_REFUSAL}'` } })) {
        records.push({ chain: REFUSALS_CHAIN, ref: { table: "refusals", partitionKey: P_REFUSAL, rowKey: String(e.rowKey) } });
      }
    }
    // A record whose own stored hash no longer matches (edited by hand) reads as a text no link can vouch for.
    const readRecord = async (ref: AuditRecordRef): Promise<string | undefined> => {
      try {
        return await this.storedRecord(ref);
      } catch (e) {
        return `unreadable: ${ensureError(e).message}`;
      }
    };
    return this.ledger.verify(readRecord, records, sub === undefined ? undefined : subscriptionChain(sub));
  }

  /** A chained record as stored now (a run's with its outcomes, in order), or undefined when it is gone. */
  private async storedRecord(ref: AuditRecordRef): Promise<string | undefined> {
    const client = this.tables[ref.table];
    const head = await this.getEntity(client, ref.partitionKey, ref.rowKey);
    if (head === undefined) return undefined;
    const json = await this.read(client, head);
    if (ref.table !== "runs") return json;
    const outcomes: { seq: number; json: string }[] = [];
    for await (const e of this.outcomes.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${ref.rowKey}'` } })) {
      const text = await this.read(this.outcomes, e);
      outcomes.push({ seq: parseWith(OutcomeDocSchema, JSON.parse(text), "stored outcome").seq, json: text });
    }
    outcomes.sort((a, b) => a.seq - b.seq);
    return [json, ...outcomes.map((o) => o.json)].join("\n");
  }

  async recordRunStarted(raw: RemediationInput): Promise<void> {
    const input = parseWith(RemediationInputSchema, raw, "run start for the audit");
    await this.ensureTables();
    await this.writeRun(requestRecordOf(input, "running"), startedAfterFinal);
  }

  async recordRunCompleted(raw: RemediationResult): Promise<AuditLink> {
    const result = parseWith(RemediationResultSchema, raw, "run result for the audit");
    const { input, summary } = result;
    if (summary.runId !== input.runId || summary.subscriptionId !== input.subscriptionId) {
      throw new ValidationError("run result for the audit", [
        { path: "summary.runId", message: "summary and input name different runs or subscriptions" },
      ]);
    }
    const seen = new Map<string, number>();
    result.outcomes.forEach((o, i) => {
      const key = encodeKey(o.resourceId);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new ValidationError("run result for the audit", [
          { path: `outcomes[${i}].resourceId`, message: `repeats outcomes[${earlier}] (${o.resourceId})` },
        ]);
      }
      seen.set(key, i);
    });
    await this.ensureTables();

    // Outcomes first: a final run record is only ever visible with all of its outcomes in place.
    const runPartition = encodeKey(input.runId);
    const docs = result.outcomes.map((outcome, seq) =>
      encodeDocument(runPartition, encodeKey(outcome.resourceId), storedJson({ seq, outcome }), { outcome: outcome.outcome, kind: outcome.kind }),
    );
    await this.writeMany(this.outcomes, docs);

    const record = runRecordOf(result);
    await this.writeRun(record, finalReplacesRunning);
    if (REVERIFIABLE_STATUSES.includes(record.status)) await this.markCompleted(record);
    const ref: AuditRecordRef = { table: "runs", partitionKey: P_RUN, rowKey: encodeKey(record.runId) };
    const stored = await this.storedRecord(ref);
    if (stored === undefined) throw new PreconditionError(`The run record ${record.runId} vanished while it was being chained`, "AuditWriteContention");
    return this.ledger.append(subscriptionChain(record.subscriptionId), "run", ref, sha256(stored), summary.endedAt);
  }

  async recordReverification(raw: ReverificationRecordInput): Promise<AuditLink> {
    const record = parseWith(ReverificationRecordSchema, raw, "re-verification record");
    await this.ensureTables();
    const doc = encodeDocument(record.subscriptionId, invertedTime(record.at), storedJson(record), { at: record.at });
    await this.writeDocument(this.reverify, doc, refuse);
    const ref: AuditRecordRef = { table: "reverify", partitionKey: doc.head.partitionKey, rowKey: doc.head.rowKey };
    return this.ledger.append(subscriptionChain(record.subscriptionId), "reverification", ref, sha256(doc.json), record.at);
  }

  async recordNotification(raw: NotificationRecord): Promise<void> {
    const record = parseWith(NotificationRecordSchema, raw, "notification record");
    await this.ensureTables();
    const doc = encodeDocument(encodeKey(record.runId), encodeKey(record.key), storedJson(record), { status: record.status, subscriptionId: record.subscriptionId });
    await this.writeDocument(this.notify, doc, refuse);
  }

  async listNotifications(runId: string): Promise<NotificationRecord[]> {
    await this.ensureTables();
    const out: NotificationRecord[] = [];
    const entities = this.notify.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${encodeKey(runId)}'` } });
    for await (const entity of entities) {
      out.push(parseWith(NotificationRecordSchema, JSON.parse(await this.read(this.notify, entity)), "stored notification record"));
    }
    return out.sort((a, b) => a.at.localeCompare(b.at) || a.type.localeCompare(b.type));
  }

  async listRuns(query: ListRunsQuery = {}): Promise<RunPage> {
    const pageSize = pageSizeOf(query.pageSize);
    const subscriptionId =
      query.subscriptionId === undefined ? undefined : parseWith(SubscriptionIdSchema, query.subscriptionId, "subscriptionId");
    const campaignId = query.campaignId === undefined ? undefined : parseWith(CampaignIdSchema, query.campaignId, "campaignId");
    await this.ensureTables();
    const partition =
      campaignId !== undefined ? campaignPartition(campaignId) : subscriptionId === undefined ? P_ALL : subscriptionPartition(subscriptionId);
    const range = invertedTimeRange(query.from, query.to);
    const clauses = [`PartitionKey eq '${partition}'`];
    // Both given: the campaign's lines, narrowed to the subscription (a GUID, so safe in the filter).
    if (campaignId !== undefined && subscriptionId !== undefined) clauses.push(`subscriptionId eq '${subscriptionId}'`);
    if (range.ge !== undefined) clauses.push(`RowKey ge '${range.ge}'`);
    if (range.lt !== undefined) clauses.push(`RowKey lt '${range.lt}'`);
    const page = await this.firstPage(this.runs, clauses.join(" and "), pageSize, query.continuationToken);
    const runs: RunSummary[] = [];
    for (const entity of page.entities) {
      runs.push(parseWith(RunSummarySchema, JSON.parse(await this.read(this.runs, entity)), "stored run summary"));
    }
    return page.continuationToken === undefined ? { runs } : { runs, continuationToken: page.continuationToken };
  }

  async getRun(runId: string): Promise<AuditedRun | undefined> {
    await this.ensureTables();
    const head = await this.getEntity(this.runs, P_RUN, encodeKey(runId));
    if (head === undefined) return undefined;
    const run = parseWith(RunRecordSchema, JSON.parse(await this.read(this.runs, head)), "stored run record");
    const partition = encodeKey(runId);
    const docs: { seq: number; outcome: ResourceOutcome }[] = [];
    const entities = this.outcomes.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${partition}'` },
    });
    for await (const entity of entities) {
      docs.push(parseWith(OutcomeDocSchema, JSON.parse(await this.read(this.outcomes, entity)), "stored resource outcome"));
    }
    docs.sort((a, b) => a.seq - b.seq);
    const notifications = await this.listNotifications(runId);
    return { run, outcomes: docs.map((d) => d.outcome), ...(notifications.length > 0 ? { notifications } : {}) };
  }

  async listReverifications(subscriptionId: string, query: ListReverificationsQuery = {}): Promise<ReverificationPage> {
    const sub = parseWith(SubscriptionIdSchema, subscriptionId, "subscriptionId");
    await this.ensureTables();
    const page = await this.firstPage(this.reverify, `PartitionKey eq '${sub}'`, pageSizeOf(query.pageSize), query.continuationToken);
    const records: ReverificationRecord[] = [];
    for (const entity of page.entities) {
      records.push(parseWith(ReverificationRecordSchema, JSON.parse(await this.read(this.reverify, entity)), "stored re-verification"));
    }
    return page.continuationToken === undefined ? { records } : { records, continuationToken: page.continuationToken };
  }

  async listCompletedSubscriptions(): Promise<CompletedSubscription[]> {
    await this.ensureTables();
    const out: CompletedSubscription[] = [];
    const entities = this.runs.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${P_COMPLETED}'` } });
    for await (const entity of entities) {
      out.push(parseWith(CompletedSubscriptionSchema, JSON.parse(await this.read(this.runs, entity)), "stored completed subscription"));
    }
    return out;
  }

  async recordCampaignStarted(raw: CampaignInput): Promise<void> {
    const input = parseWith(CampaignInputSchema, raw, "campaign start for the audit");
    await this.ensureTables();
    await this.writeCampaign({ campaignId: input.campaignId, status: "running", input }, startedAfterFinal);
  }

  async recordCampaignCompleted(raw: CampaignRecord): Promise<AuditLink> {
    const record = parseWith(CampaignRecordSchema, raw, "campaign record for the audit");
    if (record.summary.campaignId !== record.input.campaignId) {
      throw new ValidationError("campaign record for the audit", [
        { path: "summary.campaignId", message: `names campaign ${record.summary.campaignId}, the input ${record.input.campaignId}` },
      ]);
    }
    await this.ensureTables();
    await this.writeCampaign(
      { campaignId: record.input.campaignId, status: record.summary.status, input: record.input, summary: record.summary },
      finalReplacesRunning,
    );
    const ref: AuditRecordRef = { table: "campaigns", partitionKey: P_CAMPAIGN, rowKey: campaignKey(record.input.campaignId) };
    const stored = await this.storedRecord(ref);
    if (stored === undefined) throw new PreconditionError(`The campaign record ${record.input.campaignId} vanished while it was being chained`, "AuditWriteContention");
    return this.ledger.append(CAMPAIGNS_CHAIN, "campaign", ref, sha256(stored), record.summary.endedAt);
  }

  async getCampaign(campaignId: string): Promise<AuditedCampaign | undefined> {
    const id = parseWith(CampaignIdSchema, campaignId, "campaignId");
    await this.ensureTables();
    const head = await this.getEntity(this.campaigns, P_CAMPAIGN, campaignKey(id));
    if (head === undefined) return undefined;
    return parseWith(AuditedCampaignSchema, JSON.parse(await this.read(this.campaigns, head)), "stored campaign");
  }

  async listCampaigns(query: ListCampaignsQuery = {}): Promise<CampaignPage> {
    const pageSize = pageSizeOf(query.pageSize);
    await this.ensureTables();
    const range = invertedTimeRange(query.from, query.to);
    const clauses = [`PartitionKey eq '${P_ALL}'`];
    if (range.ge !== undefined) clauses.push(`RowKey ge '${range.ge}'`);
    if (range.lt !== undefined) clauses.push(`RowKey lt '${range.lt}'`);
    const page = await this.firstPage(this.campaigns, clauses.join(" and "), pageSize, query.continuationToken);
    const campaigns: CampaignListing[] = [];
    for (const entity of page.entities) {
      campaigns.push(parseWith(CampaignListingSchema, JSON.parse(await this.read(this.campaigns, entity)), "stored campaign listing"));
    }
    return page.continuationToken === undefined ? { campaigns } : { campaigns, continuationToken: page.continuationToken };
  }

  // ---- writing ----

  /** The campaign's record, then its listing line. */
  private async writeCampaign(campaign: AuditedCampaign, onConflict: OnConflict): Promise<void> {
    const parsed = parseWith(AuditedCampaignSchema, campaign, "campaign record");
    const requestedAt = parsed.input.run.requestedAt;
    const scalars = { status: parsed.status, requestedAt };
    await this.writeDocument(this.campaigns, encodeDocument(P_CAMPAIGN, campaignKey(parsed.campaignId), storedJson(parsed), scalars), onConflict);
    const line = storedJson(campaignListingOf(parsed));
    await this.writeDocument(this.campaigns, encodeDocument(P_ALL, listingRowKey(requestedAt, parsed.campaignId.toLowerCase()), line, scalars), onConflict);
  }

  /** The run record, then its two listing lines (by subscription, across all). */
  private async writeRun(record: RunRecord, onConflict: OnConflict): Promise<void> {
    const parsed = parseWith(RunRecordSchema, record, "run record");
    const scalars = { status: parsed.status, subscriptionId: parsed.subscriptionId, requestedAt: parsed.requestedAt };
    await this.writeDocument(this.runs, encodeDocument(P_RUN, encodeKey(parsed.runId), storedJson(parsed), scalars), onConflict);
    const summaryJson = storedJson(runSummaryOf(parsed));
    const rowKey = listingRowKey(parsed.requestedAt, parsed.runId);
    const partitions = [subscriptionPartition(parsed.subscriptionId), P_ALL];
    if (parsed.campaign !== undefined) partitions.push(campaignPartition(parsed.campaign.campaignId));
    for (const partition of partitions) {
      await this.writeDocument(this.runs, encodeDocument(partition, rowKey, summaryJson, scalars), onConflict);
    }
  }

  /** The "completed" index keeps the latest cycling run per subscription; it moves forward only. */
  private async markCompleted(record: RunRecord): Promise<void> {
    const entry = parseWith(
      CompletedSubscriptionSchema,
      {
        subscriptionId: record.subscriptionId,
        runId: record.runId,
        status: record.status,
        requestedAt: record.requestedAt,
        endedAt: record.summary?.endedAt ?? record.requestedAt,
        category: record.classification?.category,
      },
      "completed subscription",
    );
    const order = `${invertedTime(entry.requestedAt)}_${encodeKey(entry.runId)}`;
    const doc = encodeDocument(P_COMPLETED, entry.subscriptionId, storedJson(entry), { order });
    // Smaller inverted key = newer run: replace only an older entry.
    await this.writeDocument(this.runs, doc, (existing) =>
      typeof existing.order === "string" && existing.order > order ? "replace" : "keep",
    );
  }

  /** Writes many documents of one partition, in transactions where possible. */
  private async writeMany(client: TableClient, docs: EncodedDocument[]): Promise<void> {
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
        for (const d of current) await this.writeEntity(client, d.head, refuse, d.json);
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

  private async writeDocument(client: TableClient, doc: EncodedDocument, onConflict: OnConflict): Promise<void> {
    for (const part of doc.parts) await this.writeEntity(client, part, refuse, undefined);
    await this.writeEntity(client, doc.head, onConflict, doc.json);
  }

  /**
   * Creates `entity`; if its key is taken, compares the stored document with `json` (or, for a part,
   * the raw chunks): identical is success, otherwise `onConflict` decides. Replacement is ETag-guarded;
   * if someone else changed the entity meanwhile, the comparison starts over.
   */
  private async writeEntity(client: TableClient, entity: Entity, onConflict: OnConflict, json: string | undefined): Promise<void> {
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

  // ---- reading ----

  private async getEntity(client: TableClient, partitionKey: string, rowKey: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (e) {
      if (statusCodeOf(e) === 404) return undefined;
      throw ensureError(e);
    }
  }

  private read(client: TableClient, head: Record<string, unknown>): Promise<string> {
    return decodeDocument(head, async (rowKey) => {
      const part = await this.getEntity(client, PARTS_PARTITION, rowKey);
      if (part === undefined) throw new Error(`Stored document part ${rowKey} is missing from ${client.tableName}`);
      return part;
    });
  }

  private async firstPage(
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
    return page.continuationToken === undefined ? { entities } : { entities, continuationToken: page.continuationToken };
  }
}

function sameChunks(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (a.chunks !== b.chunks || typeof b.chunks !== "number") return false;
  for (let i = 0; i < b.chunks; i++) if (a[`doc_${i}`] !== b[`doc_${i}`]) return false;
  return true;
}

function pageSizeOf(requested: number | undefined): number {
  const size = requested ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new ValidationError("page size", [{ path: "pageSize", message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` }]);
  }
  return size;
}

/** What a run record says about the request itself: who asked, when, with which attestation and options. */
function requestRecordOf(input: RemediationInput, status: RunRecord["status"]): RunRecord {
  return {
    runId: input.runId,
    subscriptionId: input.subscriptionId,
    status,
    mode: input.mode,
    requireApproval: input.requireApproval,
    requestedBy: input.requestedBy,
    ...(input.requestedById === undefined ? {} : { requestedById: input.requestedById }),
    requestedAt: input.requestedAt,
    ...(input.allowSelfApproval ? { allowSelfApproval: true } : {}),
    attestation: input.attestation,
    options: input.options,
    probeHost: input.probeHost,
    ...(input.campaign === undefined ? {} : { campaign: input.campaign }),
    ...(input.clock === undefined ? {} : { clock: input.clock }),
  };
}

/** The final run record of a result: who, when, attestation, classification, plan digest, options, summary. */
export function runRecordOf(result: RemediationResult): RunRecord {
  const { input, summary } = result;
  return {
    ...requestRecordOf(input, summary.status),
    classification: result.classification,
    ...(result.plan === undefined ? {} : { plan: planDigest(result.plan) }),
    summary,
  };
}

export function runSummaryOf(record: RunRecord): RunSummary {
  const s = record.summary;
  return RunSummarySchema.parse({
    runId: record.runId,
    subscriptionId: record.subscriptionId,
    status: AuditStatusSchema.parse(record.status),
    mode: record.mode,
    requestedBy: record.requestedBy,
    requestedAt: record.requestedAt,
    attestationReference: record.attestation.reference,
    category: record.classification?.category,
    startedAt: s?.startedAt,
    endedAt: s?.endedAt,
    counts: s?.counts,
    message: s?.message,
    campaignId: record.campaign?.campaignId,
    clock: record.clock,
  });
}

/** The listing line of a campaign: who, when, what, and (once ended) how it went; never its members. */
export function campaignListingOf(c: AuditedCampaign): CampaignListing {
  const { input, summary } = c;
  const target = input.target;
  return CampaignListingSchema.parse({
    campaignId: c.campaignId,
    status: c.status,
    mode: input.run.mode,
    requestedBy: input.run.requestedBy,
    requestedAt: input.run.requestedAt,
    attestationReference: input.run.attestation.reference,
    target: target.kind,
    managementGroupId: target.kind === "managementGroup" ? target.managementGroupId : undefined,
    subscriptions: summary?.totals.subscriptions ?? (target.kind === "subscriptions" ? target.subscriptionIds.length : undefined),
    startedAt: summary?.startedAt,
    endedAt: summary?.endedAt,
    message: summary?.message,
    totals: summary?.totals,
    clock: input.run.clock,
  });
}

