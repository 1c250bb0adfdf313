import { afterAll, describe, expect, it } from "vitest";
import { runRemediation, startProductHost, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { fleet, scenario, START } from "./scenarios";

/** Activities that may send a write: observePowerState sends a VM's next step when its poll sees the previous one end. */
const WRITERS = new Set([
  "beginPowerOperation",
  "observePowerState",
  "addTemporarySubnet",
  "removeTemporarySubnet",
  "beginSmtpProbe",
]);

describe("activities re-run after a lost completion", () => {
  let product: ProductHost | undefined;
  afterAll(async () => {
    await product?.close();
  });

  it("send each power operation and subnet change once, though every first completion of a writing activity is lost", async () => {
    const run = await runRemediation({
      scenario: scenario({
        vms: fleet(4),
        vnets: [
          {
            name: "vnet-app",
            resourceGroup: "rg-app",
            addressPrefixes: ["10.0.0.0/16"],
            subnets: [
              { name: "ase", addressPrefix: "10.0.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
            ],
          },
        ],
      }),
      host: { dropActivityCompletion: (info) => WRITERS.has(info.name) && info.attempt === 0 },
    });
    product = run.product;
    const { result } = run;
    expect(product.stats().activityCompletionsDropped).toBeGreaterThan(15);
    expect(result.summary.status).toBe("completed");
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    const writes = product.sim.requestLog().filter((e) => e.method !== "GET" && !/connectivityCheck$/i.test(e.path));
    const perTarget = new Map<string, number>();
    for (const w of writes) perTarget.set(`${w.method} ${w.path}`, (perTarget.get(`${w.method} ${w.path}`) ?? 0) + 1);
    // 5 VMs × 3 power operations, one subnet PUT and one DELETE: each exactly once.
    expect(perTarget.size).toBe(17);
    expect([...perTarget.values()].every((n) => n === 1)).toBe(true);
    for (const o of result.outcomes.filter((x) => x.kind === "vm"))
      expect(o.actions).toEqual(["powerOff", "deallocate", "start"]);
  });

  it("a host restarted mid-wave carries every instance on from its stored history to the same end", async () => {
    const restarted = await startProductHost({ scenario: scenario({ vms: fleet(8) }) });
    try {
      restarted.start({ options: { maxConcurrency: 3 } });
      await restarted.run(Date.parse(START) + 7 * 60_000);
      expect(restarted.progress()?.phase).toBe("waves");
      await restarted.restartHost();
      await restarted.run();
      const result = restarted.result();
      expect(result.summary.status).toBe("completed");
      expect(result.summary.counts.cycled).toBe(9);
      expect(checkInvariants(restarted.sim, result, restarted.scenario)).toEqual([]);
      const posts = restarted.sim
        .requestLog()
        .filter((e) => e.method === "POST" && !/connectivityCheck$/i.test(e.path));
      expect(posts.length).toBe(27);
    } finally {
      await restarted.close();
    }
  });
});
