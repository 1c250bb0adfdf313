/**
 * The official x-ms-examples of the operations the product calls, as fixtures (examples/, each with its source path
 * and commit in `x-source`):
 * (a) the gateway parses each, served through an HTTPS stand-in (test/azure/fakeArm.ts) with the real SDK clients;
 * (b) the simulator's default bodies have the same shape: every property path both give has the same JSON type,
 *     and every path only the simulator gives is one the OpenAPI definition declares (the simulator may omit what
 *     Azure gives, never invent).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifySubscription } from "../../src/domain/classify";
import {
  armError,
  gatewayFor,
  startFakeArm,
  type FakeArm,
  type FakeReply,
  type RecordedRequest,
} from "../azure/fakeArm";
import { connect, type Client } from "../simulator/helpers";
import { COMPUTE, conformanceScenario, NETWORK } from "./capture";
import { KNOWN_DEVIATIONS } from "./deviations";
import { SpecSet, type Json } from "./openapi";

const DIR = join(__dirname, "examples");
const specs = new SpecSet(join(__dirname, "specs"));

interface Example {
  "x-source": { source: string; commit: string };
  responses: Record<string, { body?: Json; headers?: Record<string, string> }>;
}

function example(name: string): Example {
  return JSON.parse(readFileSync(join(DIR, name), "utf8")) as Example;
}

function body(name: string, status = "200"): Json {
  const b = example(name).responses[status]?.body;
  if (b === undefined) throw new Error(`${name} has no ${status} body`);
  return b;
}

/**
 * An example's body as Azure would fill it for subscription `sub`: the examples' placeholder subscription ids
 * ("{subscription-id}", "{subscriptionId}", "subid") become the GUID asked for, and the generated examples'
 * "{resourceGroupName}"/"{virtualMachineName}"/"{virtualMachineScaleSetName}" a valid name; nothing else changes.
 */
function served(name: string, sub: string, status = "200"): Json {
  const text = JSON.stringify(body(name, status))
    .replaceAll("{subscription-id}", sub)
    .replaceAll("{subscriptionId}", sub)
    .replaceAll("/subscriptions/subid/", `/subscriptions/${sub}/`)
    .replaceAll("/subscriptions/subscriptionId/", `/subscriptions/${sub}/`)
    .replaceAll("{resourceGroupName}", "rg1")
    .replaceAll("{virtualMachineName}", "vm1")
    .replaceAll("{virtualMachineScaleSetName}", "ss1");
  return JSON.parse(text) as Json;
}

/** Every property path of a JSON value (array elements folded to `[]`) with the JSON type found there. */
export function pathTypes(
  v: Json | undefined,
  path = "$",
  out = new Map<string, Set<string>>(),
): Map<string, Set<string>> {
  const type = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
  const isMap = /\.(tags|claims|properties\.settings)$/.test(path); // free-form maps: only the container's type counts
  if (v === undefined) return out;
  out.set(path, new Set([...(out.get(path) ?? []), type]));
  if (Array.isArray(v)) for (const item of v) pathTypes(item, `${path}[]`, out);
  else if (v !== null && typeof v === "object" && !isMap)
    for (const [k, x] of Object.entries(v)) pathTypes(x, `${path}.${k}`, out);
  return out;
}

/** Paths both give with different JSON types (the example's `null` matches anything: ARM's way of saying "not set"). */
function typeMismatches(exampleBody: Json, simulated: Json): string[] {
  const ex = pathTypes(exampleBody);
  const sim = pathTypes(simulated);
  const out: string[] = [];
  for (const [p, types] of sim) {
    const want = ex.get(p);
    if (want === undefined || want.has("null")) continue;
    for (const t of types) if (!want.has(t)) out.push(`${p}: simulator gives ${t}, the example ${[...want].join("/")}`);
  }
  return out;
}

const COMPUTE_RP = "specification/compute/resource-manager/Microsoft.Compute/Compute/stable/2026-03-01/ComputeRP.json";
const NET = "specification/network/resource-manager/Microsoft.Network/stable/2025-05-01";

describe("the x-ms-example fixtures", () => {
  it("each names its source path and commit in azure-rest-api-specs", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(19);
    for (const f of files)
      expect(example(f)["x-source"]).toMatchObject({
        source: expect.stringMatching(/^Azure\/azure-rest-api-specs specification\//),
        commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      });
  });
});

