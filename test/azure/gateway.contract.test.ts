/**
 * Contract: the real SDK clients and the gateway against the simulator over HTTPS. Time is the simulator's
 * manual clock, advanced by the test between polls; nothing here sleeps except where a real-clock SDK retry
 * is the point of the test.
 */
import { ComputeManagementClient } from "@azure/arm-compute";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { azureFailure } from "../support/rejections";
import { createArmGateway, type ArmRetryOptions } from "../../src/azure/clients";
import type { ArmGateway } from "../../src/azure/gateway";
import type { OperationHandle, OperationStatus } from "../../src/contracts/azure";
import { startSimulator, type ScenarioInput, type SimulatorHandle } from "../../src/simulator";
import { toArmFailure } from "../../activities/armFailure";

const SUB = "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const START = Date.parse("2026-03-01T12:00:00Z");
const RETRY: ArmRetryOptions = { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 };

function scenario(billing: "forbidden" | "ea"): ScenarioInput {
  return {
    subscription: {
      id: SUB,
      name: "dev-test",
      quotaId: "MSDNDevTest_2014-09-01",
      billing:
        billing === "forbidden" ? "forbidden" : { agreementType: "EnterpriseAgreement", workloadType: "DevTest" },
    },
    exemption: { exempted: true, effectiveAt: "2026-03-01T11:00:00Z" },
    resourceGroups: [
      { name: "rg-app", location: "eastus" },
      {
        name: "MC_aks_cluster_eastus",
        location: "eastus",
        managedBy: `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.ContainerService/managedClusters/aks`,
      },
      { name: "NetworkWatcherRG", location: "eastus" },
    ],
    vms: [
      {
        name: "canary",
        resourceGroup: "rg-app",
        networkWatcherAgent: true,
        lastStartTime: "2026-03-01T08:00:00Z",
        zone: "1",
        tags: { role: "canary" },
      },
      { name: "web1", resourceGroup: "rg-app", availabilitySet: "as-web" },
      { name: "web2", resourceGroup: "rg-app", availabilitySet: "as-web" },
      { name: "stopped1", resourceGroup: "rg-app", power: "stopped" },
      { name: "dealloc1", resourceGroup: "rg-app", power: "deallocated" },
      { name: "ephemeral1", resourceGroup: "rg-app", ephemeralOsDisk: true, priority: "Spot" },
      { name: "flexmember", resourceGroup: "rg-app", flexScaleSet: "flex1" },
    ],
    scaleSets: [
      {
        name: "uni1",
        resourceGroup: "rg-app",
        instances: [{ instanceId: "0" }, { instanceId: "1" }, { instanceId: "2", power: "deallocated" }],
      },
      { name: "flex1", resourceGroup: "rg-app", orchestrationMode: "Flexible" },
    ],
    vnets: [
      {
        name: "vnet1",
        resourceGroup: "rg-app",
        addressPrefixes: ["10.10.0.0/16"],
        subnets: [
          { name: "default", addressPrefix: "10.10.0.0/24" },
          { name: "ase", addressPrefix: "10.10.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
          { name: "multi", addressPrefixes: ["10.10.2.0/25", "10.10.3.0/25"] },
        ],
      },
    ],
    networkWatchers: [{ location: "eastus" }],
    behaviour: { pageSize: 2, jitter: 0, throttling: { enabled: false }, vnetWriteConflict: "409" },
  };
}

let now = START;
const clock = { now: () => now };
let sim: SimulatorHandle;
let gateway: ArmGateway;

function gatewayOn(s: SimulatorHandle): ArmGateway {
  const config = parseConfig({
    PORT25_ARM_ENDPOINT: s.endpoint,
    PORT25_ARM_CA_FILE: s.caFile,
    PORT25_ARM_STATIC_TOKEN: s.token,
  });
  return createArmGateway(config, { retry: RETRY });
}

beforeAll(async () => {
  sim = await startSimulator({ scenario: scenario("ea"), clock, seed: 7 });
  gateway = gatewayOn(sim);
});
afterAll(async () => {
  await sim.close();
});

const vmId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/${name}`;
const VNET = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/vnet1`;
const UNI = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachineScaleSets/uni1`;

/** Polls through the gateway, advancing the simulated clock by ARM's Retry-After (or 10 s) between polls. */
async function untilDone(handle: OperationHandle): Promise<{ final: OperationStatus; polls: number }> {
  for (let polls = 1; polls <= 50; polls++) {
    const status = await gateway.getOperationStatus(handle);
    if (status.status !== "InProgress") return { final: status, polls };
    now += (status.retryAfterSeconds ?? 10) * 1000;
  }
  throw new Error("operation did not finish within 50 polls");
}

describe("reads", () => {
  it("reads the subscription's quotaId and its billing property", async () => {
    await expect(gateway.getSubscription(SUB)).resolves.toMatchObject({
      subscriptionId: SUB,
      displayName: "dev-test",
      quotaId: "MSDNDevTest_2014-09-01",
    });
    await expect(gateway.getBillingProperty(SUB)).resolves.toMatchObject({
      status: "ok",
      property: { billingAccountAgreementType: "EnterpriseAgreement", subscriptionWorkloadType: "DevTest" },
    });
  });

  it("lists every VM's run-time status in one paged statusOnly listing (ListAll), each page a High Cost Get", async () => {
    const before = sim.requestLog().length;
    const listing = await gateway.listVmPowerStates(SUB);
    const pages = sim.requestLog().slice(before);
    expect(
      pages.every(
        (r) =>
          r.operation === "listVms" &&
          r.status === 200 &&
          r.path.toLowerCase().endsWith(`/subscriptions/${SUB}/providers/microsoft.compute/virtualmachines`),
      ),
    ).toBe(true);
    expect(listing.pages).toBe(pages.length);
    expect(listing.pages).toBeGreaterThanOrEqual(3);
    const byName = new Map(listing.vms.map((v) => [v.id.split("/").pop() ?? "", v]));
    expect(byName.size).toBe(7);
    expect(byName.get("stopped1")).toMatchObject({ powerState: "stopped", provisioningState: "Succeeded" });
    expect(byName.get("dealloc1")).toMatchObject({ powerState: "deallocated" });
    expect(byName.get("canary")).toMatchObject({ powerState: "running" });
  });

  it("stops a status listing at the page limit it is given, saying pages remain", async () => {
    const before = sim.requestLog().length;
    const listing = await gateway.listVmPowerStates(SUB, 2);
    expect(sim.requestLog().length - before).toBe(2);
    expect(listing).toMatchObject({ pages: 2, truncated: true });
    const whole = await gateway.listVmPowerStates(SUB, 1000);
    expect(whole.truncated).toBeUndefined();
    expect(whole.vms.length).toBeGreaterThan(listing.vms.length);
  });

  it("pages through every VM (3+ pages each for models and statuses) and reports each VM's power state and shape", async () => {
    const before = sim.requestLog().length;
    const vms = await gateway.listVms(SUB);
    const pages = sim
      .requestLog()
      .slice(before)
      .filter((r) => r.operation === "listVms");
    expect(pages.length).toBeGreaterThanOrEqual(8);
    expect(pages.every((r) => r.status === 200)).toBe(true);
    const byName = new Map(vms.map((v) => [v.name, v]));
    expect([...byName.keys()].sort()).toEqual([
      "canary",
      "dealloc1",
      "ephemeral1",
      "flexmember",
      "stopped1",
      "web1",
      "web2",
    ]);
    // ARM's listings give no start time and extensions by id only: the agent is left unread, timeCreated given.
    expect(byName.get("canary")).toMatchObject({
      powerState: "running",
      zone: "1",
      tags: { role: "canary" },
      timeCreated: "2026-01-30T08:00:00.000Z",
    });
    expect(vms.every((v) => v.networkWatcherAgent === undefined)).toBe(true);
    expect(vms.every((v) => v.resourceGroup === "RG-APP")).toBe(true);
    expect(byName.get("stopped1")?.powerState).toBe("stopped");
    expect(byName.get("dealloc1")?.powerState).toBe("deallocated");
    expect(byName.get("ephemeral1")).toMatchObject({ ephemeralOsDisk: true, priority: "Spot" });
    expect(byName.get("web1")?.availabilitySetId).toMatch(/\/availabilitySets\/as-web$/i);
    // The update domain comes from the status listing's instance views, only for members of a set.
    expect([byName.get("web1")?.platformUpdateDomain, byName.get("web2")?.platformUpdateDomain]).toEqual([0, 1]);
    expect(byName.get("canary")?.platformUpdateDomain).toBeUndefined();
    expect(byName.get("flexmember")?.flexScaleSetId).toMatch(/\/virtualMachineScaleSets\/flex1$/i);
  });

  it("lists only uniform scale sets, with each instance's power state", async () => {
    const sets = await gateway.listScaleSets(SUB);
    expect(sets.map((s) => s.name)).toEqual(["uni1"]);
    expect(sets[0]?.instances.map((i) => [i.instanceId, i.powerState])).toEqual([
      ["0", "running"],
      ["1", "running"],
      ["2", "deallocated"],
    ]);
  });

  it("lists VNets with prefixes and delegations, resource groups with managedBy, and network watchers", async () => {
    const [vnet] = await gateway.listVnets(SUB);
    expect(vnet).toMatchObject({ name: "vnet1", addressPrefixes: ["10.10.0.0/16"], ipamManaged: false });
    expect(vnet?.subnets.map((s) => [s.name, s.addressPrefix ?? s.addressPrefixes, s.delegations])).toEqual([
      ["default", "10.10.0.0/24", []],
      ["ase", "10.10.1.0/24", ["Microsoft.Web/hostingEnvironments"]],
      ["multi", ["10.10.2.0/25", "10.10.3.0/25"], []],
    ]);
    const groups = await gateway.listResourceGroups(SUB);
    expect(groups.find((g) => g.name === "MC_aks_cluster_eastus")?.managedBy).toMatch(/managedClusters\/aks$/);
    expect(groups.find((g) => g.name === "rg-app")?.managedBy).toBeUndefined();
    await expect(gateway.listNetworkWatchers(SUB)).resolves.toEqual([
      expect.objectContaining({ location: "eastus", resourceGroup: "NetworkWatcherRG" }),
    ]);
  });
});

describe("long-running operations, started and polled through handles", () => {
  it("proves port 25 only after the canary is stopped, deallocated and started again", async () => {
    const [watcher] = await gateway.listNetworkWatchers(SUB);
    if (watcher === undefined) throw new Error("no network watcher");
    const probe = async () => {
      const started = await gateway.beginConnectivityCheck(watcher, vmId("canary"), "smtp.example.com", 25);
      if (started.status === "done") return started.result;
      expect((await untilDone(started.handle)).final.status).toBe("Succeeded");
      return gateway.getConnectivityResult(started.handle);
    };

    const before = await probe();
    expect(before).toMatchObject({ connectionStatus: "Unreachable", reachable: false });
    expect(before.issues.length).toBeGreaterThan(0);

    const expectedAfter = { powerOff: "stopped", deallocate: "deallocated", start: "running" } as const;
    for (const step of ["powerOff", "deallocate", "start"] as const) {
      const handle = await gateway.beginVmPowerOperation(vmId("canary"), step);
      expect(handle.completed).toBe(false);
      // Azure-AsyncOperation, Location or both: the simulator varies the shape, the gateway polls whichever it got.
      expect(handle.asyncOperationUrl ?? handle.locationUrl).toMatch(
        /\/providers\/Microsoft\.Compute\/locations\/eastus\/operations\//i,
      );
      const transitional = await gateway.getVmState(vmId("canary"));
      expect(["stopping", "deallocating", "starting"]).toContain(transitional.powerState);
      const { final, polls } = await untilDone(handle);
      expect(final).toEqual({ status: "Succeeded" });
      expect(polls).toBeGreaterThan(1);
      await expect(gateway.getVmState(vmId("canary"))).resolves.toMatchObject({
        exists: true,
        powerState: expectedAfter[step],
        provisioningState: "Succeeded",
      });
    }

    // The guest's agents report ready minutes after PowerState/running; only then can the check run from it.
    now += 300_000;
    const after = await probe();
    expect(after).toMatchObject({ connectionStatus: "Reachable", reachable: true, issues: [] });
    const seen = sim.timeline(vmId("canary")).map((c) => c.to);
    expect(seen).toEqual(["stopping", "stopped", "deallocating", "deallocated", "starting", "running"]);
  });

  it("cycles chosen instances of a uniform scale set and leaves the others alone", async () => {
    for (const step of ["deallocate", "start"] as const) {
      const handle = await gateway.beginScaleSetPowerOperation(UNI, step, ["1"]);
      expect((await untilDone(handle)).final.status).toBe("Succeeded");
    }
    const state = await gateway.getScaleSetState(UNI);
    expect(state.instances.map((i) => [i.instanceId, i.powerState])).toEqual([
      ["0", "running"],
      ["1", "running"],
      ["2", "deallocated"],
    ]);
    const changed = new Set(
      sim
        .timeline()
        .filter((c) => c.resourceId.toLowerCase() === UNI.toLowerCase())
        .map((c) => c.instanceId),
    );
    expect([...changed]).toEqual(["1"]);
  });

  it("adds and removes a temporary subnet", async () => {
    const create = await gateway.beginCreateSubnet(VNET, "port25-tmp", "10.10.200.0/29");
    expect((await untilDone(create)).final.status).toBe("Succeeded");
    await expect(gateway.getSubnet(VNET, "port25-tmp")).resolves.toEqual({
      exists: true,
      provisioningState: "Succeeded",
      addressPrefix: "10.10.200.0/29",
    });
    const remove = await gateway.beginDeleteSubnet(VNET, "port25-tmp");
    expect((await untilDone(remove)).final.status).toBe("Succeeded");
    await expect(gateway.getSubnet(VNET, "port25-tmp")).resolves.toEqual({ exists: false });
    expect((await gateway.getVnet(VNET))?.subnets.map((s) => s.name)).toEqual(["default", "ase", "multi"]);
  });

  it("reports an operation that ARM ends Failed with ARM's code", async () => {
    sim.injectFault({ kind: "allocationFailure", count: 1, match: { resource: "web2" } });
    await untilDone(await gateway.beginVmPowerOperation(vmId("web2"), "deallocate"));
    const { final } = await untilDone(await gateway.beginVmPowerOperation(vmId("web2"), "start"));
    expect(final.status).toBe("Failed");
    expect(final.error?.code).toMatch(/Allocat/);
  });
});

describe("errors ARM returns", () => {
  it("refuses an overlapping subnet with NetcfgSubnetRangesOverlap", async () => {
    const e = await azureFailure(gateway.beginCreateSubnet(VNET, "clash", "10.10.0.8/29"));
    expect(e).toMatchObject({ code: "NetcfgSubnetRangesOverlap", statusCode: 400, retryable: false });
  });

  it("surfaces a second write on a busy VNet as a retryable 409 with ARM's code", async () => {
    const first = await gateway.beginCreateSubnet(VNET, "tmp-a", "10.10.201.0/29");
    const e = await azureFailure(gateway.beginCreateSubnet(VNET, "tmp-b", "10.10.202.0/29"));
    expect(e).toMatchObject({ statusCode: 409, code: "AnotherOperationInProgress", retryable: true });
    await untilDone(first);
    await untilDone(await gateway.beginDeleteSubnet(VNET, "tmp-a"));
  });

  it("surfaces a 429 with its Retry-After instead of sleeping, and the next call succeeds", async () => {
    sim.injectFault({ kind: "throttleStorm", count: 1, retryAfterSeconds: 7, match: { operation: "listVnets" } });
    const before = sim.requestLog().length;
    const e = await azureFailure(gateway.listVnets(SUB));
    expect(e).toMatchObject({ statusCode: 429, retryable: true, retryAfterSeconds: 7 });
    expect(
      sim
        .requestLog()
        .slice(before)
        .filter((r) => r.operation === "listVnets"),
    ).toHaveLength(1);
    await expect(gateway.listVnets(SUB)).resolves.toHaveLength(1);
  });

  it("(stock SDK client) absorbs a 429 with Retry-After: 1 by waiting and retrying", async () => {
    sim.injectFault({ kind: "throttleStorm", count: 1, retryAfterSeconds: 1, match: { operation: "listScaleSets" } });
    const stock = new ComputeManagementClient(
      { getToken: () => Promise.resolve({ token: sim.token, expiresOnTimestamp: Date.now() + 60_000 }) },
      SUB,
      {
        endpoint: sim.endpoint,
        tlsOptions: { ca: sim.caPem },
      },
    );
    const before = sim.requestLog().length;
    const sets: unknown[] = [];
    for await (const s of stock.virtualMachineScaleSets.listAll()) sets.push(s);
    expect(sets).toHaveLength(2);
    expect(
      sim
        .requestLog()
        .slice(before)
        .filter((r) => r.operation === "listScaleSets")
        .map((r) => r.status),
    ).toEqual([429, 200]);
  });

  it("retries a transient 503 inside the SDK and succeeds", async () => {
    sim.injectFault({ kind: "http5xx", status: 503, count: 1, match: { operation: "getSubscription" } });
    await expect(gateway.getSubscription(SUB)).resolves.toMatchObject({ subscriptionId: SUB });
    expect(sim.counters().faultsInjected.http5xx).toBe(1);
  });
});

describe("billing property forbidden", () => {
  it("is reported unreadable with the missing permission named", async () => {
    const forbidden = await startSimulator({ scenario: scenario("forbidden"), clock, seed: 1 });
    try {
      const read = await gatewayOn(forbidden).getBillingProperty(SUB);
      expect(read).toMatchObject({ status: "unreadable", httpStatus: 403 });
      expect(read.status === "unreadable" ? read.message : "").toContain("Microsoft.Billing/billingProperty/read");
    } finally {
      await forbidden.close();
    }
  });
});

describe("every long-running-operation shape the spec allows, through the real SDK clients", () => {
  const shapes = [
    "synchronous",
    "location",
    "resourceLocation",
    "azureAsyncOperation",
    "azureAsyncOperationAndLocation",
  ] as const;

  it.each(shapes)(
    "%s: power actions, subnet add and delete, and the connectivity check all reach their end",
    async (lro) => {
      const base = scenario("ea");
      const pinned = await startSimulator({
        scenario: { ...base, behaviour: { ...base.behaviour, responseShapes: { lro } } },
        clock,
        seed: 3,
      });
      const g = gatewayOn(pinned);
      const until = async (handle: OperationHandle): Promise<OperationStatus> => {
        for (let polls = 1; polls <= 50; polls++) {
          const status = await g.getOperationStatus(handle);
          if (status.status !== "InProgress") return status;
          now += (status.retryAfterSeconds ?? 10) * 1000;
        }
        throw new Error("operation did not finish within 50 polls");
      };
      try {
        for (const step of ["deallocate", "start"] as const) {
          expect(await until(await g.beginVmPowerOperation(vmId("web1"), step))).toEqual({ status: "Succeeded" });
        }
        await expect(g.getVmState(vmId("web1"))).resolves.toMatchObject({ powerState: "running" });

        const create = await g.beginCreateSubnet(VNET, "port25-tmp", "10.10.200.0/29");
        expect(await until(create)).toEqual({ status: "Succeeded" });
        // A synchronous add names nothing to poll: the subnet itself says when it is ready.
        for (let i = 0; i < 5 && (await g.getSubnet(VNET, "port25-tmp")).provisioningState !== "Succeeded"; i++)
          now += 10_000;
        await expect(g.getSubnet(VNET, "port25-tmp")).resolves.toMatchObject({
          exists: true,
          provisioningState: "Succeeded",
        });
        const remove = await g.beginDeleteSubnet(VNET, "port25-tmp");
        expect(remove.locationIsResource === true).toBe(lro === "resourceLocation");
        expect(await until(remove)).toEqual({ status: "Succeeded" });
        await expect(g.getSubnet(VNET, "port25-tmp")).resolves.toEqual({ exists: false });

        const [watcher] = await g.listNetworkWatchers(SUB);
        if (watcher === undefined) throw new Error("no network watcher");
        const started = await g.beginConnectivityCheck(watcher, vmId("canary"), "smtp.example.com", 25);
        expect(started.status).toBe(lro === "synchronous" ? "done" : "started");
        const result =
          started.status === "done"
            ? started.result
            : (await until(started.handle), await g.getConnectivityResult(started.handle));
        expect(result).toMatchObject({ verdict: "unreachable", reachable: false, probesSent: 30, probesFailed: 30 });
        expect(result.connectionStatus).toMatch(/^(Unreachable|Disconnected)$/);
      } finally {
        await pinned.close();
      }
    },
  );

  it("finds a subnet delete that ARM rolled back, at the subnet's own URL, and says so rather than waiting forever", async () => {
    const base = scenario("ea");
    const pinned = await startSimulator({
      scenario: { ...base, behaviour: { ...base.behaviour, responseShapes: { lro: "resourceLocation" } } },
      clock,
      seed: 3,
    });
    const g = gatewayOn(pinned);
    try {
      const create = await g.beginCreateSubnet(VNET, "port25-tmp", "10.10.200.0/29");
      now += 60_000;
      expect(await g.getOperationStatus(create)).toEqual({ status: "Succeeded" });
      pinned.injectFault({ kind: "lroFailed", match: { operation: "deleteSubnet" }, count: 1 });
      const remove = await g.beginDeleteSubnet(VNET, "port25-tmp");
      expect(await g.getOperationStatus(remove)).toEqual({ status: "InProgress" });
      now += 60_000;
      expect(await g.getOperationStatus(remove)).toMatchObject({
        status: "Failed",
        error: { code: "DeleteNotApplied", retryable: true },
      });
    } finally {
      await pinned.close();
    }
  });
});

describe("errors ARM returns on VNet writes and refusals, through the real SDK clients", () => {
  it("reads a write on a locked VNet (429 RetryableError, RetryableErrorDueToAnotherOperation in details) as throttled", async () => {
    const base = scenario("ea");
    const locked = await startSimulator({
      scenario: { ...base, behaviour: { ...base.behaviour, vnetWriteConflict: "429" } },
      clock,
      seed: 5,
    });
    const g = gatewayOn(locked);
    try {
      await g.beginCreateSubnet(VNET, "tmp-a", "10.10.201.0/29");
      const e = await azureFailure(g.beginCreateSubnet(VNET, "tmp-b", "10.10.202.0/29"));
      expect(e).toMatchObject({ statusCode: 429, code: "RetryableError", retryable: true });
      expect(e.retryAfterSeconds).toBeGreaterThan(0);
      expect(toArmFailure(e)).toMatchObject({ status: "throttled", code: "RetryableError" });
    } finally {
      await locked.close();
    }
  });

  it("reads a quota refusal (409 OperationNotAllowed) as final, and a busy one as a conflict to wait out", async () => {
    const quota =
      "Operation could not be completed as it results in exceeding approved standardDSv3Family Cores quota. Additional details - Location: eastus, Current Limit: 4, Current Usage: 4, Additional Required: 2.";
    sim.injectFault({
      kind: "conflict",
      status: 409,
      code: "OperationNotAllowed",
      message: quota,
      count: 1,
      match: { operation: "vmStart", resource: "dealloc1" },
    });
    const refused = await azureFailure(gateway.beginVmPowerOperation(vmId("dealloc1"), "start"));
    expect(refused).toMatchObject({ statusCode: 409, code: "OperationNotAllowed", retryable: false });
    expect(toArmFailure(refused)).toMatchObject({ status: "failed", code: "OperationNotAllowed" });
    sim.injectFault({
      kind: "conflict",
      status: 409,
      code: "OperationNotAllowed",
      message: "Operation 'start' is not allowed on VM 'dealloc1' since another operation is in progress.",
      count: 1,
      match: { operation: "vmStart", resource: "dealloc1" },
    });
    const busy = await azureFailure(gateway.beginVmPowerOperation(vmId("dealloc1"), "start"));
    expect(toArmFailure(busy)).toMatchObject({ status: "conflict", code: "OperationNotAllowed" });
  });
});

describe("a NIC's effective routes, started and polled through a handle", () => {
  const nicId = (name: string) =>
    `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Network/networkInterfaces/${name}-nic`;

  it("reads a running VM's effective routes: the system default route to the Internet, Active", async () => {
    const started = await gateway.beginGetEffectiveRoutes(nicId("web1"));
    const routes =
      started.status === "done"
        ? started.routes
        : (await untilDone(started.handle)).final.status === "Succeeded"
          ? await gateway.getEffectiveRoutesResult(started.handle)
          : [];
    expect(
      routes.filter((r) => r.addressPrefix.includes("0.0.0.0/0")).map((r) => [r.source, r.state, r.nextHopType]),
    ).toEqual([["Default", "Active", "Internet"]]);
  });

  it("turns Azure's 400 for a NIC whose VM is not running into a final failure, not a retry", async () => {
    const failure = await gateway.beginGetEffectiveRoutes(nicId("dealloc1")).then(
      () => undefined,
      (e: unknown) => toArmFailure(e),
    );
    expect(failure).toMatchObject({
      status: "failed",
      code: "NicMustBeAttachedToRunningVmToGetEffectiveRoutes",
      statusCode: 400,
    });
  });
});
