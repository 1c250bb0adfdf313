/**
 * The audit store on Azure Table Storage (Azurite locally): run, campaign and refusal records, composed over the
 * shared table access (tables.ts lays out the tables and the append-only rule).
 */
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";
import { ConfigError, ensureError } from "../errors";
import { parseWith } from "../contracts/parse";
import type { RemediationInput, RemediationResult } from "../contracts/remediation";
import type { AuditedCampaign, AuditedRun, CampaignPage, CompletedSubscription, RunPage } from "../contracts/audit";
import type { ReverificationRecordInput } from "../contracts/reverify";
import type { NotificationRecord } from "../contracts/notification";
import { SubscriptionIdSchema } from "../contracts/ids";
import type { CampaignInput, CampaignRecord } from "../contracts/campaign";
import { PARTS_PARTITION } from "./documents";
import {
  CAMPAIGNS_CHAIN,
  REFUSALS_CHAIN,
  subscriptionChain,
  type AuditLink,
  type AuditRecordRef,
  type AuditVerification,
  type ChainedRecord,
} from "./ledger";
import type { RefusalRecord } from "../contracts/refusal";
import {
  AuditTableAccess,
  P_CAMPAIGN,
  P_REFUSAL,
  P_RUN,
  statusOf,
  type AuditTables,
  tablesOf,
  tableEndpointOf,
  LOOPBACK_HTTP,
  auditTableNames,
} from "./tables";
import { RunRecords, type ListRunsQuery, type ListReverificationsQuery, type ReverificationPage } from "./runStore";
import { CampaignRecords, type ListCampaignsQuery } from "./campaignStore";
import type { RecordLaneOutcomesInput } from "../contracts/durable/recordLaneOutcomes";
import { RefusalRecords } from "./refusalStore";

export interface AuditStore {
  /** Creates the tables when missing; the other operations call it on first use. */
  ensureTables(): Promise<void>;
  /** Records a run as "running". Idempotent; a no-op once the run's final record exists. */
  recordRunStarted(input: RemediationInput): Promise<void>;
  /** Writes every resource outcome, then the final run record, and chains it. Idempotent for identical content. */
  recordRunCompleted(result: RemediationResult): Promise<AuditLink>;
  /** Writes a lane's outcomes to its run's record, before the run's final record (idempotent for identical content). */
  recordLaneOutcomes(input: RecordLaneOutcomesInput): Promise<void>;
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

/**
 * Builds the store from the app settings: a connection string (Azurite, or a storage account with
 * keys) or, in Azure, the table endpoint with the app's managed identity.
 */
export function createAuditStore(config: AuditStoreConfig, deps: AuditStoreDependencies = {}): AuditStore {
  return new TableAuditStore(
    tablesOf(auditTableNames(config.PORT25_AUDIT_TABLE_PREFIX), tableClientMaker(config, deps)),
  );
}

/**
 * How a client of one of the app's tables is built from the app settings: by connection string (Azurite, or a storage
 * account with keys) or, in Azure, at the table endpoint with the app's managed identity. The audit store and the
 * record of first writes (sendIntents.ts) share it.
 */
export function tableClientMaker(
  config: AuditStoreConfig,
  deps: AuditStoreDependencies = {},
): (table: string) => TableClient {
  const connection = config.PORT25_AUDIT_TABLE_CONNECTION;
  if (connection !== undefined) {
    const endpoint = tableEndpointOf(connection);
    if (endpoint === undefined) {
      throw new ConfigError([{ path: "PORT25_AUDIT_TABLE_CONNECTION", message: "names no table endpoint or account" }]);
    }
    const insecure = endpoint.toLowerCase().startsWith("http:");
    if (insecure && !LOOPBACK_HTTP.test(endpoint)) {
      throw new ConfigError([
        {
          path: "PORT25_AUDIT_TABLE_CONNECTION",
          message: "plain http is only accepted for a loopback endpoint (Azurite)",
        },
      ]);
    }
    return (table) => TableClient.fromConnectionString(connection, table, { allowInsecureConnection: insecure });
  }
  const endpoint = config.PORT25_AUDIT_TABLE_ENDPOINT;
  if (endpoint === undefined) {
    throw new ConfigError([
      {
        path: "PORT25_AUDIT_TABLE_ENDPOINT",
        message: "set the table endpoint (or PORT25_AUDIT_TABLE_CONNECTION locally)",
      },
    ]);
  }
  if (!endpoint.toLowerCase().startsWith("https:")) {
    throw new ConfigError([
      { path: "PORT25_AUDIT_TABLE_ENDPOINT", message: "must be https for identity-based access" },
    ]);
  }
  const credential =
    deps.credential ??
    new DefaultAzureCredential(
      config.AZURE_CLIENT_ID === undefined ? {} : { managedIdentityClientId: config.AZURE_CLIENT_ID },
    );
  return (table) => new TableClient(endpoint, table, credential);
}

class TableAuditStore implements AuditStore {
  private readonly t: AuditTableAccess;
  private readonly runRecords: RunRecords;
  private readonly campaignRecords: CampaignRecords;
  private readonly refusalRecords: RefusalRecords;

