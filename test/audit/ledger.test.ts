/**
 * The audit is tamper-evident: every final record is chained (src/audit/ledger.ts), and the verification finds any
 * record edited, removed or reordered, and any link altered, removed or forged, on the tables as Azurite holds them.
 */
import { describe, expect, it } from "vitest";
import type { TableClient } from "@azure/data-tables";
import { auditTables } from "../support/auditTables";
import { auditTableNames } from "../../src/audit/tables";
import { type AuditStore } from "../../src/audit/store";
import { encodeKey } from "../../src/audit/keys";
import { sha256, subscriptionChain } from "../../src/audit/ledger";
import type { ReverificationRecordInput } from "../../src/contracts/reverify";
import type { RefusalRecord } from "../../src/contracts/refusal";
import { runResult, SUB_A, SUB_B } from "./fixtures";
import { campaignRecord } from "./campaignFixtures";

const { freshStore, rawClient } = auditTables("l");

const reverification = (at: string): ReverificationRecordInput => ({
  subscriptionId: SUB_A,
  at,
  classification: { category: "exemptible", reason: "agreement EnterpriseAgreement + workload DevTest", decidedBy: [] },
  previousCategory: "exemptible",
  categoryChanged: false,
  stragglers: [],
  leakedSubnets: { found: [], removed: [] },
});

const refusal = (id: string): RefusalRecord => ({
  id,
  at: "2026-11-28T07:00:00.000Z",
  status: 403,
  code: "SelfApprovalRefused",
  message:
    "Remediation port25-x was started by alice@contoso.example: its approver must be a different principal (four eyes).",
  action: { function: "approveRemediation", method: "POST", path: `/api/remediations/port25-${SUB_A}/approve` },
  caller: { name: "alice@contoso.example", authenticated: true },
});

/** Three runs and a re-verification of SUB_A, a run of SUB_B, a campaign and a refusal. */
async function wholeAudit(): Promise<{ store: AuditStore; prefix: string; runIds: string[] }> {
  const { store, prefix } = freshStore();
  const runIds = ["run-a1", "run-a2", "run-a3"];
  for (const [i, runId] of runIds.entries()) {
    await store.recordRunCompleted(
      runResult({ vms: 3, input: { runId, requestedAt: `2026-11-2${i + 1}T10:00:00.000Z` } }),
    );
  }
  await store.recordReverification(reverification("2026-11-27T06:00:00.000Z"));
  await store.recordRunCompleted(runResult({ vms: 2, input: { runId: "run-b1", subscriptionId: SUB_B } }));
  await store.recordCampaignCompleted(campaignRecord());
  await store.recordRefusal(refusal("inv-1"));
  return { store, prefix, runIds };
}

async function entity(client: TableClient, pk: string, rk: string): Promise<Record<string, unknown>> {
  return client.getEntity<Record<string, unknown>>(pk, rk);
}

