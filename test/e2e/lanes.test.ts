/** The plan that is shown is the plan that runs: every lane the plan deals is one cycleBatch, with exactly its members. */
import { afterEach, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { CycleBatchInput } from "../../src/contracts/durable/cycleBatch";
import { batchInstanceId } from "../../src/contracts/durable/cycleBatch";
import { remediationInstanceId } from "../../src/contracts/remediation";
import { scenario, SUBSCRIPTION_ID, vm } from "./scenarios";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

describe("lanes", () => {
  it("runs exactly the lanes the plan dealt: same ids, members, order and cap shares", async () => {
    const { product, result } = await runRemediation({
      scenario: scenario({
        vms: [
          vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
          ...["as-01", "as-02", "as-03", "as-04", "as-05"].map((n) => vm(n, { availabilitySet: "avset-web" })),
          ...["fx-01", "fx-02", "fx-03"].map((n) => vm(n, { flexScaleSet: "vmss-flex" })),
          ...Array.from({ length: 11 }, (_, i) => vm(`app-${String(i + 1).padStart(2, "0")}`)),
          vm("w1-01", { tags: { "port25-wave": "1" } }),
          vm("w1-02", { tags: { "port25-wave": "1" } }),
        ],
        scaleSets: [{ name: "vmss-flex", resourceGroup: "rg-app", orchestrationMode: "Flexible" }],
      }),
      options: { maxConcurrency: 3, maxUnavailablePerAvailabilitySet: 2, batchSize: 4 },
    });
    open.push(product);
    expect(result.summary.status).toBe("completed");
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    const plan = result.plan;
    if (plan === undefined) throw new Error("the run has no plan");

    const planned = plan.waves.flatMap((w) =>
      w.batches.map((b) => ({
        id: batchInstanceId(remediationInstanceId(SUBSCRIPTION_ID), result.input.runId, b.id),
        wave: w.index,
        items: b.items,
        share: b.share,
      })),
    );
    const executed = product.host
      .listInstances({ name: "cycleBatch" })
      .map((s) => ({ id: s.instanceId, input: CycleBatchInput.parse(s.input) }))
      .map(({ id, input }) => ({
        id,
        wave: input.wave,
        items: input.entries.map((e) => e.resourceId),
        share: input.caps.maxConcurrency,
      }));
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    expect(planned.length).toBeGreaterThan(plan.waves.length);
    expect([...executed].sort(byId)).toEqual([...planned].sort(byId));
    // Every resource the plan cycles ran in the lane the plan gave it, and nowhere else.
    const laneOf = new Map(planned.flatMap((l) => l.items.map((id) => [id, l.id] as const)));
    expect(
      result.outcomes.filter((o) => o.kind !== "vnet" && o.outcome === "cycled").every((o) => laneOf.has(o.resourceId)),
    ).toBe(true);
    // Each outcome names that lane (the plan's id for it), which the report's timeline groups by.
    const planLane = new Map(
      plan.waves.flatMap((w) => w.batches.flatMap((b) => b.items.map((id) => [id, b.id] as const))),
    );
    const cycled = result.outcomes.filter((o) => o.kind !== "vnet" && o.outcome === "cycled");
    expect(cycled.map((o) => [o.name, o.lane])).toEqual(cycled.map((o) => [o.name, planLane.get(o.resourceId)]));
    expect(cycled.every((o) => o.lane !== undefined)).toBe(true);
  });
});
