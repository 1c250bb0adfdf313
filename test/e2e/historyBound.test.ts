/**
 * Histories stay small whatever the fleet: the run's history grows with its waves, a wave's with its lanes, a
 * lane's with its resources (at most batchSize) — never with the fleet. Two fleets with the same waves and lane
 * counts, four times apart in size, run at a wide cap where lanes finish one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { generateFleet } from "../../src/simulator";
import type { RemediationResult } from "../../src/contracts/remediation";
import { RunWaveOutput } from "../../src/contracts/durable/runWave";

const WIDE = {
  maxConcurrency: 200,
  maxUnavailablePerAvailabilitySet: 100,
  maxUnavailablePerScaleSet: 1000,
  batchSize: 20,
} as const;

interface Run {
  product: ProductHost;
  result: RemediationResult;
}

function histories(run: Run, name: string): number[] {
  return run.product
    .stats()
    .instances.filter((i) => i.name === name)
    .map((i) => i.historyLength);
}

function lanesPerWave(run: Run): number[] {
  return (run.result.plan?.waves ?? []).map((w) => w.batches.length);
}

describe("history bounds", () => {
  const runs: Run[] = [];
  beforeAll(async () => {
    for (const vms of [250, 1000])
      runs.push(await runRemediation({ scenario: generateFleet(vms, 11), options: WIDE, audit: true }));
  }, 600_000);
  afterAll(async () => {
    for (const r of runs) await r.product.close();
  });

  it("keeps the run's history within a few events per wave, whatever the fleet", () => {
    for (const run of runs) {
      expect(run.result.summary.status).toMatch(/^completed/);
      const waves = run.result.plan?.waves.length ?? 0;
      expect(waves).toBeGreaterThan(1);
      const [history] = histories(run, "remediateSubscription");
      // Start, audit, classification, discovery, VNets and the end: about 40 events; the canary's wait for its
      // agents (a timer and a read every 30 s to 2 min until they report ready, a few minutes: about 20 more);
      // each wave two (scheduled, completed) plus the episode it ends (two markers).
      expect(history).toBeLessThanOrEqual(80 + 6 * waves);
    }
    const [small, large] = runs.map((r) => histories(r, "remediateSubscription")[0] ?? 0);
    // Four times the fleet, with the same waves: the run's history is the same size (VNet refreshes differ).
    expect(Math.abs((large ?? 0) - (small ?? 0))).toBeLessThanOrEqual(40);
  });

  it("keeps the fleet's outcomes out of every wave's and the run's history: each lane records its own", () => {
    for (const run of runs) {
      const { host } = run.product;
      const waves = host.listInstances({ name: "runWave" });
      expect(waves.length).toBeGreaterThan(1);
      const lanes = run.result.plan?.waves.filter((w) => !w.canary).flatMap((w) => w.batches.map((b) => b.id)) ?? [];
      // Outside the canary's wave, a wave hands up only its lanes' tally; the record names every lane that wrote.
      const handedUp = waves.map((w) => RunWaveOutput.parse(w.output).outcomes.length);
      expect(handedUp.filter((n) => n > 0).length).toBeLessThanOrEqual(1);
      expect(run.result.outcomes).toHaveLength(run.result.summary.counts.total);
      const written = new Set(run.result.outcomes.flatMap((o) => (o.lane !== undefined ? [o.lane] : [])));
      for (const lane of lanes) expect(written.has(lane), lane).toBe(true);
      // The run's history holds the outcomes it keeps itself (the canary's, the VNets', the plan's skips), once in
      // its record's input; none of the lanes' (each of which it held twice before: its wave's output, the record).
      const [root] = host.listInstances({ name: "remediateSubscription" });
      const inHistory = JSON.stringify(root?.history ?? []).split('\\"outcome\\":').length - 1;
      const canary = run.result.plan?.waves.find((w) => w.canary)?.index;
      const byLanes = run.result.outcomes.filter((o) => o.lane !== undefined && o.wave !== canary).length;
      expect(byLanes).toBeGreaterThan(100);
      expect(inHistory).toBeLessThan(run.result.outcomes.length - byLanes + 10);
    }
  });

  it("keeps each wave's history within a few events per lane, and each lane's within its resources", () => {
    for (const run of runs) {
      const lanes = lanesPerWave(run);
      const waveHistories = histories(run, "runWave");
      expect(waveHistories).toHaveLength(lanes.length);
      // A lane: scheduled, completed, and the episode of its completion (two markers); plus start and end.
      expect(Math.max(...waveHistories)).toBeLessThanOrEqual(10 + 4 * Math.max(...lanes));
      // A lane holds at most about batchSize resources, each four events and an episode's markers.
      expect(Math.max(...histories(run, "cycleBatch"))).toBeLessThanOrEqual(10 + 6 * 2 * WIDE.batchSize);
    }
  });
});
