/**
 * A lane's custom status stays under the extension's cap (16 KB of UTF-16 text) with LANE_MEMBERS_MAX members
 * whatever their texts, while the lane's output keeps every member whole.
 */
import { describe, expect, it } from "vitest";
import { LANE_MEMBERS_MAX, type CampaignMember } from "../../../src/contracts/campaign";
import {
  LANE_STATUS_TEXT_MAX,
  laneStatusMember,
  LaneStatusSchema,
  type LaneStatus,
} from "../../../src/contracts/durable/campaign";
import { customStatusTooLarge } from "../../../src/durable-host/replay";

/** Text whose JSON form is six characters per character (control characters are escaped as \u00XX). */
const escaped = (n: number): string => "\u0001".repeat(n);

/** A member with every field, each text as long as the member's schema allows and as costly to escape as can be. */
function worstMember(i: number): CampaignMember {
  return {
    subscriptionId: `0000000${i % 10}-0000-4000-8000-000000000000`,
    displayName: escaped(256),
    state: "alreadyRunning",
    category: "blockedNotExemptible",
    reason: `"${escaped(998)}"`,
    advice: escaped(1000),
    runInstanceId: escaped(300),
    runId: escaped(300),
    runStatus: "completedWithFailures",
    counts: { total: 999_999, cycled: 999_999, skipped: 999_999, failed: 999_999, pending: 999_999, leftDown: 999_999 },
    startedAt: escaped(100),
    endedAt: escaped(100),
    recorded: true,
  };
}

describe("a lane's custom status", () => {
  it("fits the extension's 16 KB with a full lane of members as large as their schema allows", () => {
    const status: LaneStatus = {
      lane: 49,
      members: Array.from({ length: LANE_MEMBERS_MAX }, (_, i) => laneStatusMember(worstMember(i))),
      activeRun: `port25-${"f".repeat(36)}`,
      cancelRequested: true,
    };
    const text = JSON.stringify(LaneStatusSchema.parse(status));
    expect(customStatusTooLarge(text)).toBeUndefined();
    expect(text.length).toBeLessThanOrEqual(8192);
  });

  it("cuts each text to its JSON budget, escapes counted, and keeps what the view and the cancel endpoint use", () => {
    const m = laneStatusMember(worstMember(3));
    expect(JSON.stringify(m.displayName).length).toBeLessThanOrEqual(LANE_STATUS_TEXT_MAX.displayName);
    expect(JSON.stringify(m.reason).length).toBeLessThanOrEqual(LANE_STATUS_TEXT_MAX.reason);
    expect(JSON.stringify(m.runId).length).toBeLessThanOrEqual(LANE_STATUS_TEXT_MAX.runId);
    expect(m.reason?.startsWith('"')).toBe(true);
    expect(m).not.toHaveProperty("advice");
    expect(m).not.toHaveProperty("endedAt");
    expect(m).toMatchObject({
      state: "alreadyRunning",
      category: "blockedNotExemptible",
      runStatus: "completedWithFailures",
      counts: { total: 999_999 },
    });
  });

  it("leaves a member with short texts as it is, less its advice, end time and audit flag", () => {
    const member: CampaignMember = {
      subscriptionId: "7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
      displayName: "Contoso Dev/Test 01",
      state: "done",
      category: "exemptible",
      runInstanceId: "port25-7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
      runId: "camp-1-7c1d2e3f-0",
      runStatus: "completed",
      counts: { total: 11, cycled: 7, skipped: 4, failed: 0, pending: 0, leftDown: 0 },
      startedAt: "2026-03-03T09:00:00.000Z",
      endedAt: "2026-03-03T09:30:00.000Z",
      recorded: true,
      advice: "none",
    };
    const { endedAt: _endedAt, recorded: _recorded, advice: _advice, ...kept } = member;
    expect(laneStatusMember(member)).toEqual(kept);
  });
});
