import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { auditTables } from "../support/auditTables";
import { rejection } from "../support/rejections";
import { auditTableNames } from "../../src/audit/tables";
import { type AuditStore } from "../../src/audit/store";
import { entitySizeBytes, MAX_ENTITY_BYTES, MAX_PROPERTY_BYTES } from "../../src/audit/documents";
import { encodeKey } from "../../src/audit/keys";
import { isPreconditionError, isValidationError } from "../../src/errors";
import type { RemediationResult } from "../../src/contracts/remediation";
import type { ReverificationRecordInput } from "../../src/contracts/reverify";
import { outcomesFor, planFor, runInput, runResult, SUB_A, SUB_B } from "./fixtures";

/** Each test gets its own tables, so no test sees another's records. */
const { freshStore, rawClient, rawEntities } = auditTables("t");

function withMessage(result: RemediationResult, message: string): RemediationResult {
  return { ...result, summary: { ...result.summary, message } };
}

describe("audit store on Azurite", () => {
  it("round-trips a run with 300 outcomes: record, digest of the plan, every outcome in order", async () => {
    const { store, prefix } = freshStore();
    const result = runResult({ vms: 297 });
    expect(result.outcomes).toHaveLength(300);

    await store.recordRunStarted(result.input);
    const started = await store.getRun(result.input.runId);
    expect(started?.run.status).toBe("running");
    expect(started?.outcomes).toEqual([]);

    await store.recordRunCompleted(result);
    const stored = await store.getRun(result.input.runId);
    expect(stored).toBeDefined();
    expect(stored?.run.status).toBe("completedWithFailures");
    expect(stored?.run.summary).toEqual(result.summary);
    expect(stored?.run.classification).toEqual(result.classification);
    expect(stored?.run.attestation).toEqual(result.input.attestation);
    expect(stored?.run.requestedBy).toBe("alice@example.com");
    expect(stored?.run.options).toEqual(result.input.options);
    const sha = createHash("sha256").update(JSON.stringify(result.plan)).digest("hex");
    expect(stored?.run.plan?.sha256).toBe(sha);
    expect(stored?.run.plan?.counts).toEqual(result.plan?.counts);
    expect(stored?.outcomes).toEqual(result.outcomes);

    // The listing line moved from running to the final status too.
    const page = await store.listRuns({ subscriptionId: SUB_A });
    expect(page.runs.map((r) => [r.runId, r.status])).toEqual([[result.input.runId, "completedWithFailures"]]);
    expect(page.runs[0]?.counts).toEqual(result.summary.counts);

    // One entity per outcome, keyed by the encoded resource id.
    const rows = await rawEntities(
      auditTableNames(prefix).outcomes,
      `PartitionKey eq '${encodeKey(result.input.runId)}'`,
    );
    expect(rows).toHaveLength(300);
    expect(rows.map((r) => r.rowKey).sort()).toEqual(result.outcomes.map((o) => encodeKey(o.resourceId)).sort());
  });

  it("accepts a replayed write of the same run without duplicating anything", async () => {
    const { store, prefix } = freshStore();
    const result = runResult({ vms: 150 });
    await store.recordRunCompleted(result);
    await store.recordRunCompleted(result);
    // A start replayed after completion leaves the final record alone.
    await store.recordRunStarted(result.input);

    const stored = await store.getRun(result.input.runId);
    expect(stored?.run.status).toBe("completedWithFailures");
    expect(stored?.outcomes).toHaveLength(result.outcomes.length);
    const names = auditTableNames(prefix);
    expect(await rawEntities(names.outcomes)).toHaveLength(result.outcomes.length);
    // run record + listing by subscription + listing across all + completed index
    expect(await rawEntities(names.runs)).toHaveLength(4);
  });

  it("finishes a run whose first attempt stored the outcomes but died before the run record", async () => {
    const { store, prefix } = freshStore();
    await store.ensureTables();
    const result = runResult({ vms: 120 });
    // Losing the runs table makes the first attempt fail after the outcomes are in.
    const runsTable = rawClient(auditTableNames(prefix).runs);
    await runsTable.deleteTable();
    await expect(store.recordRunCompleted(result)).rejects.toThrow();
    expect(await rawEntities(auditTableNames(prefix).outcomes)).toHaveLength(result.outcomes.length);

    await runsTable.createTable();
    await store.recordRunCompleted(result);
    const stored = await store.getRun(result.input.runId);
    expect(stored?.run.status).toBe("completedWithFailures");
    expect(stored?.outcomes).toEqual(result.outcomes);
    expect(await rawEntities(auditTableNames(prefix).outcomes)).toHaveLength(result.outcomes.length);
  });

  it("refuses to overwrite a completed run with different content and keeps the original", async () => {
    const { store } = freshStore();
    const result = runResult({ vms: 30 });
    await store.recordRunCompleted(result);

    const changedSummary = await rejection(store.recordRunCompleted(withMessage(result, "a rewritten story")));
    expect(isPreconditionError(changedSummary) && changedSummary.code).toBe("AuditRecordConflict");

    const tampered = structuredClone(result);
    const victim = tampered.outcomes[4];
    if (victim === undefined) throw new Error("fixture has no fifth outcome");
    victim.message = "this VM was never touched";
    const changedOutcome = await rejection(store.recordRunCompleted(tampered));
    expect(isPreconditionError(changedOutcome) && changedOutcome.code).toBe("AuditRecordConflict");

    const stored = await store.getRun(result.input.runId);
    expect(stored?.run.summary?.message).toBe(result.summary.message);
    expect(stored?.outcomes[4]).toEqual(result.outcomes[4]);
  });

  it("refuses a second, different start record under the same run id", async () => {
    const { store } = freshStore();
    await store.recordRunStarted(runInput({ runId: "run-x" }));
    await store.recordRunStarted(runInput({ runId: "run-x" }));
    const err = await rejection(
      store.recordRunStarted(runInput({ runId: "run-x", requestedBy: "mallory@example.com" })),
    );
    expect(isPreconditionError(err) && err.code).toBe("AuditRecordConflict");
  });

  it("rejects a result that reports one resource twice", async () => {
    const { store } = freshStore();
    const result = runResult({ vms: 5 });
    const first = result.outcomes[0];
    if (first === undefined) throw new Error("no outcome");
    const err = await rejection(store.recordRunCompleted({ ...result, outcomes: [...result.outcomes, { ...first }] }));
    expect(isValidationError(err)).toBe(true);
    expect(await store.getRun(result.input.runId)).toBeUndefined();
  });

  it("pages through runs newest first with a continuation token", async () => {
    const { store } = freshStore();
    const times = Array.from({ length: 8 }, (_, i) =>
      new Date(Date.parse("2026-10-01T00:00:00Z") + i * 3_600_000).toISOString(),
    );
    for (const [i, at] of times.entries()) {
      await store.recordRunCompleted(runResult({ vms: 2, input: { runId: `page-run-${i}`, requestedAt: at } }));
    }
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await store.listRuns({ subscriptionId: SUB_A, pageSize: 3, continuationToken: token });
      pageSizes.push(page.runs.length);
      seen.push(...page.runs.map((r) => r.runId));
      token = page.continuationToken;
    } while (token !== undefined);
    expect(pageSizes.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(pageSizes.every((n) => n <= 3)).toBe(true);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1, 0].map((i) => `page-run-${i}`));
  });

  it("filters runs by subscription and by an inclusive requestedAt range", async () => {
    const { store } = freshStore();
    const plan: [string, string, string][] = [
      ["a1", SUB_A, "2026-11-01T00:00:00.000Z"],
      ["a2", SUB_A, "2026-11-02T00:00:00.000Z"],
      ["a3", SUB_A, "2026-11-03T00:00:00.000Z"],
      ["b1", SUB_B, "2026-11-01T12:00:00.000Z"],
      ["b2", SUB_B, "2026-11-02T12:00:00.000Z"],
    ];
    for (const [runId, subscriptionId, requestedAt] of plan) {
      await store.recordRunCompleted(runResult({ vms: 1, input: { runId, subscriptionId, requestedAt } }));
    }
    const ids = async (q: Parameters<AuditStore["listRuns"]>[0]): Promise<string[]> =>
      (await store.listRuns({ pageSize: 100, ...q })).runs.map((r) => r.runId);

    expect(await ids({ subscriptionId: SUB_B })).toEqual(["b2", "b1"]);
    expect(await ids({ subscriptionId: SUB_A.toUpperCase() })).toEqual(["a3", "a2", "a1"]);
    expect(await ids({})).toEqual(["a3", "b2", "a2", "b1", "a1"]);
    expect(await ids({ from: "2026-11-02T00:00:00.000Z", to: "2026-11-02T12:00:00.000Z" })).toEqual(["b2", "a2"]);
    expect(await ids({ subscriptionId: SUB_A, from: "2026-11-01T00:00:00.001Z" })).toEqual(["a3", "a2"]);
    expect(await ids({ subscriptionId: SUB_A, to: "2026-11-01T23:59:59.999Z" })).toEqual(["a1"]);
    expect(await ids({ subscriptionId: "cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee" })).toEqual([]);
  });

  it("stores oversized fields in numbered chunks and overflow parts, and gives them back whole", async () => {
    const { store, prefix } = freshStore();
    const longMessage = "Allocation failed: ".concat("capacity ⚡ 𝄞 exhausted; ".repeat(6_000)); // ~150k UTF-16 units, with surrogate pairs
    const warnings = Array.from({ length: 400 }, (_, i) => `warning ${i}: ${"w".repeat(3_000)}`); // ~1.2M chars: beyond one entity
    const outcomes = outcomesFor(SUB_A, 40);
    const failed = outcomes.findIndex((o) => o.outcome === "failed");
    const target = outcomes[failed];
    if (target === undefined) throw new Error("fixture has no failure");
    outcomes[failed] = { ...target, message: longMessage, detail: { log: "x".repeat(900_000) } };
    const result = runResult({ outcomes, plan: planFor(5_000), warnings, message: longMessage });

    await store.recordRunCompleted(result);
    const stored = await store.getRun(result.input.runId);
    expect(stored?.run.summary?.warnings).toEqual(warnings);
    expect(stored?.run.summary?.message).toBe(longMessage);
    expect(stored?.outcomes[failed]?.message).toBe(longMessage);
    expect(stored?.outcomes).toEqual(result.outcomes);
    expect((await store.listRuns({})).runs[0]?.message).toBe(longMessage);

    // Every entity, overflow parts included, is within Table Storage's limits.
    const names = auditTableNames(prefix);
    const all = [...(await rawEntities(names.runs)), ...(await rawEntities(names.outcomes))];
    expect(all.some((e) => e.partitionKey === "~parts")).toBe(true);
    for (const e of all) {
      const { etag: _etag, timestamp: _ts, ...props } = e;
      expect(entitySizeBytes(props)).toBeLessThanOrEqual(MAX_ENTITY_BYTES);
      for (const v of Object.values(props))
        if (typeof v === "string") expect(2 * v.length).toBeLessThanOrEqual(MAX_PROPERTY_BYTES);
    }

    // A replay of the oversized run is recognised as identical.
    await store.recordRunCompleted(result);
  });

  it("records re-verifications append-only and lists them newest first", async () => {
    const { store } = freshStore();
    const record = (at: string, stragglers: number): ReverificationRecordInput => ({
      subscriptionId: SUB_A,
      at,
      lastRunId: "run-0001",
      classification: {
        category: "exemptible",
        reason: "agreement EnterpriseAgreement + workload DevTest",
        decidedBy: [],
      },
      previousCategory: "exemptible",
      categoryChanged: false,
      stragglers: Array.from({ length: stragglers }, (_, i) => ({
        resourceId: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/new-${i}`,
        kind: "vm" as const,
        name: `new-${i}`,
        resourceGroup: "rg",
        reason: "createdAfterRun" as const,
      })),
      leakedSubnets: { found: ["/x/subnets/port25-temp-1"], removed: ["/x/subnets/port25-temp-1"] },
    });
    await store.recordReverification(record("2026-11-27T06:00:00Z", 0));
    await store.recordReverification(record("2026-11-28T06:00:00Z", 2));
    await store.recordReverification(record("2026-11-28T06:00:00Z", 2));
    const err = await rejection(store.recordReverification(record("2026-11-28T06:00:00Z", 3)));
    expect(isPreconditionError(err) && err.code).toBe("AuditRecordConflict");

    const page = await store.listReverifications(SUB_A);
    expect(page.records.map((r) => [r.at, r.stragglers.length])).toEqual([
      ["2026-11-28T06:00:00Z", 2],
      ["2026-11-27T06:00:00Z", 0],
    ]);
    expect(page.records[0]?.leakedSubnets.failed).toEqual([]);
    expect((await store.listReverifications(SUB_B)).records).toEqual([]);
  });

  it("lists each subscription whose fleet was cycled once, with its latest such run", async () => {
    const { store } = freshStore();
    await store.recordRunCompleted(
      runResult({ vms: 1, input: { runId: "new", requestedAt: "2026-11-10T00:00:00.000Z" } }),
    );
    // An older run recorded later does not move the index backwards.
    await store.recordRunCompleted(
      runResult({ vms: 1, input: { runId: "old", requestedAt: "2026-11-01T00:00:00.000Z" } }),
    );
    const planned = runResult({ vms: 1, input: { runId: "plan-b", subscriptionId: SUB_B, mode: "plan" } });
    await store.recordRunCompleted({ ...planned, summary: { ...planned.summary, status: "planned", mode: "plan" } });
    await store.recordRunStarted(runInput({ runId: "running-b", subscriptionId: SUB_B }));

    const completed = await store.listCompletedSubscriptions();
    expect(completed.map((c) => [c.subscriptionId, c.runId, c.category])).toEqual([[SUB_A, "new", "exemptible"]]);
  });
});

describe("a run whose lanes wrote their own outcomes", () => {
  /** A run of ~40 resources whose lanes recorded two slices of them, and the record the run then hands the store. */
  function lanesAndRun(): {
    full: RemediationResult;
    lanes: { seq: number; outcome: RemediationResult["outcomes"][number] }[][];
    result: RemediationResult;
  } {
    const full = runResult({ vms: 40 });
    const template = planFor(1).entries[0];
    if (template === undefined) throw new Error("planFor(1) has no entry");
    const plan = {
      ...planFor(0),
      entries: full.outcomes.map((o) => ({ ...template, resourceId: o.resourceId, name: o.name, kind: o.kind })),
    };
    const slice = (from: number, to: number): { seq: number; outcome: RemediationResult["outcomes"][number] }[] =>
      full.outcomes.slice(from, to).map((outcome, i) => ({ seq: from + i, outcome }));
    const lanes = [slice(5, 20), slice(20, 35)];
    const held = [...full.outcomes.slice(0, 5), ...full.outcomes.slice(35)];
    const result = {
      ...runResult({ outcomes: held, plan }),
      laneOutcomes: { count: 30, lanes: ["lane-0", "lane-1"] },
    };
    return { full, lanes, result };
  }

  it("counts them into its final record in the plan's order, and the record's chain link verifies", async () => {
    const { store } = freshStore();
    const { full, lanes, result } = lanesAndRun();
    for (const [i, outcomes] of lanes.entries())
      await store.recordLaneOutcomes({ runId: result.input.runId, lane: `lane-${i}`, outcomes });
    await store.recordRunCompleted(result);
    expect((await store.getRun(result.input.runId))?.outcomes).toEqual(full.outcomes);
    const verified = await store.verify(SUB_A);
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);

    // Written again (a replayed lane, a replayed close): nothing new, the chain unchanged.
    const first = lanes[0] ?? [];
    await store.recordLaneOutcomes({ runId: result.input.runId, lane: "lane-0", outcomes: first });
    await store.recordRunCompleted(result);
    const again = await store.verify(SUB_A);
    expect(again.ok).toBe(true);
    expect(again.chains.map((c) => c.links)).toEqual(verified.chains.map((c) => c.links));
  });

  it("refuses the final record while a lane's outcomes are missing, and writes it whole once they arrive", async () => {
    const { store } = freshStore();
    const { full, lanes, result } = lanesAndRun();
    await store.recordLaneOutcomes({ runId: result.input.runId, lane: "lane-0", outcomes: lanes[0] ?? [] });
    const refused = await rejection(store.recordRunCompleted(result));
    expect(isValidationError(refused)).toBe(true);
    expect(String(refused)).toContain(
      `the record holds ${full.outcomes.length - 15} outcome(s) where the run accounts for ${full.outcomes.length}`,
    );
    expect((await store.getRun(result.input.runId))?.run).toBeUndefined();

    await store.recordLaneOutcomes({ runId: result.input.runId, lane: "lane-1", outcomes: lanes[1] ?? [] });
    await store.recordRunCompleted(result);
    expect((await store.getRun(result.input.runId))?.outcomes).toEqual(full.outcomes);
  });

  it("lets the outcomes a lane wrote stand where the run holds them only as failed unexpectedly (it never read that lane)", async () => {
    const { store } = freshStore();
    const { full, lanes, result } = lanesAndRun();
    await store.recordLaneOutcomes({ runId: result.input.runId, lane: "lane-0", outcomes: lanes[0] ?? [] });
    // The run learned of lane-1 only; lane-0's resources it holds as failed "unexpected" (its wave's output was lost).
    const lost = new Set((lanes[0] ?? []).map((l) => l.outcome.resourceId));
    const unexpected = full.outcomes
      .filter((o) => lost.has(o.resourceId))
      .map((o) => ({ ...o, outcome: "failed" as const, reasonCode: "unexpected" as const, message: "lost" }));
    await store.recordLaneOutcomes({ runId: result.input.runId, lane: "lane-1", outcomes: lanes[1] ?? [] });
    await store.recordRunCompleted({
      ...result,
      outcomes: [...result.outcomes, ...unexpected],
      laneOutcomes: { count: 15, lanes: ["lane-1"] },
    });
    expect((await store.getRun(result.input.runId))?.outcomes).toEqual(full.outcomes);
    expect((await store.verify(SUB_A)).ok).toBe(true);
  });
});
