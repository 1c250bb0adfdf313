/** Which events a re-verification gives rise to, from its record alone. */
import { describe, expect, it } from "vitest";
import { reverificationEvents } from "../../../src/domain/notifications";
import type { ReverificationRecord } from "../../../src/contracts/reverify";

const SUB = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

const quiet: ReverificationRecord = {
  subscriptionId: SUB,
  at: "2026-03-10T06:00:00.000Z",
  lastRunId: "run-1",
  classification: { category: "exemptible", reason: "EA Dev/Test", decidedBy: [] },
  categoryChanged: false,
  stragglers: [],
  leakedSubnets: { found: [], removed: [], failed: [] },
  warnings: [],
};

describe("reverificationEvents", () => {
  it("has nothing to say about a quiet check", () => {
    expect(reverificationEvents(quiet, undefined)).toEqual([]);
  });

  it("names the stragglers and the run started for them, and a category that moved", () => {
    const record: ReverificationRecord = {
      ...quiet,
      classification: { category: "blockedNotExemptible", reason: "now pay-as-you-go", decidedBy: [] },
      previousCategory: "exemptible",
      categoryChanged: true,
      stragglers: [
        { resourceId: "/x/late-01", kind: "vm", name: "late-01", resourceGroup: "rg-app", reason: "createdAfterRun" },
        { resourceId: "/x/old-01", kind: "vm", name: "old-01", resourceGroup: "rg-app", reason: "notStartedSinceRun" },
      ],
    };
    const events = reverificationEvents(record, { runId: "run-2", instanceId: `port25-${SUB}` });
    expect(events.map((e) => e.type)).toEqual(["stragglersFound", "classificationChanged"]);
    expect(events[0]).toMatchObject({
      runId: "run-1",
      count: 2,
      stragglers: [
        { name: "late-01", resourceGroup: "rg-app", reason: "createdAfterRun" },
        { name: "old-01", resourceGroup: "rg-app", reason: "notStartedSinceRun" },
      ],
      autoRemediation: { runId: "run-2" },
    });
    expect(events[1]).toMatchObject({
      previousCategory: "exemptible",
      category: "blockedNotExemptible",
      reason: "now pay-as-you-go",
    });
  });

  it("reports leaked subnets whose removal failed too", () => {
    const events = reverificationEvents(
      { ...quiet, leakedSubnets: { found: ["/s/a"], removed: [], failed: [{ subnetId: "/s/a", message: "denied" }] } },
      undefined,
    );
    expect(events).toEqual([
      expect.objectContaining({ type: "leakedSubnetsRemoved", removed: [], removedCount: 0, failedCount: 1 }),
    ]);
  });
});
