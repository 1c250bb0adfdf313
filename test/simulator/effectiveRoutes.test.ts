/**
 * NetworkInterfaces_GetEffectiveRouteTable through the real @azure/arm-network client: the long-running POST, the
 * list at its Location, the winning route Active and the routes it overrides Invalid, and Azure's 400 for a NIC
 * whose VM is not running.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NetworkManagementClient, type EffectiveRoute } from "@azure/arm-network";
import type { TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type ScenarioInput, type SimulatorHandle } from "../../src/simulator/index";

function hubSpoke(change: (s: ScenarioInput) => ScenarioInput = (s) => s): ScenarioInput {
  const raw = JSON.parse(readFileSync(join(__dirname, "../../scenarios/hub-spoke.json"), "utf8")) as ScenarioInput;
  // Zero latencies: SDK pollers wait in real time, so the operation finishes on the first poll.
  return change({ ...raw, behaviour: { ...raw.behaviour, jitter: 0, latencies: { effectiveRouteTable: 0 } } });
}

/** The spoke takes the hub's gateway, which advertises a default route over BGP. */
function remoteGateways(s: ScenarioInput): ScenarioInput {
  return {
    ...s,
    vnets: (s.vnets ?? []).map((v) => ({
      ...v,
      peerings: (v.peerings ?? []).map((p) => ({
        ...p,
        useRemoteGateways: true,
        remoteGateway: { port25: "blocked" as const, advertisesDefaultRoute: true },
      })),
    })),
  };
}

const open: SimulatorHandle[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

async function client(scenario: ScenarioInput): Promise<{ sim: SimulatorHandle; network: NetworkManagementClient }> {
  const sim = await startSimulator({ scenario });
  open.push(sim);
  const credential: TokenCredential = {
    getToken: () => Promise.resolve({ token: sim.token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const network = new NetworkManagementClient(credential, sim.subscriptionId, {
    endpoint: sim.endpoint,
    $host: sim.endpoint,
    credentialScopes: ["https://management.azure.com/.default"],
    tlsOptions: { ca: sim.caPem },
    retryOptions: { maxRetries: 0, retryDelayInMs: 10 },
  });
  return { sim, network };
}

function defaults(routes: readonly EffectiveRoute[]): [string | undefined, string | undefined, string | undefined][] {
  return routes
    .filter((r) => r.addressPrefix?.includes("0.0.0.0/0") === true)
    .map((r) => [r.source, r.state, r.nextHopType]);
}

describe("effective routes of a NIC (real SDK)", () => {
  it("lists the user default route to the hub firewall Active and the system Internet route it overrides Invalid", async () => {
    const { sim, network } = await client(hubSpoke());
    const result = await network.networkInterfaces.beginGetEffectiveRouteTableAndWait("rg-spoke", "app-hub-01-nic", {
      updateIntervalInMs: 5,
    });
    const routes = result.value ?? [];
    expect(defaults(routes)).toEqual([
      ["Default", "Invalid", "Internet"],
      ["User", "Active", "VirtualAppliance"],
    ]);
    expect(routes.find((r) => r.source === "User")?.nextHopIpAddress).toEqual(["10.100.0.4"]);
    expect(routes.find((r) => r.nextHopType === "VnetLocal")).toMatchObject({
      state: "Active",
      addressPrefix: ["10.20.0.0/16"],
    });
    expect(routes.find((r) => r.nextHopType === "VNetPeering")).toMatchObject({
      state: "Active",
      addressPrefix: ["10.100.0.0/16"],
    });
    expect(
      sim
        .requestLog()
        .filter((e) => e.operation === "getEffectiveRouteTable")
        .map((e) => e.status),
    ).toEqual([202]);
  });

  it("keeps the system Internet route Active on a subnet without a route table", async () => {
    const { network } = await client(hubSpoke());
    const result = await network.networkInterfaces.beginGetEffectiveRouteTableAndWait("rg-spoke", "app-direct-01-nic", {
      updateIntervalInMs: 5,
    });
    expect(defaults(result.value ?? [])).toEqual([["Default", "Active", "Internet"]]);
  });

  it("lists the default route a remote gateway advertises over BGP as the winner for a spoke using remote gateways", async () => {
    const { network } = await client(hubSpoke(remoteGateways));
    const result = await network.networkInterfaces.beginGetEffectiveRouteTableAndWait("rg-spoke", "app-direct-01-nic", {
      updateIntervalInMs: 5,
    });
    expect(defaults(result.value ?? [])).toEqual([
      ["Default", "Invalid", "Internet"],
      ["VirtualNetworkGateway", "Active", "VirtualNetworkGateway"],
    ]);
  });

  it("answers 400 NicMustBeAttachedToRunningVmToGetEffectiveRoutes for the NIC of a deallocated VM", async () => {
    const { network } = await client(
      hubSpoke((s) => ({
        ...s,
        vms: (s.vms ?? []).map((v) => (v.name === "app-hub-02" ? { ...v, power: "deallocated" as const } : v)),
      })),
    );
    await expect(
      network.networkInterfaces.beginGetEffectiveRouteTableAndWait("rg-spoke", "app-hub-02-nic", {
        updateIntervalInMs: 5,
      }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: "NicMustBeAttachedToRunningVmToGetEffectiveRoutes",
    });
  });

  it("answers 404 for a NIC that does not exist", async () => {
    const { network } = await client(hubSpoke());
    await expect(
      network.networkInterfaces.beginGetEffectiveRouteTableAndWait("rg-spoke", "no-such-nic", {
        updateIntervalInMs: 5,
      }),
    ).rejects.toMatchObject({ statusCode: 404 });
  });
});
