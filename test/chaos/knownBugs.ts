/**
 * Minimal reproductions of product bugs the chaos suite found. Each returns the invariant violations it provokes:
 * empty once the bug is fixed, when it becomes a regression test (test/chaos/regressions.test.ts).
 */
import { startLocalStack } from "../../src/cli/localStack";
import type { ScenarioInput } from "../../src/simulator";
import { scenario, vm } from "../e2e/scenarios";
import { checkInvariants, type Violation } from "../support/invariants";

/** Long enough for any operation the run abandoned to finish (stuck ones never do). */
export const SETTLE_MS = 3 * 3600_000;

/**
 * timed-out-vm-frees-its-availability-set-slot: as-01's start takes 10 minutes longer than usual, its transition
 * deadline is 3 minutes, so it is reported failed while still starting — and as-02, of the same availability set
 * (cap 1), is powered off at once. Expected once fixed: no violation (as-02 waits until as-01 has settled).
 */
export async function reproduceTimedOutAvailabilitySetSlot(): Promise<Violation[]> {
  const input: ScenarioInput = scenario({
    vms: [
      vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
      vm("as-01", { availabilitySet: "avset-web" }),
      vm("as-02", { availabilitySet: "avset-web" }),
    ],
    behaviour: {
      jitter: 0,
      faults: [
        { kind: "latencySpike", match: { operation: "vmStart", resource: "as-01" }, extraSeconds: 600, count: 1 },
      ],
    },
  });
  const stack = await startLocalStack({ scenario: input });
  try {
    stack.start({ options: { transitionTimeoutMinutes: 3, maxUnavailablePerAvailabilitySet: 1 } });
    await stack.host.runUntilIdle();
    // Let operations the run gave up on settle, so the timeline shows how long each VM really was in transition.
    stack.host.clock.advanceBy(SETTLE_MS);
    if (process.env.PORT25_REPRO_DEBUG === "1") {
      for (const o of stack.result().outcomes)
        console.log(o.name, o.outcome, o.reasonCode, o.message, o.startedAt, o.endedAt);
      for (const c of stack.sim.timeline())
        console.log(c.resourceId.split("/").pop(), c.from, c.to, new Date(c.at).toISOString());
    }
    return checkInvariants(stack.sim, stack.result(), stack.scenario);
  } finally {
    await stack.close();
  }
}

/**
 * subnet-delete-abandoned-while-in-progress (chaos seed 144, quick): the temporary subnet's delete is slowed past
 * the 3-minute transition deadline (a latency spike) and then ends Failed, so ARM rolls it back. The refresh gave
 * up at the deadline while ARM still said the delete was in progress, so nothing sent it again and the subnet
 * stayed (invariant 4). Expected once fixed: no violation (the refresh waits out the delete, then sends it again).
 */
export async function reproduceSlowFailedSubnetDelete(): Promise<Violation[]> {
  const input: ScenarioInput = scenario({
    vnets: [
      {
        name: "vnet-app",
        resourceGroup: "rg-app",
        addressPrefixes: ["10.0.0.0/16"],
        subnets: [
          { name: "default", addressPrefix: "10.0.0.0/24" },
          { name: "funcs", addressPrefix: "10.0.1.0/24", delegations: ["Microsoft.Web/serverFarms"] },
        ],
      },
    ],
    behaviour: {
      jitter: 0,
      responseShapes: { lro: "azureAsyncOperation" },
      faults: [
        { kind: "latencySpike", match: { operation: "deleteSubnet" }, extraSeconds: 215, count: 1 },
        { kind: "lroFailed", code: "InternalExecutionError", match: { operation: "deleteSubnet" }, count: 1 },
      ],
    },
  });
  const stack = await startLocalStack({ scenario: input });
  try {
    stack.start({ options: { transitionTimeoutMinutes: 3 } });
    await stack.host.runUntilIdle();
    stack.host.clock.advanceBy(SETTLE_MS);
    if (process.env.PORT25_REPRO_DEBUG === "1") {
      for (const o of stack.result().outcomes) console.log(o.name, o.outcome, o.reasonCode, o.message);
      for (const e of stack.sim.requestLog())
        if (/subnets|network\/locations/i.test(e.path))
          console.log(e.method, e.status, e.path, new Date(e.at).toISOString());
    }
    return checkInvariants(stack.sim, stack.result(), stack.scenario);
  } finally {
    await stack.close();
  }
}

/** Reproductions of open product bugs, replayed by `npm run chaos -- --known-bugs` (fixed ones live on as regression tests). */
export const KNOWN_BUG_REPRODUCTIONS: readonly { id: string; run: () => Promise<Violation[]> }[] = [];
