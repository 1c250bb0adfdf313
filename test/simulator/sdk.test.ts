import { ComputeManagementClient } from "@azure/arm-compute";
import { NetworkManagementClient } from "@azure/arm-network";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import type { TokenCredential } from "@azure/core-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFleet, startSimulator, type SimulatorHandle } from "../../src/simulator/index";

/** The real SDK clients against the simulator over HTTPS: proves the wire format, not just our own reading of it. */
describe("real Azure SDK clients against the simulator", () => {
  let sim: SimulatorHandle;
  let options: {
    endpoint: string;
    tlsOptions: { ca: string };
    retryOptions: { maxRetries: number; retryDelayInMs: number };
  };
  let credential: TokenCredential;

  beforeAll(async () => {
    const fleet = generateFleet(30, 5);
    sim = await startSimulator({
      // Zero latencies: SDK pollers wait in real time, so operations finish on the first poll.
      scenario: {
        ...fleet,
        behaviour: {
          ...fleet.behaviour,
          pageSize: 8,
          jitter: 0,
          latencies: { powerOff: 0, deallocate: 0, start: 0, subnetCreate: 0, subnetDelete: 0, connectivityCheck: 0 },
        },
      },
    });
    credential = { getToken: () => Promise.resolve({ token: sim.token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    options = {
      endpoint: sim.endpoint,
      tlsOptions: { ca: sim.caPem },
      retryOptions: { maxRetries: 0, retryDelayInMs: 10 },
    };
  });
  afterAll(() => sim.close());

  it("compute listAll follows nextLink across every page", async () => {
    const compute = new ComputeManagementClient(credential, sim.subscriptionId, options);
    const pages: number[] = [];
    for await (const page of compute.virtualMachines.listAll({ statusOnly: "true" }).byPage()) pages.push(page.length);
    expect(pages).toEqual([8, 8, 8, 6]);
    const listCalls = sim.requestLog().filter((e) => e.operation === "listVms");
    expect(listCalls.map((e) => e.apiVersion)).toEqual(["2026-03-01", "2026-03-01", "2026-03-01", "2026-03-01"]);
  });

  it("compute reads the instance view and runs deallocate and start to completion", async () => {
    const compute = new ComputeManagementClient(credential, sim.subscriptionId, options);
    const vm = sim.snapshot().vms.find((v) => v.powerState === "running");
    if (vm === undefined) throw new Error("fleet has no running VM");
    await compute.virtualMachines.beginDeallocateAndWait(vm.resourceGroup, vm.name, { updateIntervalInMs: 5 });
    const view = await compute.virtualMachines.instanceView(vm.resourceGroup, vm.name);
    expect(view.statuses?.map((s) => s.code)).toContain("PowerState/deallocated");
    await compute.virtualMachines.beginStartAndWait(vm.resourceGroup, vm.name, { updateIntervalInMs: 5 });
    expect(sim.timeline(vm.id).map((t) => t.to)).toEqual(["deallocating", "deallocated", "starting", "running"]);
  });

  it("network creates and deletes a subnet through its pollers and lists VNets", async () => {
    const network = new NetworkManagementClient(credential, sim.subscriptionId, {
      ...options,
      $host: sim.endpoint,
      credentialScopes: ["https://management.azure.com/.default"],
    });
    const vnets: string[] = [];
    for await (const v of network.virtualNetworks.listAll()) vnets.push(v.name ?? "");
    expect(vnets).toContain("vnet-apps");
    const created = await network.subnets.beginCreateOrUpdateAndWait(
      "rg-network",
      "vnet-apps",
      "port25-temp-sdk",
      { addressPrefix: "10.20.250.0/29" },
      { updateIntervalInMs: 5 },
    );
    expect(created.provisioningState).toBe("Succeeded");
    await network.subnets.beginDeleteAndWait("rg-network", "vnet-apps", "port25-temp-sdk", { updateIntervalInMs: 5 });
    const overlap = network.subnets.beginCreateOrUpdateAndWait(
      "rg-network",
      "vnet-apps",
      "bad",
      { addressPrefix: "10.20.1.0/29" },
      { updateIntervalInMs: 5 },
    );
    await expect(overlap).rejects.toMatchObject({ statusCode: 400, code: "NetcfgSubnetRangesOverlap" });
  });

  it("subscriptions client reads the quotaId", async () => {
    const subs = new SubscriptionClient(credential, { ...options, $host: sim.endpoint });
    const s = await subs.subscriptions.get(sim.subscriptionId);
    expect(s.subscriptionPolicies?.quotaId).toBe("MSDNDevTest_2014-09-01");
  });
});
