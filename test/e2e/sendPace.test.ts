/**
 * A wave that starts more VMs than ARM's subscription write bucket holds (200, refilled 10 a second) spreads its
 * first writes over the bucket (src/domain/sendPace.ts): no write is refused 429, the subscription keeps headroom for
 * its other writers, and a cancel heard while chains wait for their turn starts none of them.
 */
import { describe, expect, it } from "vitest";
import { startProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { activeLanesOf } from "../../src/contracts/durable/runWave";
import { fleet, scenario, START } from "./scenarios";
import { run, track } from "./checkedRuns";
import { RUN_WRITE_BURST } from "../../src/domain/sendPace";

const VMS = 300;

/** Times (simulated ms) of the fleet's power-off requests, in order. */
function powerOffTimes(log: readonly { operation?: string | undefined; path: string; at: number }[]): number[] {
  return log
    .filter((r) => r.operation === "vmPowerOff" && !r.path.includes("canary-01"))
    .map((r) => r.at)
    .sort((a, b) => a - b);
}

describe("the pace of a wave's first writes", () => {
  it("spreads 300 VMs' first writes over ARM's write bucket: no request refused 429", async () => {
    const { product, result } = await run({
      scenario: scenario({ vms: fleet(VMS) }),
      options: { maxConcurrency: VMS },
    });
    expect(result.outcomes.filter((o) => o.kind === "vm" && o.outcome === "cycled")).toHaveLength(VMS + 1);
    const log = product.sim.requestLog();
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    const offs = powerOffTimes(log);
    expect(offs).toHaveLength(VMS);
    const first = offs[0] ?? 0;
    // The burst the run allows itself goes at once; the rest follow at the bucket's refill, none in a bunch above it.
    expect(offs.filter((at) => at === first)).toHaveLength(RUN_WRITE_BURST);
    const last = offs[offs.length - 1] ?? 0;
    expect(last - first).toBeGreaterThanOrEqual(((VMS - RUN_WRITE_BURST) / 10) * 1000);
    for (const at of offs) {
      const within = offs.filter((t) => t > at - 1000 && t <= at).length;
      if (at > first) expect(within).toBeLessThanOrEqual(60);
    }
  });

  it("a cancel heard while chains wait for their turn starts none of them", async () => {
    const product = track(await startProductHost({ scenario: scenario({ vms: fleet(VMS) }) }));
    product.start({ options: { maxConcurrency: VMS } });
    let t = Date.parse(START);
    let signalled: string[] = [];
    for (let step = 0; step < 2000 && signalled.length === 0; step++) {
      t += 1000;
      await product.run(t);
      // The fleet's burst has gone out; the chains after it still wait.
      if (powerOffTimes(product.sim.requestLog()).length >= RUN_WRITE_BURST) {
        const waves = product.progress()?.activeWaves ?? [];
        const lanes = waves.flatMap((w) => activeLanesOf(product.host.getStatus(w)?.customStatus));
        signalled = [product.instanceId, ...waves, ...lanes];
      }
    }
    expect(signalled.length).toBeGreaterThan(2);
    const cancelAt = product.host.clock.now();
    const sentBefore = powerOffTimes(product.sim.requestLog()).length;
    expect(sentBefore).toBeLessThan(VMS);
    for (const id of signalled) product.host.raiseEvent(id, "cancel");
    await product.run();
    const result = product.result();
    expect(result.summary.status).toBe("cancelled");
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    // What had started was cycled back up; the chains still waiting were skipped "cancelled", never touched.
    const cancelled = result.outcomes.filter((o) => o.reasonCode === "cancelled");
    expect(cancelled).toHaveLength(VMS - sentBefore);
    expect(powerOffTimes(product.sim.requestLog())).toHaveLength(sentBefore);
    const touched = new Set(
      product.sim
        .timeline()
        .filter((c) => c.at > cancelAt)
        .map((c) => c.resourceId),
    );
    for (const o of cancelled) expect(touched.has(o.resourceId)).toBe(false);
  });
});
