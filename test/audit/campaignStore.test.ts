import { describe, expect, it } from "vitest";
import { InvocationContext } from "@azure/functions";
import { NO_AUDIT_TABLE } from "../../activities/deps";
import { appRootFrom } from "../../src/root";
import { recordCampaignStarted } from "../../activities/recordCampaignStarted";
import { recordCampaignCompleted } from "../../activities/recordCampaignCompleted";
import { parseConfig } from "../../src/config";
import { auditTables } from "../support/auditTables";
import { rejection } from "../support/rejections";
import { auditTableNames } from "../../src/audit/tables";
import { createAuditStore, type AuditStore } from "../../src/audit/store";
import { entitySizeBytes, MAX_ENTITY_BYTES } from "../../src/audit/documents";
import { isPreconditionError, isValidationError } from "../../src/errors";
import { campaignInstanceId } from "../../src/contracts/campaign";
import { campaignInput, campaignMembers, campaignRecord, CAMPAIGN_SUBS } from "./campaignFixtures";
import { runInput, runResult, SUB_A, SUB_B } from "./fixtures";

const { connectionString, freshPrefix, freshStore, rawEntities } = auditTables("c");

const campaignLink = (campaignId: string): { campaignId: string; instanceId: string } => ({
  campaignId,
  instanceId: campaignInstanceId(campaignId),
});

