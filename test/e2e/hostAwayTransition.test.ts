/**
 * A power step whose host stops while it polls (a crash, a redeploy, `port25 run` killed and started again): its
 * durable timer fires when the host is back, past the step's deadline and its grace, with the deallocate still
 * under way in Azure. The time the host was away is not counted against the step's deadline, so the step keeps
 * polling after the restart, sees the deallocate end, and the VM is cycled instead of reported timed out.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startProductHost, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { scenario, vm } from "./scenarios";

const MINUTE = 60_000;
/** transitionTimeoutMinutes of the run: the step's deadline, and as much again of grace while it is still in transition. */
const TIMEOUT_MINUTES = 5;
/** How long the host is away: longer than the deadline and its grace together. */
const AWAY = 15 * MINUTE;

let product: ProductHost | undefined;
afterEach(async () => {
  await product?.close();
  product = undefined;
});

describe("a power step whose host was away past the step's deadline", () => {
  it("keeps polling after the host is back and ends cycled when the deallocate completes, not timed out", async () => {
    product = await startProductHost({
      scenario: scenario({
        vms: [vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }), vm("app-01")],
        behaviour: {
          jitter: 0,
          // app-01's deallocate runs 17 min: past the deadline and grace as the replay clock counts them (10 min)
          // once the host has been away 15 min, well within them when that absence is not counted.
          faults: [
            {
              kind: "latencySpike",
              match: { operation: "vmDeallocate", resource: "app-01" },
              extraSeconds: 16 * 60,
              count: 1,
            },
          ],
        },
      }),
    });
    const p = product;
    p.start({ options: { transitionTimeoutMinutes: TIMEOUT_MINUTES } });
    const id = p.sim.snapshot().vms.find((v) => v.name === "app-01")?.id ?? "";
    // Step on until the deallocate's operation has been polled once (app-01 is the only VM in flight then): the step
    // then waits on its next timer.
    let t = p.host.clock.now();
    const deallocatingSince = (): number | undefined => p.sim.timeline(id).find((c) => c.to === "deallocating")?.at;
    const polledWhileDeallocating = (): boolean => {
      const at = deallocatingSince();
      return (
        at !== undefined &&
        p.sim.requestLog().some((r) => r.method === "GET" && r.at > at && r.path.toLowerCase().includes("/operations/"))
      );
    };
    while (!polledWhileDeallocating()) {
      t += 5_000;
      await p.run(t);
      expect(t - p.startedAt).toBeLessThan(60 * MINUTE);
    }
    const since = deallocatingSince() ?? 0;
    // The host is away past the deadline and its grace, counted from the deallocate's start.
    const awayUntil = p.host.clock.now() + AWAY;
    expect(awayUntil - since).toBeGreaterThan(2 * TIMEOUT_MINUTES * MINUTE);
    p.host.clock.advanceTo(awayUntil);
    await p.run();

    const result = p.result();
    const o = result.outcomes.find((x) => x.name === "app-01");
    expect(o).toMatchObject({ outcome: "cycled", stateAfter: "running" });
    expect(o?.reasonCode).toBeUndefined();
    expect(o?.actions).toEqual(["powerOff", "deallocate", "start"]);
    // Still deallocating when the host came back: the polls after it saw the end, not a read made before it left.
    const deallocated = p.sim.timeline(id).find((c) => c.from === "deallocating" && c.to === "deallocated")?.at ?? 0;
    expect(deallocated).toBeGreaterThan(awayUntil);
    expect(p.sim.snapshot().vms.find((v) => v.name === "app-01")?.powerState).toBe("running");
    expect(checkInvariants(p.sim, result, p.scenario)).toEqual([]);
  });
});
