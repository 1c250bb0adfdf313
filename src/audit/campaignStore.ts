/** Campaign records: a campaign's start and final record, and the listing of campaigns. */
import { ValidationError } from "../errors";
import { parseWith } from "../contracts/parse";
import {
  AuditedCampaignSchema,
  CampaignListingSchema,
  type AuditedCampaign,
  type CampaignListing,
  type CampaignPage,
} from "../contracts/audit";
import {
  CampaignInputSchema,
  CampaignRecordSchema,
  type CampaignInput,
  type CampaignRecord,
} from "../contracts/campaign";
import { CampaignIdSchema } from "../contracts/startRequest";
import { encodeDocument, storedJson } from "./documents";
import { invertedTimeRange } from "./keys";
import { CAMPAIGNS_CHAIN, sha256, type AuditLink, type AuditRecordRef } from "./ledger";
import {
  type AuditTableAccess,
  P_ALL,
  P_CAMPAIGN,
  campaignKey,
  finalReplacesRunning,
  listingRowKey,
  pageSizeOf,
  startedAfterFinal,
  type OnConflict,
} from "./tables";

export interface ListCampaignsQuery {
  /** Inclusive bounds on the campaign's requestedAt (ISO 8601). */
  from?: string | undefined;
  to?: string | undefined;
  pageSize?: number | undefined;
  continuationToken?: string | undefined;
}

export class CampaignRecords {
  constructor(private readonly t: AuditTableAccess) {}

  async recordCampaignStarted(raw: CampaignInput): Promise<void> {
    const input = parseWith(CampaignInputSchema, raw, "campaign start for the audit");
    await this.t.ensureTables();
    await this.writeCampaign({ campaignId: input.campaignId, status: "running", input }, startedAfterFinal);
  }

  async recordCampaignCompleted(raw: CampaignRecord): Promise<AuditLink> {
    const record = parseWith(CampaignRecordSchema, raw, "campaign record for the audit");
    if (record.summary.campaignId !== record.input.campaignId) {
      throw new ValidationError("campaign record for the audit", [
        {
          path: "summary.campaignId",
          message: `names campaign ${record.summary.campaignId}, the input ${record.input.campaignId}`,
        },
      ]);
    }
    await this.t.ensureTables();
    const stored = await this.writeCampaign(
      {
        campaignId: record.input.campaignId,
        status: record.summary.status,
        input: record.input,
        summary: record.summary,
      },
      finalReplacesRunning,
    );
    const ref: AuditRecordRef = {
      table: "campaigns",
      partitionKey: P_CAMPAIGN,
      rowKey: campaignKey(record.input.campaignId),
    };
    // The write created the record or found the identical one (any other text throws): the link hashes what was written.
    return this.t.ledger.append(CAMPAIGNS_CHAIN, "campaign", ref, sha256(stored), record.summary.endedAt);
  }

  async getCampaign(campaignId: string): Promise<AuditedCampaign | undefined> {
    const id = parseWith(CampaignIdSchema, campaignId, "campaignId");
    await this.t.ensureTables();
    const head = await this.t.getEntity(this.t.campaigns, P_CAMPAIGN, campaignKey(id));
    if (head === undefined) return undefined;
    return parseWith(AuditedCampaignSchema, JSON.parse(await this.t.read(this.t.campaigns, head)), "stored campaign");
  }

  async listCampaigns(query: ListCampaignsQuery = {}): Promise<CampaignPage> {
    const pageSize = pageSizeOf(query.pageSize);
    await this.t.ensureTables();
    const range = invertedTimeRange(query.from, query.to);
    const clauses = [`PartitionKey eq '${P_ALL}'`];
    if (range.ge !== undefined) clauses.push(`RowKey ge '${range.ge}'`);
    if (range.lt !== undefined) clauses.push(`RowKey lt '${range.lt}'`);
    const page = await this.t.firstPage(this.t.campaigns, clauses.join(" and "), pageSize, query.continuationToken);
    const campaigns: CampaignListing[] = [];
    for (const entity of page.entities) {
      campaigns.push(
        parseWith(
          CampaignListingSchema,
          JSON.parse(await this.t.read(this.t.campaigns, entity)),
          "stored campaign listing",
        ),
      );
    }
    return page.continuationToken === undefined
      ? { campaigns }
      : { campaigns, continuationToken: page.continuationToken };
  }

  /** The campaign's record, then its listing line. */
  /** The campaign record, then its listing line. Returns the record's JSON as written. */
  async writeCampaign(campaign: AuditedCampaign, onConflict: OnConflict): Promise<string> {
    const parsed = parseWith(AuditedCampaignSchema, campaign, "campaign record");
    const requestedAt = parsed.input.run.requestedAt;
    const scalars = { status: parsed.status, requestedAt };
    const json = storedJson(parsed);
    await this.t.writeDocument(
      this.t.campaigns,
      encodeDocument(P_CAMPAIGN, campaignKey(parsed.campaignId), json, scalars),
      onConflict,
    );
    const line = storedJson(campaignListingOf(parsed));
    await this.t.writeDocument(
      this.t.campaigns,
      encodeDocument(P_ALL, listingRowKey(requestedAt, parsed.campaignId.toLowerCase()), line, scalars),
      onConflict,
    );
    return json;
  }
}

/** The listing line of a campaign: who, when, what, and (once ended) how it went; never its members. */
function campaignListingOf(c: AuditedCampaign): CampaignListing {
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
    subscriptions:
      summary?.totals.subscriptions ?? (target.kind === "subscriptions" ? target.subscriptionIds.length : undefined),
    startedAt: summary?.startedAt,
    endedAt: summary?.endedAt,
    message: summary?.message,
    totals: summary?.totals,
    clock: input.run.clock,
  });
}
