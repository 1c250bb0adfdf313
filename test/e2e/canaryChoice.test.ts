/**
 * The canary on Azure's terms: VM listings carry extensions by id only, named however their owner named them, so a
 * default canaryProbe run finds its canary by reading the extensions of the candidates, and Compute's upper-cased
 * resource groups do not leak into the report.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { scenario, vm } from "./scenarios";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

describe("choosing the canary without a tag", () => {
  it("reads the candidates' extensions, proves port 25 on the first VM with the agent, then cycles the fleet", async () => {
    const vms = [
      vm("app-01"),
      vm("app-02"),
      vm("web-01", { networkWatcherAgent: true }),
      vm("web-02", { networkWatcherAgent: true, osType: "Windows" }),
      vm("zz-01"),
    ];
    const { product, result } = await runRemediation({
      scenario: scenario({
        resourceGroups: [
          { name: "Rg-App", location: "westeurope" },
          { name: "NetworkWatcherRG", location: "westeurope" },
        ],
        vms: vms.map((v) => ({ ...v, resourceGroup: "Rg-App" })),
      }),
    });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.status).toBe("completed");
    expect(result.summary.canary).toMatchObject({ result: "reachable", vmIds: [expect.stringMatching(/\/web-01$/)] });
    const reads = product.sim
      .requestLog()
      .filter((e) => e.operation === "listVmExtensions")
      .map((e) => e.path.split("/").slice(-2, -1)[0]);
    expect(reads).toEqual(["app-01", "app-02", "web-01"]);
    expect(
      result.outcomes
        .filter((o) => o.kind === "vm")
        .every((o) => o.outcome === "cycled" && o.resourceGroup === "Rg-App"),
    ).toBe(true);
  });
});
