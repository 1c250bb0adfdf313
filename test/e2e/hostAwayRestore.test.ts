/**
 * A restore whose host stops while it waits (a crash, a redeploy, a laptop asleep under `port25 run`): its durable
 * timer fires when the host is back, hours late, and the time the host was away is not counted against the VM's
 * restore deadline, so the restore still makes the attempts it had left and brings the VM back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startProductHost, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { scenario, vm } from "./scenarios";

const TWO_HOURS = 2 * 3_600_000;

let product: ProductHost | undefined;
afterEach(async () => {
  await product?.close();
  product = undefined;
});

describe("a restore whose host was away past the restore deadline", () => {
  it("starts the VM again after the host is back and ends cycled, not left down after one attempt", async () => {
    product = await startProductHost({
      scenario: scenario({
        vms: [vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }), vm("app-01")],
        // The first start and the restore's first start find no capacity; the next one does.
        behaviour: { faults: [{ kind: "allocationFailure", match: { resource: "app-01" }, count: 2 }] },
      }),
    });
    const p = product;
    p.start();
    const id = p.sim.snapshot().vms.find((v) => v.name === "app-01")?.id ?? "";
    // Step on until the poll that saw app-01's first start fail has been answered: the restore then waits on its
    // first timer.
    let t = p.host.clock.now();
    const failedAt = (): number | undefined =>
      p.sim.timeline(id).find((c) => c.from === "starting" && c.to === "deallocated")?.at;
    const polledAfterFailure = (): boolean => {
      const at = failedAt();
      return (
        at !== undefined &&
        p.sim.requestLog().some((r) => r.method === "GET" && r.at > at && r.path.toLowerCase().includes("/app-01"))
      );
    };
    while (!polledAfterFailure()) {
      t += 5_000;
      await p.run(t);
      expect(t - p.startedAt).toBeLessThan(TWO_HOURS);
    }
    // The host is away for two hours, twice the restore deadline (60 min): its timers fire when it is back.
    const awayUntil = p.host.clock.now() + TWO_HOURS;
    p.host.clock.advanceTo(awayUntil);
    await p.run();

    const result = p.result();
    const o = result.outcomes.find((x) => x.name === "app-01");
    expect(o).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    expect(o?.leftDown).toBeUndefined();
    expect(o?.actions).toEqual(["powerOff", "deallocate", "start", "start", "start"]);
    const starts = p.sim
      .requestLog()
      .filter((r) => r.method === "POST" && /\/app-01\/start$/i.test(r.path) && r.status < 300);
    expect(starts.filter((r) => r.at >= awayUntil)).toHaveLength(2);
    expect(p.sim.snapshot().vms.find((v) => v.name === "app-01")?.powerState).toBe("running");
    expect(checkInvariants(p.sim, result, p.scenario)).toEqual([]);
  });
});