describe("the gateway parses Microsoft's examples (served over HTTPS to the real SDK clients)", () => {
  let fake: FakeArm;
  const SUB = "291bba3f-e0a5-47bc-a099-3bdcb2a50a05";
  const route =
    (handlers: [RegExp, (req: RecordedRequest) => FakeReply][]) =>
    (req: RecordedRequest): FakeReply => {
      for (const [re, h] of handlers) if (re.test(`${req.method} ${req.path}`)) return h(req);
      return armError(404, "NotFound", `no example for ${req.method} ${req.path}`);
    };
  beforeAll(async () => {
    fake = await startFakeArm(() => armError(500, "NotConfigured"));
  });
  afterAll(() => fake.close());

  it("GetSubscription → the subscription's name, state and quota", async () => {
    fake.setHandler(
      route([
        [/^GET \/subscriptions\/[^/]+$/, () => ({ status: 200, body: served("resources.GetSubscription.json", SUB) })],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    await expect(gateway.getSubscription(SUB)).resolves.toMatchObject({
      subscriptionId: SUB,
      displayName: "Example Subscription",
      state: "Enabled",
      quotaId: "Internal_2014-09-01",
    });
  });

  it("billingPropertyGetMCA → a self-serve MCA (account type Business), classified from its fields", async () => {
    fake.setHandler(
      route([
        [
          /billingProperty\/default$/i,
          () => ({ status: 200, body: served("billing.billingPropertyGetMCA.json", SUB) }),
        ],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    const billing = await gateway.getBillingProperty(SUB);
    expect(billing).toMatchObject({
      status: "ok",
      property: {
        billingAccountAgreementType: "MicrosoftCustomerAgreement",
        billingAccountType: "Business",
        subscriptionWorkloadType: "Production",
        skuId: "0001",
      },
    });
    const c = classifySubscription(billing, { subscriptionId: SUB, displayName: "Example Subscription" });
    expect(c.category).not.toBe("unknown");
    expect(JSON.stringify(c)).toContain("MicrosoftCustomerAgreement");
  });

  it("VirtualMachine_Get (as the one VM of a list) with the InstanceView example's statuses → VmInfo", async () => {
    const vm = served("compute.VirtualMachine_Get.json", SUB) as { id: string };
    const view = served("compute.VirtualMachine_Get_InstanceView.json", SUB) as { statuses: Json };
    fake.setHandler(
      route([
        [
          /^GET \/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachines$/i,
          (req) =>
            req.query["statusOnly"] === "true"
              ? {
                  status: 200,
                  body: { value: [{ id: vm.id, properties: { instanceView: { statuses: view.statuses } } }] },
                }
              : { status: 200, body: { value: [vm] } },
        ],
        [/\/extensions$/i, () => ({ status: 200, body: { value: [] } })],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    const [info, ...rest] = await gateway.listVms(SUB);
    expect(rest).toEqual([]);
    expect(info).toMatchObject({
      name: "myVM",
      location: "West US",
      size: "Standard_DS3_v2",
      powerState: "running",
      provisioningState: "Succeeded",
      ephemeralOsDisk: false,
      tags: { myTag1: "tagValue1" },
    });
    expect(info?.resourceGroup.toLowerCase()).toBe("myresourcegroup");
    expect(info?.availabilitySetId?.toLowerCase()).toContain("/availabilitysets/my-availabilityset");
    // The instance view example gives PowerState no time: nothing may be made up from it.
    expect((info as Record<string, unknown> | undefined)?.["lastStartTime"]).toBeUndefined();
  });

  it("VirtualMachine_ListAll_MinimumSet_Gen (ids and locations only) → VMs named from their ids, power and provisioning unknown", async () => {
    fake.setHandler(
      route([
        [
          /virtualMachines$/i,
          () => ({ status: 200, body: served("compute.VirtualMachine_ListAll_MinimumSet_Gen.json", SUB) }),
        ],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    const vms = await gateway.listVms(SUB);
    expect(vms).toHaveLength(2);
    for (const v of vms)
      expect(v).toMatchObject({
        name: "vm1",
        resourceGroup: "rg1",
        location: "eastus",
        powerState: "unknown",
        provisioningState: "Unknown",
      });
  });

  it("VirtualMachine_Get_InstanceView → running, with no power-state time", async () => {
    fake.setHandler(
      route([
        [/instanceView$/i, () => ({ status: 200, body: served("compute.VirtualMachine_Get_InstanceView.json", SUB) })],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    const state = await gateway.getVmState(
      `/subscriptions/${SUB}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/virtualMachines/myVM`,
    );
    expect(state).toMatchObject({ exists: true, powerState: "running", provisioningState: "Succeeded" });
    expect((state as Record<string, unknown>)["powerStateTime"]).toBeUndefined();
  });

  it("VirtualMachineScaleSetVM_Get_InstanceView (nulls where unset, PowerState time null) → instance 0 running, Succeeded", async () => {
    const view = served("compute.VirtualMachineScaleSetVM_Get_InstanceViewAutoPlacedOnDedicatedHostGroup.json", SUB);
    const ss = `/subscriptions/${SUB}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/virtualMachineScaleSets/myVirtualMachineScaleSet`;
    // The example's instance view, as the `$expand=instanceView` of the scale set's one VM.
    fake.setHandler(
      route([
        [
          /\/virtualMachines$/i,
          () => ({
            status: 200,
            body: {
              value: [
                {
                  id: `${ss}/virtualMachines/0`,
                  name: "myVirtualMachineScaleSet_0",
                  instanceId: "0",
                  location: "westus",
                  properties: { instanceView: view },
                },
              ],
            },
          }),
        ],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    const state = await gateway.getScaleSetState(ss);
    expect(state).toEqual({
      exists: true,
      instances: [{ instanceId: "0", powerState: "running", provisioningState: "Succeeded" }],
    });
  });

  it("CreateResourceGroup's ResourceGroup body (as the one group of a list) → the group", async () => {
    fake.setHandler(
      route([
        [
          /\/resourcegroups$/i,
          () => ({ status: 200, body: { value: [served("resources.CreateResourceGroup.json", SUB)] } }),
        ],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    const groups = await gateway.listResourceGroups(SUB);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ name: "my-resource-group", location: "eastus" });
  });

  // The definition makes `name` optional and this example omits it: the gateway names the set from its id.
  it("VirtualMachineScaleSet_ListAll_MinimumSet_Gen (id and location only) → the scale set, named from its id", async () => {
    fake.setHandler(
      route([
        [
          /virtualMachineScaleSets$/i,
          () => ({ status: 200, body: served("compute.VirtualMachineScaleSet_ListAll_MinimumSet_Gen.json", SUB) }),
        ],
        [/\/virtualMachines$/i, () => ({ status: 200, body: { value: [] } })],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    const sets = await gateway.listScaleSets(SUB);
    expect(sets.map((x) => [x.name, x.resourceGroup, x.location])).toEqual([["ss1", "rg1", "westus"]]);
  });

  it("VirtualNetworkListAll → the VNets with their address spaces and subnets", async () => {
    fake.setHandler(
      route([[/virtualNetworks$/i, () => ({ status: 200, body: served("network.VirtualNetworkListAll.json", SUB) })]]),
    );
    const { gateway } = gatewayFor(fake);
    const vnets = await gateway.listVnets(SUB);
    expect(
      vnets.map((v) => [
        v.name,
        v.resourceGroup.toLowerCase(),
        v.location,
        v.addressPrefixes,
        v.subnets.map((x) => [x.name, x.addressPrefix, x.provisioningState]),
      ]),
    ).toEqual([
      ["vnet1", "rg1", "westus", ["10.0.0.0/8"], [["test-1", "10.0.0.0/24", "Succeeded"]]],
      ["vnet2", "rg2", "westus", ["10.0.0.0/16"], []],
    ]);
  });

  it("VirtualMachineExtension_List_MinimumSet_Gen (a body of {}) → no extensions", async () => {
    fake.setHandler(
      route([
        [
          /\/extensions$/i,
          () => ({ status: 200, body: served("compute.VirtualMachineExtension_List_MinimumSet_Gen.json", SUB) }),
        ],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    await expect(
      gateway.listVmExtensions(
        `/subscriptions/${SUB}/resourceGroups/rgcompute/providers/Microsoft.Compute/virtualMachines/vm1`,
      ),
    ).resolves.toEqual([]);
  });

  it("GetActivityLogsFiltered (a support-ticket write) → no power events", async () => {
    // Its nextLink is a placeholder ("https://management.azure.com/####…") that names no page: left out.
    const page = served("insights.GetActivityLogsFiltered.json", SUB) as { value: Json };
    fake.setHandler(
      route([[/eventtypes\/management\/values$/i, () => ({ status: 200, body: { value: page.value } })]]),
    );
    const { gateway } = gatewayFor(fake);
    await expect(gateway.listPowerEvents(SUB, "2015-01-21T20:00:00Z", "2015-01-23T20:00:00Z")).resolves.toEqual([]);
  });

  it("VirtualMachineScaleSet_PowerOff_MinimumSet_Gen: 200 with no body, or 202 with a lower-case location; the gateway starts it either way", async () => {
    const ex = example("compute.VirtualMachineScaleSet_PowerOff_MinimumSet_Gen.json");
    expect(ex.responses["200"]?.body).toBeUndefined();
    const { gateway } = gatewayFor(fake);
    for (const status of [200, 202]) {
      fake.setHandler((req, endpoint) =>
        req.method === "POST" && status === 202
          ? {
              status: 202,
              headers: {
                location: `${endpoint}/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westus/operations/op2?monitor=true&api-version=2026-03-01`,
              },
            }
          : { status: 200 },
      );
      await expect(
        gateway.beginScaleSetPowerOperation(
          `/subscriptions/${SUB}/resourceGroups/rgcompute/providers/Microsoft.Compute/virtualMachineScaleSets/a`,
          "powerOff",
          ["0"],
        ),
      ).resolves.toBeDefined();
    }
  });

  it("ManagementLocks_ListAtSubscriptionLevel → a resource group's ReadOnly lock, its scope read from its id", async () => {
    fake.setHandler(
      route([
        [
          /^GET \/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/locks$/i,
          () => ({ status: 200, body: served("authorization.ManagementLocks_ListAtSubscriptionLevel.json", SUB) }),
        ],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    await expect(gateway.listLocks(SUB)).resolves.toEqual([
      {
        id: `/subscriptions/${SUB}/resourceGroups/resourcegroupname/providers/Microsoft.Authorization/locks/testlock`,
        name: "testlock",
        level: "ReadOnly",
        scope: `/subscriptions/${SUB}/resourceGroups/resourcegroupname`,
      },
    ]);
  });

  it("SubnetGet → the subnet exists, provisioning Succeeded", async () => {
    fake.setHandler(
      route([[/\/subnets\/subnet1$/i, () => ({ status: 200, body: served("network.SubnetGet.json", SUB) })]]),
    );
    const { gateway } = gatewayFor(fake);
    const state = await gateway.getSubnet(
      `/subscriptions/${SUB}/resourceGroups/subnet-test/providers/Microsoft.Network/virtualNetworks/vnetname`,
      "subnet1",
    );
    expect(state).toMatchObject({ exists: true, provisioningState: "Succeeded" });
  });

  it("NetworkWatcherListAll → both watchers with their regions", async () => {
    fake.setHandler(
      route([[/networkWatchers$/i, () => ({ status: 200, body: served("network.NetworkWatcherListAll.json", SUB) })]]),
    );
    const { gateway } = gatewayFor(fake);
    const watchers = await gateway.listNetworkWatchers(SUB);
    expect(watchers.map((w) => [w.name, w.location, w.resourceGroup.toLowerCase()])).toEqual([
      ["nw1", "eastus", "rg1"],
      ["nw2", "westus", "rg1"],
    ]);
  });

  it("NetworkWatcherConnectivityCheck (200, synchronous) → a reachable verdict with the probe counts", async () => {
    fake.setHandler(
      route([
        [
          /connectivityCheck$/i,
          () => ({ status: 200, body: served("network.NetworkWatcherConnectivityCheck.json", SUB) }),
        ],
      ]),
    );
    const { gateway } = gatewayFor(fake);
    const watcher = {
      id: `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network/networkWatchers/nw1`,
      name: "nw1",
      resourceGroup: "rg1",
      location: "eastus",
    };
    const start = await gateway.beginConnectivityCheck(
      watcher,
      `/subscriptions/${SUB}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/vm1`,
      "192.168.100.4",
      3389,
    );
    expect(start).toMatchObject({
      status: "done",
      result: {
        connectionStatus: "Connected",
        verdict: "reachable",
        reachable: true,
        probesSent: 100,
        probesFailed: 0,
      },
    });
  });

  it.each([
    "compute.VirtualMachine_PowerOff_MinimumSet_Gen.json",
    "compute.VirtualMachine_Deallocate_MinimumSet_Gen.json",
    "compute.VirtualMachine_Start_MinimumSet_Gen.json",
  ])(
    "%s: 200 with no body, or 202 with a lower-case location header; the gateway starts it either way",
    async (name) => {
      const ex = example(name);
      expect(ex.responses["200"]?.body).toBeUndefined();
      expect(Object.keys(ex.responses["202"]?.headers ?? {})).toEqual(["location"]);
      const vmId = `/subscriptions/${SUB}/resourceGroups/rgcompute/providers/Microsoft.Compute/virtualMachines/vm1`;
      const step = name.includes("PowerOff") ? "powerOff" : name.includes("Start") ? "start" : "deallocate";
      const { gateway } = gatewayFor(fake);
      for (const status of [200, 202]) {
        fake.setHandler((req, endpoint) =>
          req.method === "POST"
            ? status === 200
              ? { status: 200 }
              : {
                  status: 202,
                  headers: {
                    location: `${endpoint}/subscriptions/${SUB}/providers/Microsoft.Compute/locations/eastus/operations/op1?monitor=true&api-version=2026-03-01`,
                  },
                }
            : { status: 200 },
        );
        await expect(gateway.beginVmPowerOperation(vmId, step)).resolves.toBeDefined();
      }
    },
  );
});

describe("the simulator's default bodies have the shape of Microsoft's examples", () => {
  let c: Client;
  const SIM_SUB = "11111111-2222-4333-8444-555555555555";
  const vmPath = `/subscriptions/${SIM_SUB}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/win1`;
  beforeAll(async () => {
    c = await connect(conformanceScenario({ lro: "varied", connectionStatus: "spec" }), 5);
  });
  afterAll(() => c.sim.close());

  const get = async (path: string): Promise<Json> => (await c.call("GET", path)).body as Json;
  const cases: [example: string, def: [string, string], simulated: () => Promise<Json>][] = [
    ["compute.VirtualMachine_Get.json", [COMPUTE_RP, "VirtualMachine"], () => get(`${vmPath}?${COMPUTE}`)],
    [
      "compute.VirtualMachine_Get_InstanceView.json",
      [COMPUTE_RP, "VirtualMachineInstanceView"],
      () => get(`${vmPath}/instanceView?${COMPUTE}`),
    ],
    [
      "compute.VirtualMachineScaleSetVM_Get_InstanceViewAutoPlacedOnDedicatedHostGroup.json",
      [COMPUTE_RP, "VirtualMachineScaleSetVMInstanceView"],
      () =>
        get(
          `/subscriptions/${SIM_SUB}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/uni/virtualMachines/0/instanceView?${COMPUTE}`,
        ),
    ],
    [
      "compute.VirtualMachine_ListAll_MinimumSet_Gen.json",
      [COMPUTE_RP, "VirtualMachineListResult"],
      () => get(`/subscriptions/${SIM_SUB}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}`),
    ],
    [
      "network.SubnetGet.json",
      [`${NET}/virtualNetwork.json`, "Subnet"],
      () =>
        get(
          `/subscriptions/${SIM_SUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/multi?${NETWORK}`,
        ),
    ],
    [
      "network.SubnetList.json",
      [`${NET}/virtualNetwork.json`, "SubnetListResult"],
      () =>
        get(
          `/subscriptions/${SIM_SUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets?${NETWORK}`,
        ),
    ],
    [
      "network.VirtualNetworkListAll.json",
      [`${NET}/virtualNetwork.json`, "VirtualNetworkListResult"],
      () => get(`/subscriptions/${SIM_SUB}/providers/Microsoft.Network/virtualNetworks?${NETWORK}`),
    ],
    [
      "compute.VirtualMachineExtension_List_MinimumSet_Gen.json",
      [COMPUTE_RP, "VirtualMachineExtensionsListResult"],
      () => get(`${vmPath}/extensions?${COMPUTE}`),
    ],
    [
      "insights.GetActivityLogsFiltered.json",
      [
        "specification/monitor/resource-manager/Microsoft.Insights/stable/2015-04-01/activityLogs_API.json",
        "EventDataCollection",
      ],
      async () => {
        // A power operation to record (on a VM the other cases do not read).
        await c.call(
          "POST",
          `/subscriptions/${SIM_SUB}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/lin-stopped/deallocate?${COMPUTE}`,
        );
        c.clock.advance(600);
        const now = c.clock.now();
        const filter = `eventTimestamp ge '${new Date(now - 86_400_000).toISOString()}' and eventTimestamp le '${new Date(now).toISOString()}' and resourceGroupName eq 'rg-a'`;
        return get(
          `/subscriptions/${SIM_SUB}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01&$filter=${encodeURIComponent(filter)}`,
        );
      },
    ],
    [
      "network.NetworkWatcherListAll.json",
      [`${NET}/networkWatcher.json`, "NetworkWatcherListResult"],
      () => get(`/subscriptions/${SIM_SUB}/providers/Microsoft.Network/networkWatchers?${NETWORK}`),
    ],
    [
      "network.NetworkWatcherConnectivityCheck.json",
      [`${NET}/networkWatcher.json`, "ConnectivityInformation"],
      async () => {
        const r = await c.call(
          "POST",
          `/subscriptions/${SIM_SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/connectivityCheck?${NETWORK}`,
          {
            source: { resourceId: vmPath },
            destination: { address: "mx.example.com", port: 443 },
          },
        );
        if (r.status === 200) return r.body as Json;
        const location = r.headers["location"];
        c.clock.advance(60);
        return (await c.follow(Array.isArray(location) ? (location[0] ?? "") : (location ?? ""))).body as Json;
      },
    ],
    [
      "resources.CreateResourceGroup.json",
      [
        "specification/resources/resource-manager/Microsoft.Resources/stable/2025-04-01/resources.json",
        "ResourceGroup",
      ],
      () => get(`/subscriptions/${SIM_SUB}/resourcegroups/rg-a?api-version=2025-04-01`),
    ],
    [
      "compute.VirtualMachineScaleSet_ListAll_MinimumSet_Gen.json",
      [COMPUTE_RP, "VirtualMachineScaleSetListWithLinkResult"],
      () => get(`/subscriptions/${SIM_SUB}/providers/Microsoft.Compute/virtualMachineScaleSets?${COMPUTE}`),
    ],
    [
      "resources.GetSubscription.json",
      [
        "specification/resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json",
        "Subscription",
      ],
      () => get(`/subscriptions/${SIM_SUB}?api-version=2022-12-01`),
    ],
    [
      "authorization.ManagementLocks_ListAtSubscriptionLevel.json",
      [
        "specification/resources/resource-manager/Microsoft.Authorization/stable/2020-05-01/locks.json",
        "ManagementLockListResult",
      ],
      () => get(`/subscriptions/${SIM_SUB}/providers/Microsoft.Authorization/locks?api-version=2020-05-01`),
    ],
    [
      "billing.billingPropertyGetMCA.json",
      [
        "specification/billing/resource-manager/Microsoft.Billing/stable/2024-04-01/billingProperty.json",
        "BillingProperty",
      ],
      () => get(`/subscriptions/${SIM_SUB}/providers/Microsoft.Billing/billingProperty/default?api-version=2024-04-01`),
    ],
  ];

  it.each(cases)(
    "%s: same JSON types where both give a field; the simulator's own fields are declared by the definition",
    async (name, [file, def], simulated) => {
      const sim = await simulated();
      expect(typeMismatches(body(name), sim)).toEqual([]);
      expect(specs.validate(specs.definition(file, def), sim, KNOWN_DEVIATIONS)).toEqual([]);
    },
  );

  it("the shape comparison catches a type that differs", () => {
    expect(typeMismatches({ a: { b: "x" }, n: [1] }, { a: { b: 1 }, n: ["1"] })).toEqual([
      "$.a.b: simulator gives number, the example string",
      "$.n[]: simulator gives string, the example number",
    ]);
  });
});
