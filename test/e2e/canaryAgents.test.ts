/**
 * The canary meets a guest that takes minutes to come up: the run waits for the VM agent and the Network Watcher
 * agent to report ready, probes again while checks answer without a verdict, and only halts when the deadline
 * passes, saying whether the agent never became ready or port 25 was unreachable. All in virtual time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { fleet, scenario } from "./scenarios";
import type { ScenarioInput } from "../../src/simulator";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

type AgentReady = NonNullable<NonNullable<ScenarioInput["behaviour"]>["agentReady"]>;

function slowAgents(agentReady: AgentReady, exempted = true): ScenarioInput {
  return scenario({
    vms: fleet(3),
    behaviour: { agentReady },
    ...(exempted ? {} : { exemption: { exempted: false } }),
  });
}

/** The simulated time of each request of one kind on the canary, in seconds after its start went running. */
function canaryRequests(product: ProductHost, operation: string): number[] {
  return product.sim
    .requestLog()
    .filter((r) => r.operation === operation && r.path.toLowerCase().includes("canary-01"))
    .map((r) => r.at);
}

describe("a canary whose agents take minutes to report ready", () => {
  it("waits for them, then proves the exemption and cycles the fleet", async () => {
    const { product, result } = await runRemediation({
      scenario: slowAgents({ afterStartSeconds: 480, extensionsAfterAgentSeconds: 60, checkAnswer: "either" }),
    });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.status).toBe("completed");
    expect(result.summary.canary).toMatchObject({ result: "reachable" });
    expect(result.summary.counts).toMatchObject({ cycled: 4, failed: 0 });
    // The agents were read on the instance view while the guest booted, and the first check went out after they were ready.
    const running = product.sim
      .timeline()
      .find((c) => c.resourceId.toLowerCase().endsWith("/canary-01") && c.to === "running");
    if (running === undefined) throw new Error("the canary never ran");
    const reads = canaryRequests(product, "getVmInstanceView").filter((t) => t >= running.at);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    const checks = product.sim
      .requestLog()
      .filter((r) => r.operation === "connectivityCheck")
      .map((r) => r.at);
    expect(checks.length).toBe(1);
    expect((checks[0] ?? 0) - running.at).toBeGreaterThanOrEqual(540_000 * 0.8);
    // A handful of reads over the nine minutes (backoff from 30 s to 2 min, with the cycle's own confirmation), not one every few seconds.
    expect(reads.length).toBeLessThanOrEqual(10);
  }, 120_000);

  it("halts saying the agent never became ready when it does not within agentReadyTimeoutMinutes, the fleet untouched", async () => {
    const { product, result } = await runRemediation({
      scenario: slowAgents({ afterStartSeconds: 3600, checkAnswer: "unknown" }),
      options: { agentReadyTimeoutMinutes: 10 },
    });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.status).toBe("halted");
    expect(result.summary.canary).toMatchObject({ result: "unavailable", haltCause: "agentNotReady" });
    expect(result.summary.canary?.detail).toMatch(/never became ready within 10 min/);
    expect(product.sim.requestLog().filter((r) => r.operation === "connectivityCheck")).toEqual([]);
    // The canary is running again; nothing else was touched.
    for (const o of result.outcomes.filter((x) => x.kind === "vm" && x.canary !== true))
      expect(o.outcome).toBe("skipped");
  }, 120_000);

  // The instance view says ready minutes before a check can run from the VM: the product meets AgentStopped first.
  const lateChecks: AgentReady = {
    afterStartSeconds: 60,
    extensionsAfterAgentSeconds: 0,
    checksAfterExtensionsSeconds: 200,
    checkAnswer: "either",
  };

  it("probes again, with backoff, while checks answer Unknown / AgentStopped or fail, and then proves the exemption", async () => {
    const { product, result } = await runRemediation({ scenario: slowAgents(lateChecks) });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.status).toBe("completed");
    expect(result.summary.canary).toMatchObject({ result: "reachable" });
    const checks = product.sim
      .requestLog()
      .filter((r) => r.operation === "connectivityCheck")
      .map((r) => r.at);
    expect(checks.length).toBeGreaterThanOrEqual(2);
    const gaps = checks.slice(1).map((t, i) => t - (checks[i] ?? t));
    // Each wait at least as long as the one before (30 s, 60 s, 120 s …, plus the check's own time).
    expect(gaps.every((g, i) => g >= 30_000 && (i === 0 || g >= (gaps[i - 1] ?? 0)))).toBe(true);
  }, 120_000);

  it("halts with port 25 unreachable, not the agent, when the checks that do run say so", async () => {
    const { product, result } = await runRemediation({ scenario: slowAgents(lateChecks, false) });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.status).toBe("halted");
    expect(result.summary.canary).toMatchObject({ result: "unreachable", haltCause: "portUnreachable" });
    expect(result.summary.canary?.detail).toMatch(/could not reach/);
    expect(product.sim.requestLog().filter((r) => r.operation === "connectivityCheck").length).toBeGreaterThanOrEqual(
      2,
    );
  }, 120_000);

  it("halts saying the agent was never ready when every check within the deadline answers AgentStopped", async () => {
    const { product, result } = await runRemediation({
      scenario: slowAgents({ ...lateChecks, checksAfterExtensionsSeconds: 7200, checkAnswer: "unknown" }),
      options: { agentReadyTimeoutMinutes: 8 },
    });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.status).toBe("halted");
    expect(result.summary.canary).toMatchObject({ result: "unavailable", haltCause: "agentNotReady" });
    expect(result.summary.canary?.detail).toMatch(/AgentStopped/);
  }, 120_000);
});
