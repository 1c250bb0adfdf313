/**
 * A state folder's audit after Azurite lost what it had not saved: the records the durable state holds as written are
 * written again, whole, chained once, however often the folder is opened; a store that refuses one stops the open
 * naming the run. The loss is made certain rather than awaited: the records are read back from an Azurite that never
 * had them, as one whose last save came before the writes would.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../src/cli/localStack";
import { recordedAuditWrites, recordingActivities, rewriteRecordedAudit } from "../../src/cli/auditCatchUp";
import { createActivities } from "../../activities";
import { startAzurite, type LocalAzurite } from "../../src/audit/localAzurite";
import { createAuditStore, type AuditStore } from "../../src/audit/store";
import { EventType, InstanceStore, type HistoryEvent, type InstanceRecord } from "../../src/durable-host";
import { auditWrite } from "../../activities/auditWrite";
import { defineActivity } from "../../src/contracts/define";
import { AuditWriteOutput } from "../../src/contracts/durable/recordRunStarted";
import { z } from "zod";
import type { RemediationResult } from "../../src/contracts/remediation";
import { fleet, scenario } from "../e2e/scenarios";
import { isPort25Error } from "../../src/errors";

const work = mkdtempSync(join(tmpdir(), "port25-audit-catch-up-"));
let stack: LocalStack;
let lost: LocalAzurite;
let empty: AuditStore;
let result: RemediationResult;

beforeAll(async () => {
  [stack, lost] = await Promise.all([
    startLocalStack({
      scenario: scenario({ vms: fleet(3) }),
      audit: true,
      host: { stateDir: join(work, "durable") },
    }),
    startAzurite(),
  ]);
  stack.start();
  await stack.run();
  result = stack.result();
  empty = createAuditStore({
    PORT25_AUDIT_TABLE_CONNECTION: lost.connectionString,
    PORT25_AUDIT_TABLE_PREFIX: "port25",
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([stack.close(), lost.stop()]);
  rmSync(work, { recursive: true, force: true });
});

describe("the audit written again from the durable state", () => {
  it("restores the run's start and its final record with every outcome, chained once, to a store that lost them", async () => {
    const runId = result.summary.runId;
    expect(await empty.getRun(runId)).toBeUndefined();

    const sent = await rewriteRecordedAudit(stack.host, empty, createActivities(stack.root));
    expect(sent).toBeGreaterThanOrEqual(2);
    const restored = await empty.getRun(runId);
    expect(restored?.run.status).toBe(result.summary.status);
    expect(restored?.outcomes.map((o) => o.resourceId).sort()).toEqual(result.outcomes.map((o) => o.resourceId).sort());
    const kept = await stack.root.auditStore?.getRun(runId);
    expect(restored?.outcomes).toEqual(kept?.outcomes);

    // Opened again: the same records, nothing refused, the chain not extended.
    expect(await rewriteRecordedAudit(stack.host, empty, createActivities(stack.root))).toBe(sent);
    const verified = await empty.verify(result.summary.subscriptionId);
    expect(verified.ok, JSON.stringify(verified.problems)).toBe(true);
    expect(verified.chains.map((c) => c.links)).toEqual([1]);
  });

  it("stops with AuditNotRestored naming the run's instance when the store refuses a record", async () => {
    const refuse = (): Promise<never> => Promise.reject(new Error("the table answered 403"));
    // The store as it is, but for the two run records, which it refuses.
    const refusing = Object.assign(Object.create(empty) as AuditStore, {
      recordRunStarted: refuse,
      recordRunCompleted: refuse,
    });
    const error = await rewriteRecordedAudit(stack.host, refusing, createActivities(stack.root)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPort25Error(error) && error.code).toBe("AuditNotRestored");
    expect(String(error)).toContain(stack.instanceId);
    expect(String(error)).toContain("the table answered 403");
  });

  it("counts only the recording activities whose completion says recorded, from history and inbox alike", () => {
    const at = "2026-03-03T08:00:00Z";
    const scheduled = (id: number, name: string): HistoryEvent => ({
      EventType: EventType.TaskScheduled,
      EventId: id,
      IsPlayed: true,
      Timestamp: at,
      Name: name,
      Input: `{"n":${id}}`,
    });
    const completed = (id: number, recorded: boolean): HistoryEvent => ({
      EventType: EventType.TaskCompleted,
      EventId: -1,
      IsPlayed: false,
      Timestamp: at,
      TaskScheduledId: id,
      Result: JSON.stringify({ recorded }),
    });
    const writes = recordedAuditWrites(
      [
        scheduled(0, "recordRunStarted"),
        scheduled(1, "readPowerState"),
        completed(0, true),
        completed(1, true),
        scheduled(2, "recordNotification"),
        completed(2, false),
        scheduled(3, "recordRunCompleted"),
        // Only in the inbox: delivered, not yet replayed.
        completed(3, true),
        scheduled(4, "recordRunCompleted"),
      ],
      recordingActivities(createActivities(stack.root)),
    );
    expect(writes).toEqual([
      { name: "recordRunStarted", input: '{"n":0}', at: Date.parse(at) },
      { name: "recordRunCompleted", input: '{"n":3}', at: Date.parse(at) },
    ]);
  });

  it("sends the writes of a recording activity added later, from an orchestration no list names, in the order they completed", async () => {
    // A recording activity the app does not have yet, called from a lane (cycleBatch) as well as from a run.
    const sent: string[] = [];
    const LaneInput = z.object({ lane: z.number() });
    const recordLane = auditWrite(
      stack.root,
      defineActivity("recordLaneOutcomes", LaneInput, AuditWriteOutput),
      (_s, i) => Promise.resolve(sent.push(`lane ${i.lane}`)),
    );
    const RunInput = z.object({ step: z.string() });
    const recordStep = auditWrite(stack.root, defineActivity("recordRunStep", RunInput, AuditWriteOutput), (_s, i) =>
      Promise.resolve(sent.push(`run ${i.step}`)),
    );
    const t = (minute: number): string => new Date(Date.UTC(2026, 2, 3, 8, minute)).toISOString();
    const write = (id: number, name: string, input: unknown, minute: number): HistoryEvent[] => [
      {
        EventType: EventType.TaskScheduled,
        EventId: id,
        IsPlayed: true,
        Timestamp: t(minute),
        Name: name,
        Input: JSON.stringify(input),
      },
      {
        EventType: EventType.TaskCompleted,
        EventId: -1,
        IsPlayed: true,
        Timestamp: t(minute),
        TaskScheduledId: id,
        Result: '{"recorded":true}',
      },
    ];
    const instance = (instanceId: string, name: string, minute: number, history: HistoryEvent[]): InstanceRecord => ({
      instanceId,
      name,
      executionId: 1,
      input: undefined,
      runtimeStatus: "Completed",
      createdTime: Date.parse(t(minute)),
      lastUpdatedTime: Date.parse(t(minute)),
      output: null,
      customStatus: null,
      failureDetails: undefined,
      history,
      inbox: [],
      parent: undefined,
      waitingForEvents: [],
      replays: 1,
      orchestratorCpuMs: 0,
    });
    const store = new InstanceStore();
    store.set(
      instance("run", "someRun", 0, [
        ...write(0, "recordRunStep", { step: "start" }, 0),
        ...write(1, "recordRunStep", { step: "end" }, 9),
      ]),
    );
    store.set(instance("run:lane-1", "cycleBatch", 1, write(0, "recordLaneOutcomes", { lane: 1 }, 5)));
    store.set(instance("run:lane-0", "cycleBatch", 1, write(0, "recordLaneOutcomes", { lane: 0 }, 3)));

    const count = await rewriteRecordedAudit({ store }, empty, [
      ...createActivities(stack.root),
      recordLane,
      recordStep,
    ]);
    expect(count).toBe(4);
    expect(sent).toEqual(["run start", "lane 0", "lane 1", "run end"]);
  });
});