describe("campaigns in the audit store on Azurite", () => {
  it("creates the campaigns table with the others, named after the prefix", async () => {
    const { store, prefix } = freshStore();
    expect(auditTableNames(prefix).campaigns).toBe(`${prefix}campaigns`);
    await store.ensureTables();
    expect(await rawEntities(`${prefix}campaigns`)).toEqual([]);
  });

  it("records a campaign as running, then replaces it with its final record, listing line included", async () => {
    const { store, prefix } = freshStore();
    const record = campaignRecord();
    await store.recordCampaignStarted(record.input);

    const started = await store.getCampaign(record.input.campaignId);
    expect(started).toEqual({ campaignId: "camp-0001", status: "running", input: record.input });
    const runningLine = (await store.listCampaigns()).campaigns;
    expect(runningLine).toEqual([
      {
        campaignId: "camp-0001",
        status: "running",
        mode: "execute",
        requestedBy: "carol@example.com",
        requestedAt: "2026-11-26T09:00:00.000Z",
        attestationReference: "REQ-2026-0100",
        target: "subscriptions",
        subscriptions: CAMPAIGN_SUBS.length,
      },
    ]);

    await store.recordCampaignCompleted(record);
    const done = await store.getCampaign("camp-0001");
    expect(done?.status).toBe("completedWithFailures");
    expect(done?.summary).toEqual(record.summary);
    expect(done?.input).toEqual(record.input);
    const [line] = (await store.listCampaigns()).campaigns;
    expect(line).toMatchObject({
      status: "completedWithFailures",
      startedAt: record.summary.startedAt,
      endedAt: record.summary.endedAt,
      message: record.summary.message,
      totals: record.summary.totals,
    });
    expect(line?.totals?.resources.leftDown).toBe(1);
    // One record and one listing line; nothing else.
    expect(await rawEntities(auditTableNames(prefix).campaigns)).toHaveLength(2);
  });

  it("is idempotent: a replayed completion writes the same, a replayed start leaves the final record", async () => {
    const { store, prefix } = freshStore();
    const record = campaignRecord();
    await store.recordCampaignCompleted(record);
    await store.recordCampaignCompleted(structuredClone(record));
    await store.recordCampaignStarted(record.input);
    expect((await store.getCampaign("camp-0001"))?.summary).toEqual(record.summary);
    expect(await rawEntities(auditTableNames(prefix).campaigns)).toHaveLength(2);
  });

  it("refuses to rewrite a finished campaign or a start with different content", async () => {
    const { store } = freshStore();
    const record = campaignRecord();
    await store.recordCampaignCompleted(record);
    const rewritten = await rejection(
      store.recordCampaignCompleted({ ...record, summary: { ...record.summary, message: "all fine" } }),
    );
    expect(isPreconditionError(rewritten) && rewritten.code).toBe("AuditRecordConflict");
    expect((await store.getCampaign("camp-0001"))?.summary?.message).toBe(record.summary.message);

    await store.recordCampaignStarted(campaignInput({ campaignId: "camp-0002" }));
    const other = await rejection(
      store.recordCampaignStarted(campaignInput({ campaignId: "camp-0002", maxConcurrentSubscriptions: 9 })),
    );
    expect(isPreconditionError(other) && other.code).toBe("AuditRecordConflict");
  });

  it("refuses a record whose summary names another campaign, and a bad campaign id, naming the field", async () => {
    const { store } = freshStore();
    const record = campaignRecord();
    const mismatched = await rejection(
      store.recordCampaignCompleted({ ...record, summary: { ...record.summary, campaignId: "camp-other" } }),
    );
    expect(isValidationError(mismatched) && mismatched.issues.map((i) => i.path)).toEqual(["summary.campaignId"]);
    expect(await store.getCampaign("camp-0001")).toBeUndefined();

    const badId = await rejection(store.getCampaign("no/slashes"));
    expect(isValidationError(badId) && badId.issues[0]?.path).toBe("");
    expect(String(badId)).toMatch(/campaignId/);
    const badInput = await rejection(store.recordCampaignStarted({ ...record.input, maxConcurrentSubscriptions: 0 }));
    expect(isValidationError(badInput) && badInput.issues.map((i) => i.path)).toEqual(["maxConcurrentSubscriptions"]);
  });

  it("finds a campaign whatever the case of its id, as its instance id does", async () => {
    const { store } = freshStore();
    await store.recordCampaignStarted(campaignInput({ campaignId: "Camp-MiXed" }));
    expect((await store.getCampaign("camp-mixed"))?.campaignId).toBe("Camp-MiXed");
    expect(await store.getCampaign("camp-absent")).toBeUndefined();
  });

  it("lists campaigns newest first, in an inclusive requestedAt range, page by page", async () => {
    const { store } = freshStore();
    const at = (day: number): string => `2026-11-${String(day).padStart(2, "0")}T12:00:00.000Z`;
    for (const day of [1, 2, 3, 4, 5]) {
      const input = campaignInput({ campaignId: `camp-day${day}` });
      await store.recordCampaignStarted({ ...input, run: { ...input.run, requestedAt: at(day) } });
    }
    const ids = async (q: Parameters<AuditStore["listCampaigns"]>[0]): Promise<string[]> =>
      (await store.listCampaigns(q)).campaigns.map((c) => c.campaignId);
    expect(await ids({})).toEqual(["camp-day5", "camp-day4", "camp-day3", "camp-day2", "camp-day1"]);
    expect(await ids({ from: at(2), to: at(4) })).toEqual(["camp-day4", "camp-day3", "camp-day2"]);
    expect(await ids({ to: "2026-11-01T12:00:00.000Z" })).toEqual(["camp-day1"]);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.listCampaigns({ pageSize: 2, continuationToken: token });
      expect(page.campaigns.length).toBeLessThanOrEqual(2);
      seen.push(...page.campaigns.map((c) => c.campaignId));
      token = page.continuationToken;
      pages += 1;
    } while (token !== undefined);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(["camp-day5", "camp-day4", "camp-day3", "camp-day2", "camp-day1"]);

    const tooBig = await rejection(store.listCampaigns({ pageSize: 5000 }));
    expect(isValidationError(tooBig) && tooBig.issues[0]?.path).toBe("pageSize");
  });

  it("keeps a management-group campaign of 500 members, with long reasons, whole and within the entity limits", async () => {
    const { store, prefix } = freshStore();
    const base = campaignMembers()[2];
    if (base === undefined) throw new Error("fixture has no third member");
    const members = Array.from({ length: 500 }, (_, i) => ({
      ...base,
      subscriptionId: `${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`,
      displayName: `Subscription ${i} ⚡`,
      reason: `${"not a Dev/Test subscription; ".repeat(33)}`.slice(0, 1000),
    }));
    const record = campaignRecord({
      input: { target: { kind: "managementGroup", managementGroupId: "mg-devtest" } },
      members,
      summary: { status: "completed", message: "500 subscriptions classified, none exemptible" },
    });
    await store.recordCampaignCompleted(record);
    const stored = await store.getCampaign("camp-0001");
    expect(stored?.summary?.members).toEqual(members);
    const [line] = (await store.listCampaigns()).campaigns;
    expect(line).toMatchObject({ target: "managementGroup", managementGroupId: "mg-devtest", subscriptions: 500 });
    const entities = await rawEntities(auditTableNames(prefix).campaigns);
    expect(entities.some((e) => e.partitionKey === "~parts")).toBe(true);
    for (const e of entities) {
      const { etag: _etag, timestamp: _ts, ...props } = e;
      expect(entitySizeBytes(props)).toBeLessThanOrEqual(MAX_ENTITY_BYTES);
    }
    await store.recordCampaignCompleted(record);
  });
});

