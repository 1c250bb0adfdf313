/** The run options that bound waits on Azure: their defaults outlast what Azure documents, and bad values are refused. */
import { describe, expect, it } from "vitest";
import { RemediationOptionsSchema } from "../../../src/contracts/options";
import { LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS } from "../../../src/contracts/azure";
import { RESTORE_THROTTLED_FLOOR_SECONDS } from "../../../orchestrations/cycleRestore";
import { MAX_RETRY_AFTER_SECONDS } from "../../../orchestrations/shared";
import { PaceSecondsSchema } from "../../../src/contracts/durable/common";

describe("options that bound waits on Azure", () => {
  it("gives the canary's agents 20 minutes by default and refuses a deadline outside 1–120 minutes", () => {
    expect(RemediationOptionsSchema.parse({}).agentReadyTimeoutMinutes).toBe(20);
    expect(RemediationOptionsSchema.safeParse({ agentReadyTimeoutMinutes: 0 }).success).toBe(false);
    expect(RemediationOptionsSchema.safeParse({ agentReadyTimeoutMinutes: 121 }).success).toBe(false);
    expect(RemediationOptionsSchema.safeParse({ agentReadyTimeoutMinutes: 2.5 }).success).toBe(false);
    const bad = RemediationOptionsSchema.safeParse({ agentReadyTimeoutMinutes: "soon" });
    expect(bad.success ? [] : bad.error.issues.map((i) => i.path.join("."))).toEqual(["agentReadyTimeoutMinutes"]);
  });

  it("has default step and restore deadlines, and a throttled restore's floor, longer than the longest documented Retry-After", () => {
    const o = RemediationOptionsSchema.parse({});
    expect(o.transitionTimeoutMinutes * 60).toBeGreaterThan(LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS);
    expect(o.restoreTimeoutMinutes * 60).toBeGreaterThan(LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS);
    expect(RESTORE_THROTTLED_FLOOR_SECONDS).toBeGreaterThan(LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS);
    expect(MAX_RETRY_AFTER_SECONDS).toBeGreaterThanOrEqual(LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS);
    // An activity may ask for a pace as long as the longest documented wait.
    expect(PaceSecondsSchema.safeParse(LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS).success).toBe(true);
  });
});
