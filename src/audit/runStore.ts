/** Run records: a run's start and final record with its outcomes, its notifications, its re-verifications, and the listings over them. */
import { createHash } from "node:crypto";
import { ValidationError } from "../errors";
import { parseWith } from "../contracts/parse";
import {
  RemediationInputSchema,
  RemediationResultSchema,
  type RemediationInput,
  type RemediationResult,
} from "../contracts/remediation";
import type { ResourceOutcome } from "../contracts/outcome";
import {
  AuditStatusSchema,
  CompletedSubscriptionSchema,
  REVERIFIABLE_STATUSES,
  RunRecordSchema,
  RunSummarySchema,
  type AuditedRun,
  type CompletedSubscription,
  type PlanDigest,
  type RunPage,
  type RunRecord,
  type RunSummary,
} from "../contracts/audit";
import {
  ReverificationRecordSchema,
  type ReverificationRecord,
  type ReverificationRecordInput,
} from "../contracts/reverify";
import { NotificationRecordSchema, type NotificationRecord } from "../contracts/notification";
import type { Plan } from "../contracts/plan";
import { SubscriptionIdSchema } from "../contracts/ids";
import { CampaignIdSchema } from "../contracts/startRequest";
import { encodeDocument, storedJson } from "./documents";
import { RecordLaneOutcomesInput } from "../contracts/durable/recordLaneOutcomes";
import { outcomeDoc, placesInPlan, recordedTexts } from "./runOutcomes";
import { encodeKey, invertedTime, invertedTimeRange } from "./keys";
import { sha256, subscriptionChain, type AuditLink, type AuditRecordRef } from "./ledger";
import {
  type AuditTableAccess,
  OutcomeDocSchema,
  P_ALL,
  P_COMPLETED,
  P_RUN,
  campaignPartition,
  chainedRunText,
  finalReplacesRunning,
  listingRowKey,
  pageSizeOf,
  refuse,
  keepExisting,
  startedAfterFinal,
  subscriptionPartition,
  type OnConflict,
} from "./tables";

export interface ListRunsQuery {
  subscriptionId?: string | undefined;
  /** Only the runs this campaign started (with subscriptionId: that subscription's run in the campaign). */
  campaignId?: string | undefined;
  /** Inclusive bounds on the run's requestedAt (ISO 8601). */
  from?: string | undefined;
  to?: string | undefined;
  pageSize?: number | undefined;
  continuationToken?: string | undefined;
}

export interface ListReverificationsQuery {
  pageSize?: number;
  continuationToken?: string;
}

export interface ReverificationPage {
  records: ReverificationRecord[];
  continuationToken?: string;
}

export class RunRecords {
  constructor(private readonly t: AuditTableAccess) {}

  async recordRunStarted(raw: RemediationInput): Promise<void> {
    const input = parseWith(RemediationInputSchema, raw, "run start for the audit");
    await this.t.ensureTables();
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
    await this.t.ensureTables();

    // Outcomes first: a final run record is only ever visible with all of its outcomes in place. Each goes where the
    // plan has it (the entry's index; a resource the plan did not list after the plan's), as the lanes placed theirs.
    const runPartition = encodeKey(input.runId);
    const seqOf = placesInPlan(result);
    const docs = result.outcomes.map((outcome, i) => outcomeDoc(runPartition, seqOf(outcome, i), outcome));
    // An outcome the run holds only because a child failed unexpectedly (a wave or lane whose output it never read)
    // gives way to the one that resource's lane already wrote: the lane decided it, and the record is never rewritten.
    const unexpected = new Set(docs.filter((_d, i) => result.outcomes[i]?.reasonCode === "unexpected"));
    await this.t.writeMany(this.t.outcomes, docs, (d) => (unexpected.has(d) ? keepExisting : refuse));
    // The record is chained over what the partition holds, in the record's order, as the verification reads it back.
    const lanes = result.laneOutcomes;
    const texts = await recordedTexts(this.t, runPartition, docs.length + (lanes?.count ?? 0), lanes?.lanes ?? []);

    const record = runRecordOf(result);
    const runJson = await this.writeRun(record, finalReplacesRunning);
    if (REVERIFIABLE_STATUSES.includes(record.status)) await this.markCompleted(record);
    const ref: AuditRecordRef = { table: "runs", partitionKey: P_RUN, rowKey: encodeKey(record.runId) };
    // Every write above either created its document or found the identical one (any other stored text throws), so
    // what is stored is what was written: the link hashes that, with no read back of the run or its outcomes.
    const stored = chainedRunText(runJson, texts);
    return this.t.ledger.append(subscriptionChain(record.subscriptionId), "run", ref, sha256(stored), summary.endedAt);
  }