  constructor(tables: AuditTables) {
    this.t = new AuditTableAccess(tables);
    this.runRecords = new RunRecords(this.t);
    this.campaignRecords = new CampaignRecords(this.t);
    this.refusalRecords = new RefusalRecords(this.t);
  }

  ensureTables(): Promise<void> {
    return this.t.ensureTables();
  }

  recordRunStarted(input: RemediationInput): Promise<void> {
    return this.runRecords.recordRunStarted(input);
  }

  recordRunCompleted(result: RemediationResult): Promise<AuditLink> {
    return this.runRecords.recordRunCompleted(result);
  }

  recordLaneOutcomes(input: RecordLaneOutcomesInput): Promise<void> {
    return this.runRecords.recordLaneOutcomes(input);
  }

  recordReverification(record: ReverificationRecordInput): Promise<AuditLink> {
    return this.runRecords.recordReverification(record);
  }

  recordNotification(record: NotificationRecord): Promise<void> {
    return this.runRecords.recordNotification(record);
  }

  listNotifications(runId: string): Promise<NotificationRecord[]> {
    return this.runRecords.listNotifications(runId);
  }

  listRuns(query?: ListRunsQuery): Promise<RunPage> {
    return this.runRecords.listRuns(query);
  }

  getRun(runId: string): Promise<AuditedRun | undefined> {
    return this.runRecords.getRun(runId);
  }

  listReverifications(subscriptionId: string, query?: ListReverificationsQuery): Promise<ReverificationPage> {
    return this.runRecords.listReverifications(subscriptionId, query);
  }

  listCompletedSubscriptions(): Promise<CompletedSubscription[]> {
    return this.runRecords.listCompletedSubscriptions();
  }

  recordCampaignStarted(input: CampaignInput): Promise<void> {
    return this.campaignRecords.recordCampaignStarted(input);
  }

  recordCampaignCompleted(record: CampaignRecord): Promise<AuditLink> {
    return this.campaignRecords.recordCampaignCompleted(record);
  }

  recordRefusal(record: RefusalRecord): Promise<AuditLink> {
    return this.refusalRecords.recordRefusal(record);
  }

  listRefusals(pageSize?: number): Promise<RefusalRecord[]> {
    return this.refusalRecords.listRefusals(pageSize);
  }

  getCampaign(campaignId: string): Promise<AuditedCampaign | undefined> {
    return this.campaignRecords.getCampaign(campaignId);
  }

  listCampaigns(query?: ListCampaignsQuery): Promise<CampaignPage> {
    return this.campaignRecords.listCampaigns(query);
  }

  async verify(subscriptionId?: string): Promise<AuditVerification> {
    const sub =
      subscriptionId === undefined ? undefined : parseWith(SubscriptionIdSchema, subscriptionId, "subscriptionId");
    await this.t.ensureTables();
    const records: ChainedRecord[] = [];
    const finals = (e: Record<string, unknown>): boolean => statusOf(e) !== "running";
    const runFilter =
      sub === undefined ? `PartitionKey eq '${P_RUN}'` : `PartitionKey eq '${P_RUN}' and subscriptionId eq '${sub}'`;
    for await (const e of this.t.runs.listEntities<Record<string, unknown>>({ queryOptions: { filter: runFilter } })) {
      if (finals(e) && typeof e.subscriptionId === "string") {
        records.push({
          chain: subscriptionChain(e.subscriptionId),
          ref: { table: "runs", partitionKey: P_RUN, rowKey: String(e.rowKey) },
        });
      }
    }
    const reverifyFilter = sub === undefined ? `PartitionKey ne '${PARTS_PARTITION}'` : `PartitionKey eq '${sub}'`;
    for await (const e of this.t.reverify.listEntities<Record<string, unknown>>({
      queryOptions: { filter: reverifyFilter },
    })) {
      records.push({
        chain: subscriptionChain(String(e.partitionKey)),
        ref: { table: "reverify", partitionKey: String(e.partitionKey), rowKey: String(e.rowKey) },
      });
    }
    if (sub === undefined) {
      for await (const e of this.t.campaigns.listEntities<Record<string, unknown>>({
        queryOptions: { filter: `PartitionKey eq '${P_CAMPAIGN}'` },
      })) {
        if (finals(e))
          records.push({
            chain: CAMPAIGNS_CHAIN,
            ref: { table: "campaigns", partitionKey: P_CAMPAIGN, rowKey: String(e.rowKey) },
          });
      }
      for await (const e of this.t.refusals.listEntities<Record<string, unknown>>({
        queryOptions: { filter: `PartitionKey eq '${P_REFUSAL}'` },
      })) {
        records.push({
          chain: REFUSALS_CHAIN,
          ref: { table: "refusals", partitionKey: P_REFUSAL, rowKey: String(e.rowKey) },
        });
      }
    }
    // A record whose own stored hash no longer matches (edited by hand) reads as a text no link can vouch for.
    const readRecord = async (ref: AuditRecordRef): Promise<string | undefined> => {
      try {
        return await this.t.storedRecord(ref);
      } catch (e) {
        return `unreadable: ${ensureError(e).message}`;
      }
    };
    return this.t.ledger.verify(readRecord, records, sub === undefined ? undefined : subscriptionChain(sub));
  }
}
