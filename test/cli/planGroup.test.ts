/**
 * The management group's plan: each subscription classified, each exemptible one planned with the per-subscription
 * plan code, through the real gateway and SDK clients against the simulator; read-only; a few at a time.
 */
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator";
import { createArmGateway } from "../../src/azure/clients";
import { parseConfig } from "../../src/config";
import { discoverSubscription } from "../../src/azure/discover";
import { buildPlan } from "../../src/domain/planWaves";
import { RemediationOptionsSchema } from "../../src/contracts/options";
import type { ArmGateway } from "../../src/azure/gateway";
import { isAzureOperationError } from "../../src/errors";
import { planSubscriptions, renderGroupPlan } from "../../src/cli/planGroup";
import { mapLimit } from "../../src/concurrency";

const DEMO = join(resolve(__dirname, "../.."), "scenarios/demo.json");
const MISSING = "99999999-9999-4999-8999-999999999999";

let sim: SimulatorHandle;
let arm: ArmGateway;

beforeAll(async () => {
  sim = await startSimulator({ scenario: DEMO });
  arm = createArmGateway(
    parseConfig({
      PORT25_ARM_ENDPOINT: sim.endpoint,
      PORT25_ARM_CA_FILE: sim.caFile,
      PORT25_ARM_STATIC_TOKEN: sim.token,
    }),
  );
});
afterAll(async () => {
  await sim.close();
});

describe("planSubscriptions", () => {
  it("plans an exemptible subscription as `plan --subscription` does, reports one it cannot read in its row, and writes nothing", async () => {
    const options = RemediationOptionsSchema.parse({});
    const group = await planSubscriptions(
      arm,
      "mg-dev",
      [
        { subscriptionId: sim.subscriptionId, displayName: "listed name", parentManagementGroupId: "mg-dev" },
        { subscriptionId: MISSING, displayName: "gone", parentManagementGroupId: "mg-dev" },
      ],
      options,
    );
    const single = buildPlan(await discoverSubscription(arm, sim.subscriptionId, options), options);
    const [demo, gone] = group.subscriptions;
    expect(demo?.classification?.category).toBe("exemptible");
    expect(demo?.plan?.counts).toEqual(single.counts);
    expect(demo?.plan?.entries).toHaveLength(65);
    expect(demo?.parentManagementGroupId).toBe("mg-dev");
    expect(gone).toMatchObject({ subscriptionId: MISSING, displayName: "gone" });
    expect(gone?.error).toBeDefined();
    expect(gone?.plan).toBeUndefined();
    expect(group.totals).toEqual({
      subscriptions: 2,
      exemptible: 1,
      notExemptible: 0,
      unknown: 0,
      notBlocked: 0,
      errors: 1,
      toCycle: single.counts.toCycle,
      toRefresh: single.counts.toRefresh,
      skipped: single.counts.skipped,
    });
    expect(sim.requestLog().filter((e) => e.kind !== "read")).toEqual([]);

    const text = renderGroupPlan(group);
    expect(text).toContain("Management group mg-dev: 2 subscriptions");
    expect(text).toMatch(
      new RegExp(
        `${sim.subscriptionId}\\s+exemptible\\s+${single.counts.toCycle}\\s+${single.counts.toRefresh}\\s+${single.counts.skipped}\\n`,
      ),
    );
    expect(text).toMatch(new RegExp(`${MISSING}\\s+error\\n`));
    expect(text).toMatch(
      new RegExp(`Left alone, and why:\\n {2}gone \\(${MISSING}\\): could not be read: .*could not be found`),
    );
    expect(text).toContain(`Exemptible: 1 — ${single.counts.toCycle} to cycle`);
    expect(text).toContain("A campaign on this group would run 1 remediation and leave 1 subscription(s) alone.");
  });

  it("ends the whole plan on an error the caller picks (as no credential at all), instead of a row", async () => {
    const picked = (e: unknown): boolean => isAzureOperationError(e) && e.statusCode === 404;
    await expect(
      planSubscriptions(
        arm,
        "mg-dev",
        [
          { subscriptionId: sim.subscriptionId, displayName: "x" },
          { subscriptionId: MISSING, displayName: "gone" },
        ],
        RemediationOptionsSchema.parse({}),
        picked,
      ),
    ).rejects.toSatisfy(picked);
  });
});

describe("mapLimit", () => {
  it("never runs more than the limit at once and keeps the items' order", async () => {
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const run = mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((r) => release.push(r));
      inFlight--;
      return n * 10;
    });
    // Release the waiting calls one at a time, as they come, until all have run.
    for (let released = 0; released < 7; released++) {
      while (release.length === 0) await Promise.resolve();
      expect(inFlight).toBeLessThanOrEqual(3);
      release.shift()?.();
    }
    expect(await run).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(most).toBe(3);
  });
});
