/** Builders of campaign inputs and records for the audit store, report and API tests. */
import {
  CampaignInputSchema,
  CampaignRecordSchema,
  campaignRunId,
  campaignTotals,
  type CampaignInput,
  type CampaignMember,
  type CampaignRecord,
  type CampaignSummary,
} from "../../src/contracts/campaign";
import { RemediationOptionsSchema } from "../../src/contracts/options";

export const CAMPAIGN_SUBS = [
  "11111111-2222-3333-4444-555555555555",
  "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
  "22222222-3333-4444-5555-666666666666",
  "33333333-4444-5555-6666-777777777777",
  "44444444-5555-6666-7777-888888888888",
  "55555555-6666-7777-8888-999999999999",
] as const;

const sub = (i: number): string => {
  const s = CAMPAIGN_SUBS[i];
  if (s === undefined) throw new Error(`no fixture subscription ${i}`);
  return s;
};

export function campaignInput(overrides: Partial<CampaignInput> = {}): CampaignInput {
  return CampaignInputSchema.parse({
    campaignId: "camp-0001",
    target: { kind: "subscriptions", subscriptionIds: [...CAMPAIGN_SUBS] },
    maxConcurrentSubscriptions: 3,
    run: {
      attestation: {
        reference: "REQ-2026-0100",
        approvedBy: "ops.lead@example.com",
        approvedAt: "2026-11-20T08:00:00Z",
      },
      mode: "execute",
      requireApproval: false,
      options: RemediationOptionsSchema.parse({}),
      requestedBy: "carol@example.com",
      requestedById: "00000000-0000-0000-0000-0000000000c0",
      requestedAt: "2026-11-26T09:00:00.000Z",
      probeHost: "smtp.example.net",
    },
    ...overrides,
  });
}

/**
 * One member in each interesting state: two runs done (one left a VM down), one refused as not exemptible, one with
 * nothing to do, one already running under someone else's run, one cancelled before its turn.
 */
export function campaignMembers(campaignId = "camp-0001"): CampaignMember[] {
  const run = (i: number): { runId: string; runInstanceId: string } => ({
    runId: campaignRunId(campaignId, sub(i), i),
    runInstanceId: `port25-${sub(i)}`,
  });
  return [
    {
      subscriptionId: sub(0),
      displayName: "Dev/Test Team A",
      state: "done",
      category: "exemptible",
      ...run(0),
      runStatus: "completed",
      counts: { total: 12, cycled: 10, skipped: 2, failed: 0, pending: 0, leftDown: 0 },
      startedAt: "2026-11-26T09:01:00.000Z",
      endedAt: "2026-11-26T09:40:00.000Z",
      recorded: true,
    },
    {
      subscriptionId: sub(1),
      displayName: "Dev/Test Team B",
      state: "done",
      category: "exemptible",
      ...run(1),
      runStatus: "completedWithFailures",
      counts: { total: 8, cycled: 5, skipped: 1, failed: 2, pending: 0, leftDown: 1 },
      startedAt: "2026-11-26T09:01:00.000Z",
      endedAt: "2026-11-26T09:55:00.000Z",
      recorded: true,
    },
    {
      subscriptionId: sub(2),
      displayName: "Production",
      state: "notExemptible",
      category: "blockedNotExemptible",
      reason: "agreement EnterpriseAgreement + workload Production: not a Dev/Test subscription",
      advice: "Use an authenticated SMTP relay on port 587.",
    },
    {
      subscriptionId: sub(3),
      state: "nothingToDo",
      category: "notBlocked",
      reason: "Port 25 is not blocked (agreement MCA)",
    },
    {
      subscriptionId: sub(4),
      state: "alreadyRunning",
      runInstanceId: `port25-${sub(4)}`,
      runId: "solo-run-77",
      reason: "a run started by dave@example.com is live",
    },
    {
      subscriptionId: sub(5),
      state: "cancelled",
      reason: "the campaign was cancelled before this subscription's turn",
    },
  ];
}

export function campaignRecord(
  options: { input?: Partial<CampaignInput>; members?: CampaignMember[]; summary?: Partial<CampaignSummary> } = {},
): CampaignRecord {
  const input = campaignInput(options.input);
  const members = options.members ?? campaignMembers(input.campaignId);
  return CampaignRecordSchema.parse({
    input,
    summary: {
      campaignId: input.campaignId,
      target: input.target,
      status: "completedWithFailures",
      mode: input.run.mode,
      message: "2 of 6 subscriptions remediated; 1 resource left down",
      startedAt: "2026-11-26T09:00:05.000Z",
      endedAt: "2026-11-26T10:00:00.000Z",
      requestedBy: input.run.requestedBy,
      members,
      totals: campaignTotals(members),
      cancellation: { by: "erin@example.com", at: "2026-11-26T09:30:00.000Z" },
      warnings: ["1 subscription was already being remediated by another run"],
      ...options.summary,
    },
  });
}
