import { describe, expect, it } from "vitest";
import { startProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { fleet, scenario, START } from "./scenarios";
import { track } from "./checkedRuns";

describe("progress while a wave runs", () => {
  it("counts resources as they finish, not only when their lane or wave ends", async () => {
    // One serial lane of 8 VMs after the canary: before, the count stood still until the whole lane had finished.
    const product = track(await startProductHost({ scenario: scenario({ vms: fleet(8) }) }));
    product.start({ options: { maxConcurrency: 1 } });
    const seen: number[] = [];
    let t = Date.parse(START);
    for (let step = 0; step < 2000; step++) {
      t += 20_000;
      await product.run(t);
      const p = product.progress();
      if (p === undefined) continue;
      const c = p.counts;
      const done = c.cycled + c.skipped + c.failed;
      expect(done).toBeLessThanOrEqual(c.total);
      if (p.phase === "waves" && seen.at(-1) !== done) seen.push(done);
      const status = product.host.getStatus(product.instanceId)?.runtimeStatus;
      if (status !== "Running" && status !== "Pending") break;
    }
    const result = product.result();
    expect(result.summary.status).toBe("completed");
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    // Never backwards, and every count from the canary's 1 to the eighth resource was shown on the way.
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    for (let n = 1; n <= 8; n++) expect(seen).toContain(n);
  });
});
