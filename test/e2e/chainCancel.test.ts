/**
 * A serial lane's chain (orchestrations/cycleChain.ts) stops after the resource in flight when its lane hears a
 * cancel: the lane hands it on (relayCancel), whatever the event carried, and the chain's remaining resources are
 * skipped "cancelled", never started.
 */
import { describe, expect, it } from "vitest";
import { startProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { activeLanesOf } from "../../src/contracts/durable/runWave";
import { activeChainsOf } from "../../src/contracts/durable/cycleBatch";
import { ChainStatusSchema } from "../../src/contracts/durable/cycleResource";
import { fleet, scenario, START } from "./scenarios";
import { track } from "./checkedRuns";

describe("a cancel reaching a chain in flight", () => {
  it("stops it after the resource in flight, even when the cancel carried no payload", async () => {
    // One serial lane of eight after the canary: a chain of five, then one of three.
    const product = track(await startProductHost({ scenario: scenario({ vms: fleet(8) }) }));
    product.start({ options: { maxConcurrency: 1 } });
    let t = Date.parse(START);
    let signalled: string[] = [];
    for (let step = 0; step < 2000 && signalled.length === 0; step++) {
      t += 10_000;
      await product.run(t);
      const waves = product.progress()?.activeWaves ?? [];
      const lanes = waves.flatMap((w) => activeLanesOf(product.host.getStatus(w)?.customStatus));
      const chains = lanes.flatMap((l) => activeChainsOf(product.host.getStatus(l)?.customStatus));
      // The first chain of the fleet's wave, its first resource under way.
      const chain = ChainStatusSchema.safeParse(product.host.getStatus(chains[0] ?? "")?.customStatus);
      if (chain.success && chain.data.current !== undefined && chain.data.done.length === 0)
        signalled = [product.instanceId, ...waves, ...lanes];
    }
    expect(signalled.length).toBeGreaterThan(2);
    const cancelAt = product.host.clock.now();
    // Raised as anyone holding the durable extension's key could: no payload.
    for (const id of signalled) product.host.raiseEvent(id, "cancel");
    await product.run();
    const result = product.result();
    expect(result.summary.status).toBe("cancelled");
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    // The canary and the resource in flight were cycled; the other seven were never started.
    expect(result.outcomes.filter((o) => o.outcome === "cycled")).toHaveLength(2);
    expect(result.outcomes.filter((o) => o.reasonCode === "cancelled")).toHaveLength(7);
    const firstChange = new Map<string, number>();
    for (const c of product.sim.timeline()) if (!firstChange.has(c.resourceId)) firstChange.set(c.resourceId, c.at);
    expect([...firstChange.values()].filter((at) => at > cancelAt)).toEqual([]);
  });
});
