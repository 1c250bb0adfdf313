/**
 * The real host replays an instance on whichever worker picks up its next work item; that worker has none of the
 * in-process replay memo (orchestrations/replayMemo.ts). A whole remediation replayed with the memo dropped before
 * every episode must give exactly what the warm run gives.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { forgetReplayMemos } from "../../orchestrations/replayMemo";
import type { RemediationResult } from "../../src/contracts/remediation";
import { scenario, vm } from "./scenarios";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

const mixed = () =>
  scenario({
    vms: [
      vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
      ...["as-01", "as-02", "as-03", "as-04"].map((n) => vm(n, { availabilitySet: "avset-web" })),
      vm("flex-01", { flexScaleSet: "vmss-flex" }),
      vm("flex-02", { flexScaleSet: "vmss-flex" }),
      ...Array.from({ length: 9 }, (_, i) => vm(`app-${String(i + 1).padStart(2, "0")}`)),
      vm("w1-01", { tags: { "port25-wave": "1" } }),
      vm("w1-02", { tags: { "port25-wave": "1" } }),
      vm("stopped-01", { power: "stopped" }),
      vm("dealloc-01", { power: "deallocated" }),
    ],
    scaleSets: [
      { name: "vmss-flex", resourceGroup: "rg-app", orchestrationMode: "Flexible" },
      {
        name: "vmss-uni",
        resourceGroup: "rg-app",
        orchestrationMode: "Uniform",
        instances: [{ instanceId: "0" }, { instanceId: "1", power: "stopped" }],
      },
    ],
    vnets: [
      {
        name: "vnet-app",
        resourceGroup: "rg-app",
        addressPrefixes: ["10.0.0.0/16"],
        subnets: [
          { name: "default", addressPrefix: "10.0.0.0/24" },
          { name: "ase", addressPrefix: "10.0.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
        ],
      },
    ],
  });

/** What a run decided, per resource and overall: everything but the memo-independent wall-clock figures. */
function decided(result: RemediationResult) {
  return {
    summary: { ...result.summary },
    outcomes: result.outcomes,
    plan: result.plan,
  };
}

describe("a remediation replayed cold on every episode", () => {
  it("gives the same outcomes, plan and summary as the warm run", async () => {
    const options = { maxConcurrency: 3, batchSize: 4, restoreStoppedVms: true };
    const warm = await runRemediation({ scenario: mixed(), options });
    open.push(warm.product);
    let replays = 0;
    let dropped = 0;
    const cold = await runRemediation({
      scenario: mixed(),
      options,
      host: {
        beforeReplay: () => {
          replays++;
          dropped += forgetReplayMemos();
        },
      },
    });
    open.push(cold.product);

    expect(warm.result.summary.status).toBe("completed");
    expect(checkInvariants(cold.product.sim, cold.result, cold.product.scenario)).toEqual([]);
    // The hook ran before every episode, and the memo held values to drop: the cold path was really taken.
    expect(replays).toBeGreaterThan(0);
    expect(replays).toBeLessThanOrEqual(cold.product.stats().episodes);
    expect(dropped).toBeGreaterThan(0);
    expect(decided(cold.result)).toEqual(decided(warm.result));
    expect(cold.product.sim.snapshot().vms.map((v) => [v.name, v.powerState])).toEqual(
      warm.product.sim.snapshot().vms.map((v) => [v.name, v.powerState]),
    );
  });
});
