import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import type { RemediationResult } from "../../src/contracts/remediation";

describe("remediation of the demo fleet", () => {
  let product: ProductHost;
  let result: RemediationResult;

  beforeAll(async () => {
    const run = await runRemediation({ scenario: "scenarios/demo.json" });
    product = run.product;
    result = run.result;
  });
  afterAll(async () => {
    await product.close();
  });

  it("completes with every resource cycled or skipped with a reason, and the invariants hold", () => {
    expect(result.summary.status).toBe("completed");
    expect(result.summary.counts.failed).toBe(0);
    expect(
      result.outcomes
        .filter((o) => o.outcome === "skipped")
        .every((o) => o.reasonCode !== undefined && o.message !== undefined),
    ).toBe(true);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
  });

  it("proves port 25 on the canary before any other VM is touched", () => {
    const canary = result.summary.canary;
    expect(canary?.result).toBe("reachable");
    const canaryIds = new Set((canary?.vmIds ?? []).map((id) => id.toLowerCase()));
    const probe = product.sim.requestLog().find((e) => e.operation === "connectivityCheck");
    expect(probe).toBeDefined();
    const others = product.sim.timeline().filter((c) => !canaryIds.has(c.resourceId.toLowerCase()));
    expect(others.length).toBeGreaterThan(0);
    expect(Math.min(...others.map((c) => c.at))).toBeGreaterThan(probe?.at ?? Infinity);
  });

  it("cycles each running VM power off → deallocate → start, leaving it running", () => {
    const cycledVms = result.outcomes.filter(
      (o) => o.kind === "vm" && o.outcome === "cycled" && o.stateBefore === "running",
    );
    expect(cycledVms.length).toBeGreaterThan(30);
    for (const o of cycledVms) {
      expect(o.actions).toEqual(["powerOff", "deallocate", "start"]);
      expect(product.sim.timeline(o.resourceId).map((c) => c.to)).toEqual([
        "stopping",
        "stopped",
        "deallocating",
        "deallocated",
        "starting",
        "running",
      ]);
      expect(o.stateAfter).toBe("running");
    }
  });

  it("spends at most 12 ARM requests per cycled VM", () => {
    const vms = result.outcomes.filter((o) => o.kind === "vm" && o.outcome === "cycled");
    const log = product.sim.requestLog();
    const vmPaths = new Set(vms.map((o) => o.resourceId.toLowerCase()));
    const perVm = log.filter((e) =>
      vmPaths.has(e.path.toLowerCase().replace(/\/instanceview$|\/(poweroff|deallocate|start)$/, "")),
    ).length;
    const computeStatus = log.filter((e) => /microsoft\.compute\/locations\/[^/]+\/operations\//i.test(e.path)).length;
    // Operation-status polls are not addressed by VM; spread them over all cycled resources (scale sets included).
    const cycled = result.outcomes.filter((o) => o.outcome === "cycled" && o.kind !== "vnet").length;
    expect((perVm + computeStatus) / cycled).toBeLessThanOrEqual(12);
    expect(perVm / vms.length).toBeLessThanOrEqual(7);
  });

  it("keeps every orchestration history small", () => {
    expect(product.maxHistory().length).toBeLessThanOrEqual(1000);
  });
});
