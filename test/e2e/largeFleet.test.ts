import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { generateFleet } from "../../src/simulator";
import type { RemediationResult } from "../../src/contracts/remediation";

const VMS = 2000;

describe(`a fleet of ${VMS} VMs`, () => {
  let product: ProductHost;
  let result: RemediationResult;
  let realMs = 0;

  beforeAll(async () => {
    const started = performance.now();
    const run = await runRemediation({ scenario: generateFleet(VMS, 11) });
    realMs = performance.now() - started;
    product = run.product;
    result = run.result;
    const stats = product.stats();
    const virtualHours = (Date.parse(result.summary.endedAt) - Date.parse(result.summary.startedAt)) / 3_600_000;
    console.log(
      `${VMS} VMs: ${(realMs / 1000).toFixed(1)} s real, ${virtualHours.toFixed(2)} h simulated, ${stats.episodes} episodes, ` +
        `${stats.activitiesRun} activities, ${product.sim.counters().requests} ARM requests, ${stats.instances.length} instances, ` +
        `largest history ${JSON.stringify(product.maxHistory())}; host: orchestrator CPU ${Math.round(stats.orchestratorCpuMs)} ms, episodes ${Math.round(stats.episodeMs)} ms`,
    );
  }, 600_000);
  afterAll(async () => {
    await product.close();
  });

  it("completes with every resource accounted for and the invariants holding", () => {
    expect(result.summary.status).toMatch(/^completed/);
    expect(result.summary.counts.pending).toBe(0);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  });

  it("keeps every orchestration history at or below 1,000 events", () => {
    expect(product.maxHistory().length).toBeLessThanOrEqual(1000);
  });

  it("runs close to ceil(N / cap) cycle times", () => {
    const cycled = result.outcomes.filter((o) => o.outcome === "cycled" && o.kind !== "vnet").length;
    const cap = result.input.options.maxConcurrency;
    const cycleSeconds = 36 + 72 + 72;
    const simulated = (Date.parse(result.summary.endedAt) - Date.parse(result.summary.startedAt)) / 1000;
    expect(simulated).toBeLessThan(Math.ceil(cycled / cap) * cycleSeconds * 1.2);
  });
});
