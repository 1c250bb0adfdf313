/**
 * A started VM's guest agents, through the product's gateway (the real SDK clients) against the simulator: the
 * instance view says Not Ready as the Compute spec's example does, then Ready with the extensions transitioning,
 * then provisioned; a connectivity check meanwhile answers Unknown with AgentStopped on the source hop, or fails.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { createArmGateway } from "../../src/azure/clients";
import type { ArmGateway } from "../../src/azure/gateway";
import type { NetworkWatcherInfo } from "../../src/contracts/discovery";
import { startSimulator, type ScenarioInput, type SimulatorHandle } from "../../src/simulator";
import { COMPUTE, ManualClock, pick, smallScenario } from "./helpers";

const open: SimulatorHandle[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

type AgentReady = NonNullable<NonNullable<ScenarioInput["behaviour"]>["agentReady"]>;

async function start(agentReady: AgentReady = {}) {
  const base = smallScenario();
  const clock = new ManualClock();
  const sim = await startSimulator({
    scenario: { ...base, behaviour: { ...base.behaviour, jitter: 0, agentReady } },
    clock,
    seed: 5,
  });
  open.push(sim);
  const arm = createArmGateway(
    parseConfig({
      PORT25_ARM_ENDPOINT: sim.endpoint,
      PORT25_ARM_CA_FILE: sim.caFile,
      PORT25_ARM_STATIC_TOKEN: sim.token,
    }),
  );
  const vm = `/subscriptions/${sim.subscriptionId}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm1`;
  const [watcher] = await arm.listNetworkWatchers(sim.subscriptionId);
  if (watcher === undefined) throw new Error("no watcher");
  return { sim, clock, arm, vm, watcher };
}

/** Deallocates and starts the VM through the gateway, advancing the clock until each step is done. */
async function cycle(arm: ArmGateway, clock: ManualClock, vm: string): Promise<void> {
  for (const step of ["deallocate", "start"] as const) {
    const handle = await arm.beginVmPowerOperation(vm, step);
    clock.advance(61);
    expect((await arm.getOperationStatus(handle)).status).toBe("Succeeded");
  }
}

async function check(arm: ArmGateway, clock: ManualClock, watcher: NetworkWatcherInfo, vm: string) {
  const started = await arm.beginConnectivityCheck(watcher, vm, "smtp.example.com", 25);
  if (started.status === "done") return { status: "Succeeded" as const, result: started.result };
  clock.advance(21);
  const status = await arm.getOperationStatus(started.handle);
  if (status.status !== "Succeeded") return { status: status.status, code: status.error?.code };
  return { status: status.status, result: await arm.getConnectivityResult(started.handle) };
}

describe("guest agents after a start", () => {
  it("reports the VM agent Not Ready, then Ready with the extension transitioning, then everything provisioned", async () => {
    const { sim, clock, arm, vm } = await start();
    // Running since before the simulation: ready.
    expect(await arm.getVmAgentReadiness(vm)).toMatchObject({
      powerState: "running",
      vmAgent: "ready",
      networkWatcherAgent: "ready",
    });
    await cycle(arm, clock, vm);
    const booting = await arm.getVmAgentReadiness(vm);
    expect(booting).toMatchObject({
      exists: true,
      powerState: "running",
      vmAgent: "notReady",
      networkWatcherAgent: "absent",
    });
    expect(booting.detail).toContain("Not Ready");

    // The body, as the Compute spec's example shows a guest that has not reported yet.
    const client = await fetchJson(sim, `${vmPath(sim, "vm1")}/instanceView?${COMPUTE}`);
    expect(pick(client, "vmAgent")).toMatchObject({
      vmAgentVersion: "Unknown",
      statuses: [
        {
          code: "ProvisioningState/Unavailable",
          level: "Warning",
          displayStatus: "Not Ready",
          message: "VM status blob is found but not yet populated.",
        },
      ],
    });
    expect(pick(client, "extensions")).toEqual([]);

    clock.advance(180);
    expect(await arm.getVmAgentReadiness(vm)).toMatchObject({ vmAgent: "ready", networkWatcherAgent: "notReady" });
    clock.advance(30);
    expect(await arm.getVmAgentReadiness(vm)).toMatchObject({ vmAgent: "ready", networkWatcherAgent: "ready" });
  });

  it("answers a check from a VM whose agent is not ready Unknown, with AgentStopped on the source hop and nothing probed", async () => {
    const { clock, arm, vm, watcher } = await start({ checkAnswer: "unknown" });
    await cycle(arm, clock, vm);
    const early = await check(arm, clock, watcher, vm);
    expect(early.result).toMatchObject({
      connectionStatus: "Unknown",
      verdict: "inconclusive",
      reachable: false,
      issues: ["Local: AgentStopped"],
      probesSent: 0,
    });

    clock.advance(240);
    const later = await check(arm, clock, watcher, vm);
    expect(later.result).toMatchObject({
      connectionStatus: expect.stringMatching(/^(Reachable|Connected)$/),
      verdict: "reachable",
    });
  });

  it("can fail the check instead, as the spec's error response allows", async () => {
    const { clock, arm, vm, watcher } = await start({ checkAnswer: "failed" });
    await cycle(arm, clock, vm);
    expect(await check(arm, clock, watcher, vm)).toMatchObject({ status: "Failed", code: "InternalServerError" });
  });

  it("takes as long as the scenario says", async () => {
    const { clock, arm, vm, watcher } = await start({
      afterStartSeconds: 900,
      extensionsAfterAgentSeconds: 60,
      checkAnswer: "unknown",
    });
    await cycle(arm, clock, vm);
    clock.advance(600);
    expect(await arm.getVmAgentReadiness(vm)).toMatchObject({ vmAgent: "notReady" });
    expect((await check(arm, clock, watcher, vm)).result).toMatchObject({ connectionStatus: "Unknown" });
    clock.advance(400);
    expect(await arm.getVmAgentReadiness(vm)).toMatchObject({ vmAgent: "ready", networkWatcherAgent: "ready" });
  });
});

function vmPath(sim: SimulatorHandle, name: string): string {
  return `/subscriptions/${sim.subscriptionId}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/${name}`;
}

async function fetchJson(sim: SimulatorHandle, path: string): Promise<unknown> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(
      `${sim.endpoint}${path}`,
      { method: "GET", ca: sim.caPem, headers: { authorization: `Bearer ${sim.token}` } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve(JSON.parse(text) as unknown));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
