/**
 * The canary's wait for its guest agents, with the host stopped while it waits (a crash, a redeploy, `port25 run`
 * killed and started again): its durable timer fires when the host is back, past agentReadyTimeoutMinutes as the
 * replay clock counts it, with the agents still booting. The time the host was away is not counted against the
 * wait, so the probe keeps reading the agents for the time it had left and proves the exemption, instead of halting
 * the run saying the agent never became ready.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startProductHost, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { fleet, scenario } from "./scenarios";

const MINUTE = 60_000;

let product: ProductHost | undefined;
afterEach(async () => {
  await product?.close();
  product = undefined;
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
