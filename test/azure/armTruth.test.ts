/**
 * The gateway and discovery with the real SDK clients against the simulator, on what Azure really gives: VM lists
 * with extensions by id only (the agent is read from the extensions list of canary candidates), Compute ids with
 * the resource group upper-cased (names shown as the group list spells them), and the Activity Log as the record
 * of deallocations and starts (the instance view gives PowerState no time).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { createArmGateway } from "../../src/azure/clients";
import { discoverSubscription, EXTRA_EXTENSION_READS } from "../../src/azure/discover";
import type { ArmGateway } from "../../src/azure/gateway";
import { RemediationOptionsSchema } from "../../src/contracts/options";
import { buildPlan } from "../../src/domain/planWaves";
import { startSimulator, type ScenarioInput, type SimulatorHandle } from "../../src/simulator";

const SUB = "6d1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const START = Date.parse("2026-03-03T08:00:00Z");
let now = START;
const clock = { now: () => now };
let sim: SimulatorHandle;
let arm: ArmGateway;

function scenario(): ScenarioInput {
  const plain = Array.from({ length: 30 }, (_, i) => ({
    name: `app-${String(i).padStart(2, "0")}`,
    resourceGroup: "Rg-App",
    lastStartTime: "2026-02-10T08:00:00Z",
  }));
  return {
    subscription: {
      id: SUB,
      name: "dev-test",
      quotaId: "MSDNDevTest_2014-09-01",
      billing: { agreementType: "EnterpriseAgreement", workloadType: "DevTest" },
    },
    exemption: { exempted: true, effectiveAt: "2026-03-02T09:00:00Z" },
    resourceGroups: [
      { name: "Rg-App", location: "westeurope" },
      { name: "NetworkWatcherRG", location: "westeurope" },
    ],
    vms: [
      ...plain,
      // Sorted last by id, so found only by reading the candidates' extensions in order.
      { name: "zz-agent", resourceGroup: "Rg-App", networkWatcherAgent: true, lastStartTime: "2026-02-10T08:00:00Z" },
      {
        name: "zz-agent-2",
        resourceGroup: "Rg-App",
        networkWatcherAgent: true,
        osType: "Windows",
        lastStartTime: "2026-02-10T08:00:00Z",
      },
    ],
    networkWatchers: [{ location: "westeurope" }],
    behaviour: { pageSize: 7, jitter: 0, throttling: { enabled: false } },
  };
}

beforeAll(async () => {
  sim = await startSimulator({ scenario: scenario(), clock, seed: 3 });
  arm = createArmGateway(
    parseConfig({
      PORT25_ARM_ENDPOINT: sim.endpoint,
      PORT25_ARM_CA_FILE: sim.caFile,
      PORT25_ARM_STATIC_TOKEN: sim.token,
    }),
  );
});
afterAll(async () => {
  await sim.close();
});

const vmId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/Rg-App/providers/Microsoft.Compute/virtualMachines/${name}`;

describe("extensions: the Network Watcher agent, whatever its name", () => {
  it("reads a VM's extensions list and recognises the agent by publisher and type", async () => {
    const agent = await arm.listVmExtensions(vmId("zz-agent"));
    expect(agent).toContainEqual(
      expect.objectContaining({ publisher: "Microsoft.Azure.NetworkWatcher", type: "NetworkWatcherAgentLinux" }),
    );
    const none = await arm.listVmExtensions(vmId("app-00"));
    expect(none.filter((e) => e.publisher === "Microsoft.Azure.NetworkWatcher")).toEqual([]);
  });

  it("discovery reads the extensions of canary candidates only, bounded, and the plan chooses the agent's VM as canary", async () => {
    const options = RemediationOptionsSchema.parse({ canaryCount: 1 });
    const before = sim.requestLog().length;
    const discovery = await discoverSubscription(arm, SUB, options);
    const reads = sim
      .requestLog()
      .slice(before)
      .filter((r) => r.operation === "listVmExtensions");
    expect(reads.length).toBeLessThanOrEqual(options.canaryCount + EXTRA_EXTENSION_READS);
    expect(discovery.vms.filter((v) => v.networkWatcherAgent !== undefined).length).toBe(reads.length);
    // Thirty VMs without the agent sort first: with at most 11 reads the agent is not found among them,
    // so the bound is what keeps discovery cheap; the plan then has no canary rather than a wrong one.
    const plan = buildPlan(discovery, options);
    expect(plan.entries.filter((e) => e.canary)).toEqual([]);
  });

  it("finds the agent on a candidate within the bound and makes it the canary", async () => {
    const options = RemediationOptionsSchema.parse({
      canaryCount: 1,
      onlyResourceIds: [vmId("app-00"), vmId("app-01"), vmId("zz-agent-2")],
    });
    const discovery = await discoverSubscription(arm, SUB, options);
    const plan = buildPlan(discovery, options);
    expect(plan.entries.filter((e) => e.canary).map((e) => e.name)).toEqual(["zz-agent-2"]);
    expect(discovery.vms.find((v) => v.name === "zz-agent-2")?.networkWatcherAgent).toBe(true);
  });
});

describe("resource-group case", () => {
  it("keeps Compute's upper-cased ids, and shows the group as the group list spells it in discovery and the plan", async () => {
    const vms = await arm.listVms(SUB);
    expect(vms[0]?.id).toMatch(
      new RegExp(`^/subscriptions/${SUB}/resourceGroups/RG-APP/providers/Microsoft\\.Compute/virtualMachines/`),
    );
    const discovery = await discoverSubscription(
      arm,
      SUB,
      RemediationOptionsSchema.parse({ verification: "attestationOnly" }),
    );
    expect(new Set(discovery.vms.map((v) => v.resourceGroup))).toEqual(new Set(["Rg-App"]));
    const plan = buildPlan(discovery, RemediationOptionsSchema.parse({ verification: "attestationOnly" }));
    expect(new Set(plan.entries.map((e) => e.resourceGroup))).toEqual(new Set(["Rg-App"]));
  });
});

describe("Activity Log", () => {
  it("returns the Succeeded deallocate and start events of the window, oldest first, across pages", async () => {
    const to = new Date(now).toISOString();
    const from = new Date(now - 89 * 86_400_000).toISOString();
    const before = sim.requestLog().length;
    const events = await arm.listPowerEvents(SUB, from, to);
    expect(
      sim
        .requestLog()
        .slice(before)
        .filter((r) => r.operation === "listActivityLog").length,
    ).toBeGreaterThan(2);
    expect(events).toHaveLength(64);
    expect(events.slice(0, 2)).toEqual([
      {
        resourceId: expect.stringMatching(/\/resourceGroups\/RG-APP\/providers\/Microsoft\.Compute\/virtualMachines\//),
        operation: "deallocate",
        at: "2026-02-10T07:55:00.000Z",
      },
      expect.objectContaining({ operation: "deallocate" }),
    ]);
  });

  it("records the product's own deallocate and start, and only Succeeded ones", async () => {
    const id = vmId("app-05");
    for (const step of ["deallocate", "start"] as const) {
      await arm.beginVmPowerOperation(id, step);
      now += 10 * 60_000;
      await arm.getVmState(id);
    }
    const events = await arm.listPowerEvents(SUB, new Date(now - 3_600_000).toISOString(), new Date(now).toISOString());
    expect(events.map((e) => [e.operation, e.resourceId.toLowerCase()])).toEqual([
      ["deallocate", id.toLowerCase()],
      ["start", id.toLowerCase()],
    ]);
  });
});