  /**
   * A lane's outcomes, written by the lane before the run's final record (orchestrations/cycleBatch.ts): the same
   * documents recordRunCompleted writes for the outcomes the run holds, each identical when written again.
   */
  async recordLaneOutcomes(raw: RecordLaneOutcomesInput): Promise<void> {
    const input = parseWith(RecordLaneOutcomesInput, raw, "lane outcomes for the audit");
    await this.t.ensureTables();
    const runPartition = encodeKey(input.runId);
    await this.t.writeMany(
      this.t.outcomes,
      input.outcomes.map((o) => outcomeDoc(runPartition, o.seq, o.outcome)),
    );
  }

  async recordReverification(raw: ReverificationRecordInput): Promise<AuditLink> {
    const record = parseWith(ReverificationRecordSchema, raw, "re-verification record");
    await this.t.ensureTables();
    const doc = encodeDocument(record.subscriptionId, invertedTime(record.at), storedJson(record), { at: record.at });
    await this.t.writeDocument(this.t.reverify, doc, refuse);
    const ref: AuditRecordRef = { table: "reverify", partitionKey: doc.head.partitionKey, rowKey: doc.head.rowKey };
    return this.t.ledger.append(
      subscriptionChain(record.subscriptionId),
      "reverification",
      ref,
      sha256(doc.json),
      record.at,
    );
  }

  async recordNotification(raw: NotificationRecord): Promise<void> {
    const record = parseWith(NotificationRecordSchema, raw, "notification record");
    await this.t.ensureTables();
    const doc = encodeDocument(encodeKey(record.runId), encodeKey(record.key), storedJson(record), {
      status: record.status,
      subscriptionId: record.subscriptionId,
    });
    await this.t.writeDocument(this.t.notify, doc, refuse);
  }

