import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPUTE, connect, header, NETWORK, smallScenario, vmPath, type Client } from "./helpers";

/** Fixtures: official REST-spec example bodies, trimmed to what the simulator serves (see each file's `source`). */
const DIR = join(__dirname, "fixtures");
function fixture(name: string): unknown {
  const parsed = JSON.parse(readFileSync(join(DIR, name), "utf8")) as { body: unknown };
  return parsed.body;
}

/** Every field of `expected` must exist in `actual` with the same JSON type and nesting; arrays compare first elements. */
function shapeMismatches(expected: unknown, actual: unknown, path = "$"): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array`];
    if (expected.length === 0) return [];
    if (actual.length === 0) return [`${path}: expected a non-empty array`];
    return shapeMismatches(expected[0], actual[0], `${path}[0]`);
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return [`${path}: expected an object`];
    // Tags are a free-form map: only the container's type matters.
    if (path.endsWith(".tags")) return [];
    return Object.entries(expected).flatMap(([k, v]) =>
      shapeMismatches(v, (actual as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  return typeof expected === typeof actual
    ? []
    : [`${path}: expected ${typeof expected}, got ${actual === undefined ? "nothing" : typeof actual}`];
}

describe("bodies carry the fields and nesting of the REST specs' examples", () => {
  let c: Client;
  beforeAll(async () => {
    const base = smallScenario();
    c = await connect({
      ...base,
      subscription: {
        ...base.subscription,
        billing: {
          agreementType: "EnterpriseAgreement",
          workloadType: "DevTest",
          skuId: "0001",
          skuDescription: "Enterprise Dev/Test",
        },
      },
      vms: [
        {
          name: "win1",
          resourceGroup: "rg-a",
          osType: "Windows",
          availabilitySet: "avset-1",
          networkWatcherAgent: true,
          tags: { app: "x" },
        },
        ...(base.vms ?? []),
      ],
      scaleSets: [{ name: "eph", resourceGroup: "rg-b", ephemeralOsDisk: true, instances: [{ instanceId: "0" }] }],
      vnets: [
        {
          name: "vnet1",
          resourceGroup: "rg-a",
          addressPrefixes: ["10.0.0.0/16"],
          subnets: [
            {
              name: "ase",
              addressPrefix: "10.0.1.0/24",
              delegations: ["Microsoft.Web/hostingEnvironments"],
              inUse: true,
            },
          ],
        },
      ],
      behaviour: { ...base.behaviour, latencies: { connectivityCheck: 0 } },
    });
    // Reachable path (so latency fields are present): cycle the agent VM once the exemption holds.
    await c.call("POST", `${vmPath(c.sub, "rg-a", "win1", "/deallocate")}?${COMPUTE}`);
    c.clock.advance(120);
    await c.call("POST", `${vmPath(c.sub, "rg-a", "win1", "/start")}?${COMPUTE}`);
    c.clock.advance(120);
    // The guest's agents report ready minutes after the start (behaviour.agentReady); the examples show them ready.
    c.clock.advance(300);
  });
  afterAll(() => c.sim.close());

  const cases: [string, () => Promise<unknown>][] = [
    [
      "compute.VirtualMachine_Get.json",
      async () => (await c.call("GET", `${vmPath(c.sub, "rg-a", "win1")}?${COMPUTE}`)).body,
    ],
    [
      "compute.VirtualMachine_Get_InstanceView.json",
      async () => (await c.call("GET", `${vmPath(c.sub, "rg-a", "win1", "/instanceView")}?${COMPUTE}`)).body,
    ],
    [
      "compute.VirtualMachineScaleSetVM_List.json",
      async () =>
        (
          await c.call(
            "GET",
            `/subscriptions/${c.sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/eph/virtualMachines?${COMPUTE}`,
          )
        ).body,
    ],
    [
      "network.VirtualNetworkGetWithSubnetDelegation.json",
      async () =>
        (
          await c.call(
            "GET",
            `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1?${NETWORK}`,
          )
        ).body,
    ],
    [
      "network.SubnetGet.json",
      async () =>
        (
          await c.call(
            "GET",
            `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/ase?${NETWORK}`,
          )
        ).body,
    ],
    [
      "network.NetworkWatcherListAll.json",
      async () =>
        (await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Network/networkWatchers?${NETWORK}`)).body,
    ],
    [
      "network.NetworkWatcherConnectivityCheck.json",
      async () => {
        const r = await c.call(
          "POST",
          `/subscriptions/${c.sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/connectivityCheck?${NETWORK}`,
          {
            source: { resourceId: vmPath(c.sub, "rg-a", "win1") },
            destination: { address: "mx.example.com", port: 25 },
          },
        );
        // 200 carries the result; 202 serves it at the Location.
        return r.status === 200 ? r.body : (await c.follow(header(r, "location") ?? "")).body;
      },
    ],
    [
      "resources.GetSubscription.json",
      async () => (await c.call("GET", `/subscriptions/${c.sub}?api-version=2022-12-01`)).body,
    ],
    [
      "billing.billingPropertiesGet.json",
      async () =>
        (
          await c.call(
            "GET",
            `/subscriptions/${c.sub}/providers/Microsoft.Billing/billingProperty/default?api-version=2024-04-01`,
          )
        ).body,
    ],
  ];

  it("has a test for every fixture", () => {
    expect(cases.map(([n]) => n).sort()).toEqual(
      readdirSync(DIR)
        .filter((f) => f.endsWith(".json"))
        .sort(),
    );
  });

  it.each(cases)("%s", async (name, get) => {
    expect(shapeMismatches(fixture(name), await get())).toEqual([]);
  });

  it("the comparison catches a missing or mistyped field", () => {
    expect(shapeMismatches({ properties: { a: { b: "x" } } }, { properties: { a: {} } })).toEqual([
      "$.properties.a.b: expected string, got nothing",
    ]);
    expect(shapeMismatches({ value: [{ n: 1 }] }, { value: [{ n: "1" }] })).toEqual([
      "$.value[0].n: expected number, got string",
    ]);
  });
});
