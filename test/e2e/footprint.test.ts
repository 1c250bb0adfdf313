/**
 * Memory follows what is in flight, not the fleet: the same run over a fleet twice as large holds no more instance
 * records in memory at any point (finished lanes and resources leave memory for the stack's scratch file), the
 * simulator keeps a tally of its requests rather than every request, its world keeps its Activity Log and power
 * timeline as compact records that share their strings (a fleet twice as large adds strings per resource, not per
 * event) and its settled operations let go of what they touched, and nothing is left listening afterwards.
 * Counted, not timed: two small in-process runs with a narrow cap, so that what is in flight is the same for both.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHAIN_LENGTH } from "../../src/contracts/durable/cycleResource";
import { startProductHost } from "../support/productHost";
import { generateFleet, type World } from "../../src/simulator";

interface Footprint {
  vms: number;
  status: string;
  /** Most instance records held in memory at once over the run. */
  mostInMemory: number;
  /** Records still in memory once the run has ended. */
  inMemoryAtEnd: number;
  /** Bytes of finished records the archive keeps in memory. */
  archivedBytesInMemory: number;
  /** Every instance the run made (finished ones included). */
  instances: number;
  requestsLogged: number;
  requestsCounted: number;
  processListeners: number;
  /** What the simulated world keeps for the whole run (World.retained). */
  world: ReturnType<World["retained"]>;
}

const EVENTS = ["exit", "SIGINT", "SIGTERM", "uncaughtException", "unhandledRejection"] as const;
const listeners = (): number => EVENTS.reduce((n, e) => n + process.listenerCount(e), 0);

async function measure(vms: number): Promise<Footprint> {
  const product = await startProductHost({ scenario: generateFleet(vms, 5), requestLog: false });
  try {
    product.start({ options: { maxConcurrency: 4, batchSize: 4 } });
    let most = 0;
    for (;;) {
      const report = await product.host.runUntilIdle({ maxEpisodes: 25 });
      most = Math.max(most, product.host.store.instances.size);
      if (report.stoppedBy === "idle") break;
    }
    const result = product.result();
    return {
      vms,
      status: result.summary.status,
      mostInMemory: most,
      inMemoryAtEnd: product.host.store.instances.size,
      archivedBytesInMemory: product.host.store.archivedBytesInMemory(),
      instances: product.stats().instances.length,
      requestsLogged: product.sim.requestLog().length,
      requestsCounted: product.sim.requestTally().requests,
      processListeners: listeners(),
      world: product.sim.world().retained(),
    };
  } finally {
    await product.close();
  }
}

describe("footprint", () => {
  const runs: Footprint[] = [];
  let before = 0;
  beforeAll(async () => {
    before = listeners();
    for (const vms of [24, 48]) runs.push(await measure(vms));
  }, 600_000);
  afterAll(() => {
    runs.length = 0;
  });

  it("holds no more instances in memory for a fleet twice as large", () => {
    const [small, large] = runs;
    expect(small?.status).toMatch(/^completed/);
    expect(large?.status).toMatch(/^completed/);
    // The larger fleet did make more instances (a chain at least per CHAIN_LENGTH more VMs): they went to the scratch
    // file as they finished.
    expect(large?.instances ?? 0).toBeGreaterThanOrEqual((small?.instances ?? 0) + (48 - 24) / CHAIN_LENGTH);
    expect(large?.mostInMemory ?? Infinity).toBeLessThanOrEqual((small?.mostInMemory ?? 0) + 2);
    for (const r of runs) {
      expect(r.inMemoryAtEnd).toBeLessThanOrEqual(1);
      expect(r.archivedBytesInMemory).toBe(0);
    }
  });

  it("counts the simulator's requests without keeping each one", () => {
    const [small, large] = runs;
    expect(large?.requestsCounted ?? 0).toBeGreaterThan(small?.requestsCounted ?? 0);
    for (const r of runs) expect(r.requestsLogged).toBe(0);
  });

  it("keeps the world's history in records that share their strings, and nothing a settled operation touched", () => {
    const [small, large] = runs;
    if (small === undefined || large === undefined) throw new Error("both runs are measured");
    const added = large.vms - small.vms;
    // Twice the fleet: many more events and changes, but the strings they keep grow by the resources only (a
    // resource's id in the two spellings each record uses), not by one or more strings per event.
    expect(large.world.activityEvents - small.world.activityEvents).toBeGreaterThan(3 * added);
    expect(large.world.stateChanges - small.world.stateChanges).toBeGreaterThan(3 * added);
    expect(large.world.activityStrings - small.world.activityStrings).toBeLessThanOrEqual(added + 2);
    expect(large.world.timelineStrings - small.world.timelineStrings).toBeLessThanOrEqual(2 * added + 2);
    for (const r of runs) {
      expect(r.world.operations).toBeGreaterThan(0);
      expect(r.world.settledHolding).toBe(0);
    }
  });

  it("leaves no process listener behind", () => {
    for (const r of runs) expect(r.processListeners).toBe(before);
  });
});