  async listNotifications(runId: string): Promise<NotificationRecord[]> {
    await this.t.ensureTables();
    const out: NotificationRecord[] = [];
    const entities = this.t.notify.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${encodeKey(runId)}'` },
    });
    for await (const entity of entities) {
      out.push(
        parseWith(
          NotificationRecordSchema,
          JSON.parse(await this.t.read(this.t.notify, entity)),
          "stored notification record",
        ),
      );
    }
    return out.sort((a, b) => a.at.localeCompare(b.at) || a.type.localeCompare(b.type));
  }

  async listRuns(query: ListRunsQuery = {}): Promise<RunPage> {
    const pageSize = pageSizeOf(query.pageSize);
    const subscriptionId =
      query.subscriptionId === undefined
        ? undefined
        : parseWith(SubscriptionIdSchema, query.subscriptionId, "subscriptionId");
    const campaignId =
      query.campaignId === undefined ? undefined : parseWith(CampaignIdSchema, query.campaignId, "campaignId");
    await this.t.ensureTables();
    const partition =
      campaignId !== undefined
        ? campaignPartition(campaignId)
        : subscriptionId === undefined
          ? P_ALL
          : subscriptionPartition(subscriptionId);
    const range = invertedTimeRange(query.from, query.to);
    const clauses = [`PartitionKey eq '${partition}'`];
    // Both given: the campaign's lines, narrowed to the subscription (a GUID, so safe in the filter).
    if (campaignId !== undefined && subscriptionId !== undefined) clauses.push(`subscriptionId eq '${subscriptionId}'`);
    if (range.ge !== undefined) clauses.push(`RowKey ge '${range.ge}'`);
    if (range.lt !== undefined) clauses.push(`RowKey lt '${range.lt}'`);
    const page = await this.t.firstPage(this.t.runs, clauses.join(" and "), pageSize, query.continuationToken);
    const runs: RunSummary[] = [];
    for (const entity of page.entities) {
      runs.push(parseWith(RunSummarySchema, JSON.parse(await this.t.read(this.t.runs, entity)), "stored run summary"));
    }
    return page.continuationToken === undefined ? { runs } : { runs, continuationToken: page.continuationToken };
  }

  async getRun(runId: string): Promise<AuditedRun | undefined> {
    await this.t.ensureTables();
    const head = await this.t.getEntity(this.t.runs, P_RUN, encodeKey(runId));
    if (head === undefined) return undefined;
    const run = parseWith(RunRecordSchema, JSON.parse(await this.t.read(this.t.runs, head)), "stored run record");
    const partition = encodeKey(runId);
    const docs: { seq: number; outcome: ResourceOutcome }[] = [];
    const entities = this.t.outcomes.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${partition}'` },
    });
    for await (const entity of entities) {
      docs.push(
        parseWith(OutcomeDocSchema, JSON.parse(await this.t.read(this.t.outcomes, entity)), "stored resource outcome"),
      );
    }
    docs.sort((a, b) => a.seq - b.seq);
    const notifications = await this.listNotifications(runId);
    return { run, outcomes: docs.map((d) => d.outcome), ...(notifications.length > 0 ? { notifications } : {}) };
  }

  async listReverifications(subscriptionId: string, query: ListReverificationsQuery = {}): Promise<ReverificationPage> {
    const sub = parseWith(SubscriptionIdSchema, subscriptionId, "subscriptionId");
    await this.t.ensureTables();
    const page = await this.t.firstPage(
      this.t.reverify,
      `PartitionKey eq '${sub}'`,
      pageSizeOf(query.pageSize),
      query.continuationToken,
    );
    const records: ReverificationRecord[] = [];
    for (const entity of page.entities) {
      records.push(
        parseWith(
          ReverificationRecordSchema,
          JSON.parse(await this.t.read(this.t.reverify, entity)),
          "stored re-verification",
        ),
      );
    }
    return page.continuationToken === undefined ? { records } : { records, continuationToken: page.continuationToken };
  }

  async listCompletedSubscriptions(): Promise<CompletedSubscription[]> {
    await this.t.ensureTables();
    const out: CompletedSubscription[] = [];
    const entities = this.t.runs.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${P_COMPLETED}'` },
    });
    for await (const entity of entities) {
      out.push(
        parseWith(
          CompletedSubscriptionSchema,
          JSON.parse(await this.t.read(this.t.runs, entity)),
          "stored completed subscription",
        ),
      );
    }
    return out;
  }

  /** The run record, then its two listing lines (by subscription, across all). Returns the run record's JSON as written. */
  async writeRun(record: RunRecord, onConflict: OnConflict): Promise<string> {
    const parsed = parseWith(RunRecordSchema, record, "run record");
    const scalars = { status: parsed.status, subscriptionId: parsed.subscriptionId, requestedAt: parsed.requestedAt };
    const json = storedJson(parsed);
    await this.t.writeDocument(this.t.runs, encodeDocument(P_RUN, encodeKey(parsed.runId), json, scalars), onConflict);
    const summaryJson = storedJson(runSummaryOf(parsed));
    const rowKey = listingRowKey(parsed.requestedAt, parsed.runId);
    const partitions = [subscriptionPartition(parsed.subscriptionId), P_ALL];
    if (parsed.campaign !== undefined) partitions.push(campaignPartition(parsed.campaign.campaignId));
    for (const partition of partitions) {
      await this.t.writeDocument(this.t.runs, encodeDocument(partition, rowKey, summaryJson, scalars), onConflict);
    }
    return json;
  }

  /** The "completed" index keeps the latest cycling run per subscription; it moves forward only. */
  async markCompleted(record: RunRecord): Promise<void> {
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
    await this.t.writeDocument(this.t.runs, doc, (existing) =>
      typeof existing.order === "string" && existing.order > order ? "replace" : "keep",
    );
  }
}

/** SHA-256 of the plan's JSON, with the counts an auditor reads without the plan itself. */
export function planDigest(plan: Plan): PlanDigest {
  return {
    sha256: createHash("sha256").update(JSON.stringify(plan), "utf8").digest("hex"),
    counts: plan.counts,
    waves: plan.waves.length,
    caps: plan.caps,
    ...(plan.setOutages === undefined ? {} : { setOutages: plan.setOutages }),
  };
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
    requestedById: input.requestedById,
    requestedAt: input.requestedAt,
    ...(input.allowSelfApproval ? { allowSelfApproval: true } : {}),
    attestation: input.attestation,
    options: input.options,
    probeHost: input.probeHost,
    campaign: input.campaign,
    clock: input.clock,
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
