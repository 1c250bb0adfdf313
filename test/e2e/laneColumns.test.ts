/**
 * A lane with a share of the cap above 1 runs as columns (orchestrations/cycleBatch.ts): each column a serial
 * sequence, so it goes on to its next resource as soon as its last one is done rather than when the slowest of a
 * round is, and a set with a cap of k never has more than k members down, whatever the columns do.
 */
import { describe, expect, it } from "vitest";
import { CycleChainInput } from "../../src/contracts/durable/cycleResource";
import { CycleBatchInput } from "../../src/contracts/durable/cycleBatch";
import { scenario, vm } from "./scenarios";
import { outcome, run } from "./checkedRuns";

describe("a lane's columns", () => {
  it("go on to their next resource when their last is done, not when the slowest of the lane is", async () => {
    const members = ["as-1", "as-2", "as-3", "as-4"];
    const { product, result } = await run({
      scenario: scenario({
        vms: [
          vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
          ...members.map((n) => vm(n, { availabilitySet: "avset-web" })),
        ],
        behaviour: {
          // as-1's deallocate takes five minutes longer than usual.
          faults: [
            {
              kind: "latencySpike",
              match: { operation: "vmDeallocate", resource: "as-1" },
              extraSeconds: 300,
              count: 1,
            },
          ],
        },
      }),
      // Above 50 the cap is shared among lanes, a set stays whole in one, and its lane keeps the set's cap itself.
      options: { maxConcurrency: 100, maxUnavailablePerAvailabilitySet: 2 },
    });
    expect(result.summary.status).toBe("completed");
    for (const n of members) expect(outcome(result, n).outcome).toBe("cycled");

    // The set's lane has a share of the cap above its set's cap, and runs as two columns of two.
    const lane = product.host
      .listInstances({ name: "cycleBatch" })
      .map((s) => CycleBatchInput.parse(s.input))
      .find((l) => l.entries.some((e) => e.name === "as-1"));
    expect(lane?.caps.maxConcurrency).toBeGreaterThan(2);
    const chains = product.host
      .listInstances({ name: "cycleChain" })
      .map((s) => CycleChainInput.parse(s.input).entries.map((e) => e.name))
      .filter((names) => names.some((n) => members.includes(n)));
    expect(chains.map((c) => [...c].sort()).sort()).toEqual([
      ["as-1", "as-3"],
      ["as-2", "as-4"],
    ]);

    // What the simulator saw (its timeline, oldest first): each member down from leaving running until running
    // again. as-2's column goes on to as-4 while as-1 is still in its long deallocate; as-3 follows as-1.
    const timeline = product.sim.timeline();
    const span = (n: string): { start: number; end: number } => {
      const changes = timeline.filter(
        (c) => c.instanceId === undefined && c.resourceId.toLowerCase().endsWith(`/virtualmachines/${n}`),
      );
      return {
        start: changes.find((c) => c.from === "running")?.at ?? Number.NaN,
        end: changes.filter((c) => c.to === "running").at(-1)?.at ?? Number.NaN,
      };
    };
    expect(span("as-4").start).toBeGreaterThanOrEqual(span("as-2").end);
    expect(span("as-4").start).toBeLessThan(span("as-1").end);
    expect(span("as-3").start).toBeGreaterThanOrEqual(span("as-1").end);
    // Never more than the set's cap of two members down at once.
    const spans = members.map(span);
    for (const a of spans) {
      expect(a.start).toBeLessThan(a.end);
      expect(spans.filter((b) => b.start <= a.start && a.start < b.end).length).toBeLessThanOrEqual(2);
    }
  });
});