describe("runs started by a campaign", () => {
  it("record their campaign on the run record and listing line, and list by campaign (and subscription)", async () => {
    const { store } = freshStore();
    const link = campaignLink("camp-0001");
    await store.recordRunStarted(runInput({ runId: "camp-0001-11111111-0", campaign: link }));
    await store.recordRunCompleted(
      runResult({
        vms: 3,
        input: {
          runId: "camp-0001-aaaaaaaa-1",
          subscriptionId: SUB_B,
          campaign: link,
          requestedAt: "2026-11-26T10:05:00.000Z",
        },
      }),
    );
    await store.recordRunCompleted(
      runResult({ vms: 3, input: { runId: "solo-1", requestedAt: "2026-11-26T10:10:00.000Z" } }),
    );
    await store.recordRunCompleted(
      runResult({ vms: 3, input: { runId: "camp-0002-11111111-0", campaign: campaignLink("camp-0002") } }),
    );

    const started = await store.getRun("camp-0001-11111111-0");
    expect(started?.run.campaign).toEqual(link);
    expect(
      (await store.listRuns({ campaignId: "camp-0001", subscriptionId: SUB_A })).runs.map((r) => r.status),
    ).toEqual(["running"]);
    expect((await store.getRun("solo-1"))?.run.campaign).toBeUndefined();

    const ids = async (q: Parameters<AuditStore["listRuns"]>[0]): Promise<string[]> =>
      (await store.listRuns(q)).runs.map((r) => r.runId);
    expect(await ids({ campaignId: "camp-0001" })).toEqual(["camp-0001-aaaaaaaa-1", "camp-0001-11111111-0"]);
    expect(await ids({ campaignId: "CAMP-0001" })).toEqual(["camp-0001-aaaaaaaa-1", "camp-0001-11111111-0"]);
    expect(await ids({ campaignId: "camp-0001", subscriptionId: SUB_A })).toEqual(["camp-0001-11111111-0"]);
    expect(await ids({ campaignId: "camp-0002" })).toEqual(["camp-0002-11111111-0"]);
    expect(await ids({ campaignId: "camp-none" })).toEqual([]);
    const all = (await store.listRuns({})).runs;
    expect(all.find((r) => r.runId === "solo-1")?.campaignId).toBeUndefined();
    expect(all.find((r) => r.runId === "camp-0001-aaaaaaaa-1")?.campaignId).toBe("camp-0001");

    // The running line in the campaign's partition moved to the final status with the run.
    await store.recordRunCompleted(runResult({ vms: 2, input: { runId: "camp-0001-11111111-0", campaign: link } }));
    const lines = (await store.listRuns({ campaignId: "camp-0001" })).runs;
    expect(lines.map((r) => [r.runId, r.status])).toEqual([
      ["camp-0001-aaaaaaaa-1", "completed"],
      ["camp-0001-11111111-0", "completed"],
    ]);

    const bad = await rejection(store.listRuns({ campaignId: "x' or PartitionKey ne '" }));
    expect(isValidationError(bad)).toBe(true);
  });

  it("reads a run recorded before campaigns existed", async () => {
    const { store, prefix } = freshStore();
    const result = runResult({ vms: 2, input: { runId: "legacy-1" } });
    await store.recordRunCompleted(result);
    // Its stored record has no campaign field at all, as older records do.
    const runs = await rawEntities(auditTableNames(prefix).runs);
    expect(runs.length).toBeGreaterThan(0);
    for (const e of runs) expect(JSON.stringify(e)).not.toMatch(/campaign/);
    expect((await store.getRun("legacy-1"))?.run.runId).toBe("legacy-1");
  });
});

describe("recordCampaignStarted and recordCampaignCompleted activities", () => {
  const context = new InvocationContext({ invocationId: "inv-1", functionName: "recordCampaignCompleted" });

  it("write through the audit store, and a replay answers the same", async () => {
    const prefix = freshPrefix("a");
    const deps = appRootFrom(
      parseConfig({ PORT25_AUDIT_TABLE_CONNECTION: connectionString(), PORT25_AUDIT_TABLE_PREFIX: prefix }),
    );
    const record = campaignRecord();
    expect(await recordCampaignStarted(deps).handler(record.input, context)).toEqual({ recorded: true });
    expect(await recordCampaignCompleted(deps).handler(record, context)).toEqual({ recorded: true });
    expect(await recordCampaignCompleted(deps).handler(record, context)).toEqual({ recorded: true });
    const store = createAuditStore({
      PORT25_AUDIT_TABLE_CONNECTION: connectionString(),
      PORT25_AUDIT_TABLE_PREFIX: prefix,
    });
    expect((await store.getCampaign(record.input.campaignId))?.summary).toEqual(record.summary);
  });

  it("say that nothing was recorded when no audit table is configured, and refuse a bad input by field", async () => {
    const deps = appRootFrom(parseConfig({}));
    const record = campaignRecord();
    expect(await recordCampaignStarted(deps).handler(record.input, context)).toEqual({
      recorded: false,
      detail: NO_AUDIT_TABLE,
    });
    expect(await recordCampaignCompleted(deps).handler(record, context)).toEqual({
      recorded: false,
      detail: NO_AUDIT_TABLE,
    });
    await expect(
      recordCampaignCompleted(deps).handler({ ...record, summary: { ...record.summary, status: "fine" } }, context),
    ).rejects.toThrow(/summary\.status/);
  });
});
