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
    vms: [vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }), vm("as-01", { availabilitySet: "avset-web" }), vm("as-02", { availabilitySet: "avset-web" })],
    behaviour: {
      jitter: 0,
      faults: [{ kind: "latencySpike", match: { operation: "vmStart", resource: "as-01" }, extraSeconds: 600, count: 1 }],
    },
  });
  const stack = await startLocalStack({ scenario: input });
  try {
    stack.start({ options: { transitionTimeoutMinutes: 3, maxUnavailablePerAvailabilitySet: 1 } });
    await stack.host.runUntilIdle();
    // Let operations the run gave up on settle, so the timeline shows how long each VM really was in transition.
    stack.host.clock.advanceBy(SETTLE_MS);
    if (process.env.PORT25_REPRO_DEBUG === "1") {
      for (const o of stack.result().outcomes) console.log(o.name, o.outcome, o.reasonCode, o.message, o.startedAt, o.endedAt);
      for (const c of stack.sim.timeline()) console.log(c.resourceId.split("/").pop(), c.from, c.to, new Date(c.at).toISOString());
    }
    return checkInvariants(stack.sim, stack.result(), stack.scenario);
  } finally {
    await stack.close();
  }
}

/** Reproductions of open product bugs, replayed by `npm run chaos -- --known-bugs` (fixed ones live on as regression tests). */
export const KNOWN_BUG_REPRODUCTIONS: readonly { id: string; run: () => Promise<Violation[]> }[] = [];
