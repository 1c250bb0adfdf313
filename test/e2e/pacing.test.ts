/**
 * Compute's own per-resource budgets, tightened: the product paces its polls from the
 * x-ms-ratelimit-remaining-resource headers instead of meeting 429s, and every VM still ends cycled.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { fleet, scenario } from "./scenarios";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

describe("pacing from Compute's rate-limit headers", () => {
  it("waits for the next refill when an operation's own Get Operation budget is nearly spent, with no 429", async () => {
    // One poll per operation and one more each minute, and deallocates that run 90 s: the first poll (at 72 s) finds
    // the deallocate running and spends the budget; the product's 6 s polls after it would meet a 429.
    const { product, result } = await runRemediation({
      scenario: scenario({
        vms: fleet(4),
        behaviour: {
          latencies: { deallocate: 90 },
          jitter: 0,
          computeThrottling: { overrides: { GetOperation: { resource: { capacity: 1, refillPerMinute: 1 } } } },
        },
      }),
    });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    const vms = result.outcomes.filter((o) => o.kind === "vm");
    expect(vms.length).toBe(5);
    for (const o of vms) expect({ name: o.name, outcome: o.outcome }).toEqual({ name: o.name, outcome: "cycled" });

    const log = product.sim.requestLog();
    expect(log.filter((r) => r.throttledBy === "compute")).toEqual([]);
    // The budget was under pressure: operations polled up to their burst, then again only after a refill.
    const polls = new Map<string, number[]>();
    for (const r of log) {
      if (r.operation !== "getOperationStatus" || !r.path.toLowerCase().includes("/microsoft.compute/")) continue;
      polls.set(r.path, [...(polls.get(r.path) ?? []), r.at]);
    }
    const paced = [...polls.values()].filter(
      (times) => times.length >= 2 && times.slice(1).some((t, i) => t - (times[i] ?? t) >= 55_000),
    );
    expect(paced.length).toBeGreaterThan(0);
  }, 120_000);

  it("keeps every VM inside its own budgets with every Compute limit at a twentieth", async () => {
    // Per VM: power requests 1 a minute (burst 1), instance-view reads 1 a minute (burst 2); per operation: status reads 1 a minute (burst 2).
    const { product, result } = await runRemediation({
      scenario: scenario({ vms: fleet(8), behaviour: { computeThrottling: { scale: 0.05 } } }),
    });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.counts).toMatchObject({ total: 9, cycled: 9, failed: 0, leftDown: 0 });
    expect(product.sim.requestLog().filter((r) => r.throttledBy === "compute")).toEqual([]);
  }, 120_000);
});
