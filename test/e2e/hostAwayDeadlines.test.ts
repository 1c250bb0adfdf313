/**
 * Deadlines over durable timers whose host stops while they wait (a crash, a redeploy, `port25 run` killed and started
 * again): the timer fires when the host is back, past the deadline as the replay clock counts it, with the work still
 * under way in Azure. The time the host was away is not counted (awayClock, orchestrations/toolkit/monitor.ts), so
 * the orchestration keeps the polls it had left and sees the work end, instead of reporting it timed out:
 * a power step (its deadline and grace), the canary's wait for its agents, and the temporary subnet's delete.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startProductHost, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { fleet, scenario, vm } from "./scenarios";

const MINUTE = 60_000;
/** transitionTimeoutMinutes of the runs: a deadline, and as much again while the work is still under way. */
const TIMEOUT_MINUTES = 5;
/** How long the host is away in the step and subnet cases: longer than both deadlines together. */
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

describe("a canary whose host was away while it waited for the agents", () => {
  it("keeps waiting for the time it had left after the host is back, then proves the exemption", async () => {
    product = await startProductHost({
      scenario: scenario({
        vms: fleet(2),
        // The agents report ready 40 min after the canary runs: beyond the 20 min wait as the replay clock counts
        // it once the host has been away 30 min, within it when that absence is not counted.
        behaviour: {
          jitter: 0,
          agentReady: { afterStartSeconds: 40 * 60, extensionsAfterAgentSeconds: 0, checkAnswer: "unknown" },
        },
      }),
    });
    const p = product;
    p.start({ options: { agentReadyTimeoutMinutes: 20 } });
    const canaryId = p.sim.snapshot().vms.find((v) => v.name === "canary-01")?.id ?? "";
    const runningAt = (): number | undefined => p.sim.timeline(canaryId).find((c) => c.to === "running")?.at;
    // Step on until the agents have been read once after the canary's start: the wait is then on its next timer.
    const agentsRead = (): boolean => {
      const at = runningAt();
      return (
        at !== undefined &&
        p.sim
          .requestLog()
          .some((r) => r.operation === "getVmInstanceView" && r.at > at && r.path.toLowerCase().includes("canary-01"))
      );
    };
    let t = p.host.clock.now();
    while (!agentsRead()) {
      t += 5_000;
      await p.run(t);
      expect(t - p.startedAt).toBeLessThan(60 * MINUTE);
    }
    const awayUntil = p.host.clock.now() + 30 * MINUTE;
    expect(awayUntil - (runningAt() ?? 0)).toBeGreaterThan(20 * MINUTE);
    p.host.clock.advanceTo(awayUntil);
    await p.run();

    const result = p.result();
    expect(result.summary.status).toBe("completed");
    expect(result.summary.canary).toMatchObject({ result: "reachable" });
    expect(result.summary.counts).toMatchObject({ cycled: 3, failed: 0 });
    // The agents were still booting when the host came back: the check went out after reads made since then.
    const checks = p.sim.requestLog().filter((r) => r.operation === "connectivityCheck");
    expect(checks.map((r) => r.at - (runningAt() ?? 0))).toEqual([expect.any(Number)]);
    expect(checks[0]?.at ?? 0).toBeGreaterThanOrEqual((runningAt() ?? 0) + 40 * MINUTE);
    expect(checkInvariants(p.sim, result, p.scenario)).toEqual([]);
  });
});

describe("a temporary subnet's delete whose host was away past its deadlines", () => {
  it("keeps polling after the host is back and ends with the VNet refreshed, not timed out", async () => {
    product = await startProductHost({
      scenario: scenario({
        vnets: [
          {
            name: "vnet-app",
            resourceGroup: "rg-app",
            addressPrefixes: ["10.0.0.0/16"],
            subnets: [
              { name: "default", addressPrefix: "10.0.0.0/24" },
              { name: "ase", addressPrefix: "10.0.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
            ],
          },
        ],
        behaviour: {
          jitter: 0,
          // The delete runs 17 min: past both its deadlines as the replay clock counts them (10 min) once the host
          // has been away 15 min, within them when that absence is not counted.
          faults: [{ kind: "latencySpike", match: { operation: "deleteSubnet" }, extraSeconds: 17 * 60, count: 1 }],
        },
      }),
    });
    const p = product;
    p.start({ options: { transitionTimeoutMinutes: TIMEOUT_MINUTES } });
    const temp = (path: string): boolean => /\/subnets\/port25-temp-/i.test(path);
    const deletedAt = (): number | undefined =>
      p.sim.requestLog().find((r) => r.method === "DELETE" && temp(r.path) && r.status < 300)?.at;
    // Step on until the delete has been polled once: it then waits on its next timer.
    const polled = (): boolean => {
      const at = deletedAt();
      return at !== undefined && p.sim.requestLog().some((r) => r.method === "GET" && r.at > at);
    };
    let t = p.host.clock.now();
    while (!polled()) {
      t += 5_000;
      await p.run(t);
      expect(t - p.startedAt).toBeLessThan(60 * MINUTE);
    }
    const awayUntil = p.host.clock.now() + AWAY;
    expect(awayUntil - (deletedAt() ?? 0)).toBeGreaterThan(2 * TIMEOUT_MINUTES * MINUTE);
    p.host.clock.advanceTo(awayUntil);
    await p.run();

    const result = p.result();
    expect(result.outcomes.find((o) => o.name === "vnet-app")).toMatchObject({ outcome: "cycled" });
    // Still deleting when the host came back: its operation polled again after it, until the subnet was read gone.
    const goneAt =
      p.sim
        .requestLog()
        .find((r) => r.method === "GET" && temp(r.path) && r.status === 404 && r.at > (deletedAt() ?? 0))?.at ?? 0;
    expect(goneAt).toBeGreaterThan(awayUntil);
    const polls = p.sim
      .requestLog()
      .filter((r) => r.method === "GET" && /\/operations\//i.test(r.path) && r.at >= awayUntil && r.at <= goneAt);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(p.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toEqual(["default", "ase"]);
    expect(checkInvariants(p.sim, result, p.scenario)).toEqual([]);
  });
});