describe("the audit's hash chains", () => {
  it("chain every final record in order, per subscription, and verify whole; a replayed write adds no link", async () => {
    const { store } = await wholeAudit();
    await store.recordRunCompleted(
      runResult({ vms: 3, input: { runId: "run-a2", requestedAt: "2026-11-22T10:00:00.000Z" } }),
    );
    const v = await store.verify();
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.records).toBe(7);
    expect(Object.fromEntries(v.chains.map((c) => [c.chain, c.links]))).toEqual({
      [subscriptionChain(SUB_A)]: 4,
      [subscriptionChain(SUB_B)]: 1,
      campaigns: 1,
      refusals: 1,
    });
    const one = await store.verify(SUB_A);
    expect(one.ok).toBe(true);
    expect(one.chains.map((c) => c.chain)).toEqual([subscriptionChain(SUB_A)]);
  });

  it("chains a run by the text it wrote, which is the text the verification reads back (many outcomes, non-ASCII, written twice)", async () => {
    const { store } = freshStore();
    // 230 outcomes span three table transactions; the name carries characters the stored JSON escapes.
    const big = runResult({ vms: 230, input: { runId: "run-big", requestedBy: "zoë.øster@contoso.example" } });
    const first = await store.recordRunCompleted(big);
    const again = await store.recordRunCompleted(big);
    expect(again).toEqual(first);
    const v = await store.verify(SUB_A);
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.records).toBe(1);
  });

  it("finds a run record edited by hand, whether or not its stored hash was fixed up too", async () => {
    const { store, prefix } = await wholeAudit();
    const runs = rawClient(auditTableNames(prefix).runs);
    const head = await entity(runs, "run", encodeKey("run-a2"));
    const text = String(head.doc_0);
    expect(text).toContain('"requestedBy":"alice@example.com"');
    // Naive: the document no longer matches its own hash.
    await runs.updateEntity(
      {
        partitionKey: "run",
        rowKey: encodeKey("run-a2"),
        doc_0: text.replace("alice@example.com", "mallory@example.com"),
      },
      "Merge",
    );
    let v = await store.verify();
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => [p.problem, p.ref?.rowKey])).toEqual([["recordChanged", encodeKey("run-a2")]]);
    // Careful: the document's own hash and length recomputed, so it reads cleanly; the chain still says no.
    const forged = text.replace("alice@example.com", "mallory@example.com");
    await runs.updateEntity(
      {
        partitionKey: "run",
        rowKey: encodeKey("run-a2"),
        doc_0: forged,
        docSha256: sha256(forged),
        docLength: forged.length,
      },
      "Merge",
    );
    v = await store.verify();
    expect(v.problems.map((p) => [p.problem, p.ref?.rowKey])).toEqual([["recordChanged", encodeKey("run-a2")]]);
    expect((await store.getRun("run-a2"))?.run.requestedBy).toBe("mallory@example.com");
  });

  it("finds a resource outcome of a run edited by hand (a run's record covers its outcomes)", async () => {
    const { store, prefix } = await wholeAudit();
    const outcomes = rawClient(auditTableNames(prefix).outcomes);
    const rows: Record<string, unknown>[] = [];
    for await (const e of outcomes.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${encodeKey("run-a1")}'` },
    }))
      rows.push(e);
    const first = rows[0];
    expect(first).toBeDefined();
    await outcomes.deleteEntity(String(first?.partitionKey), String(first?.rowKey));
    const v = await store.verify(SUB_A);
    expect(v.problems.map((p) => [p.problem, p.ref?.rowKey])).toEqual([["recordChanged", encodeKey("run-a1")]]);
  });

  it("finds a deleted record: its link vouches for nothing", async () => {
    const { store, prefix } = await wholeAudit();
    await rawClient(auditTableNames(prefix).runs).deleteEntity("run", encodeKey("run-a1"));
    const v = await store.verify();
    expect(v.problems.map((p) => [p.problem, p.chain, p.seq])).toEqual([
      ["recordRemoved", subscriptionChain(SUB_A), 1],
    ]);
  });

  it("finds a record and its link both deleted: the chain has a gap (or, for the newest, the record is unchained)", async () => {
    const { store, prefix } = await wholeAudit();
    const names = auditTableNames(prefix);
    const ledger = rawClient(names.ledger);
    const links: Record<string, unknown>[] = [];
    for await (const e of ledger.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${subscriptionChain(SUB_A)}'` },
    }))
      links.push(e);
    const second = links.find((l) => l.seq === 2);
    await ledger.deleteEntity(String(second?.partitionKey), String(second?.rowKey));
    await rawClient(names.runs).deleteEntity("run", encodeKey("run-a2"));
    const v = await store.verify();
    expect(v.problems.map((p) => [p.problem, p.seq])).toEqual([["linkRemoved", 2]]);
    // A record inserted without a link, or whose newest link was removed, is reported unchained.
    const newest = links.find((l) => l.seq === 4);
    await ledger.deleteEntity(String(newest?.partitionKey), String(newest?.rowKey));
    const again = await store.verify();
    expect(again.problems.map((p) => p.problem).sort()).toEqual(["linkRemoved", "unchained"]);
    expect(again.problems.find((p) => p.problem === "unchained")?.ref?.table).toBe("reverify");
  });

  it("finds reordered records: links rewritten into another order, each link's own digest recomputed", async () => {
    const { store, prefix } = await wholeAudit();
    const ledger = rawClient(auditTableNames(prefix).ledger);
    const links: Record<string, unknown>[] = [];
    for await (const e of ledger.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${subscriptionChain(SUB_A)}'` },
    }))
      links.push(e);
    const byseq = (n: number): Record<string, unknown> => links.find((l) => l.seq === n) ?? {};
    // Swap what links 2 and 3 vouch for (run-a2 and run-a3 now appear in the other order), and recompute each link's
    // digest over its new content as a careful forger would; the chain's prev pointers no longer line up.
    const [two, three] = [byseq(2), byseq(3)];
    const swapped: Record<string, unknown>[] = [
      { ...two, recordRowKey: three.recordRowKey, recordSha256: three.recordSha256 },
      { ...three, recordRowKey: two.recordRowKey, recordSha256: two.recordSha256 },
    ];
    for (const l of swapped) {
      const digest = sha256(
        [
          String(l.partitionKey),
          String(l.seq),
          String(l.prev),
          String(l.kind),
          String(l.table),
          String(l.recordPartitionKey),
          String(l.recordRowKey),
          String(l.recordSha256),
        ].join("\n"),
      );
      await ledger.updateEntity(
        {
          partitionKey: String(l.partitionKey),
          rowKey: String(l.rowKey),
          recordRowKey: String(l.recordRowKey),
          recordSha256: String(l.recordSha256),
          digest,
        },
        "Merge",
      );
    }
    const v = await store.verify(SUB_A);
    expect(v.ok).toBe(false);
    // Link 3 no longer follows link 2, nor link 4 link 3: the chain is broken from the first moved link on.
    expect(v.problems.map((p) => [p.problem, p.seq])).toEqual([
      ["reordered", 3],
      ["reordered", 4],
    ]);
  });

  it("finds a link edited without recomputing its digest", async () => {
    const { store, prefix } = await wholeAudit();
    const ledger = rawClient(auditTableNames(prefix).ledger);
    for await (const l of ledger.listEntities<Record<string, unknown>>({
      queryOptions: { filter: "PartitionKey eq 'refusals'" },
    })) {
      await ledger.updateEntity(
        { partitionKey: String(l.partitionKey), rowKey: String(l.rowKey), at: "2020-01-01T00:00:00.000Z", kind: "run" },
        "Merge",
      );
    }
    const v = await store.verify();
    expect(v.problems.map((p) => [p.problem, p.chain])).toEqual([["linkAltered", "refusals"]]);
  });
});
