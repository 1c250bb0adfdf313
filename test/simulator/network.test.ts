import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { arr, COMPUTE, connect, header, NETWORK, pick, smallScenario, str, vmPath, type Client } from "./helpers";

const net = (c: Client, suffix: string): string =>
  `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1${suffix}`;

describe("subnets", () => {
  let c: Client;
  beforeEach(async () => {
    c = await connect(smallScenario());
  });
  afterEach(() => c.sim.close());

  const put = (name: string, addressPrefix: string): ReturnType<Client["call"]> =>
    c.call("PUT", `${net(c, `/subnets/${name}`)}?${NETWORK}`, { properties: { addressPrefix } });

  it("lists VNets with subnets, delegations and service association links", async () => {
    const r = await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Network/virtualNetworks?${NETWORK}`);
    const subnets = arr(r.body, "value.0.properties.subnets");
    expect(subnets.map((s) => pick(s, "name"))).toEqual(["used", "ase", "linked"]);
    expect(pick(subnets[1], "properties.delegations.0.properties.serviceName")).toBe(
      "Microsoft.Web/hostingEnvironments",
    );
    expect(pick(subnets[2], "properties.serviceAssociationLinks.0.properties.linkedResourceType")).toBe(
      "Microsoft.Web/hostingEnvironments",
    );
  });

  it("creates a subnet as a long-running operation: 201 + Azure-AsyncOperation, Updating, then Succeeded", async () => {
    const r = await put("port25-temp-1", "10.0.200.0/29");
    expect(r.status).toBe(201);
    expect(str(r.body, "properties.provisioningState")).toBe("Updating");
    const op = header(r, "azure-asyncoperation") ?? "";
    expect(op).toMatch(/\/providers\/Microsoft\.Network\/locations\/westeurope\/operations\/.+api-version=2025-05-01/);
    expect(header(r, "retry-after")).toBeUndefined();
    expect(str((await c.follow(op)).body, "status")).toBe("InProgress");
    c.clock.advance(10);
    expect(str((await c.follow(op)).body, "status")).toBe("Succeeded");
    const got = await c.call("GET", `${net(c, "/subnets/port25-temp-1")}?${NETWORK}`);
    expect(pick(got.body, "properties")).toMatchObject({
      addressPrefix: "10.0.200.0/29",
      provisioningState: "Succeeded",
    });
  });

  it("refuses overlapping, outside and malformed prefixes with ARM's codes", async () => {
    const overlap = await put("t", "10.0.0.8/29");
    const outside = await put("t", "192.168.0.0/29");
    const hostBits = await put("t", "10.0.200.3/29");
    expect([overlap.status, str(overlap.body, "error.code")]).toEqual([400, "NetcfgSubnetRangesOverlap"]);
    expect([outside.status, str(outside.body, "error.code")]).toEqual([400, "NetcfgSubnetRangeOutsideVnet"]);
    expect([hostBits.status, str(hostBits.body, "error.code")]).toEqual([400, "NetcfgInvalidSubnet"]);
  });

  it("refuses a second write on the VNet while one is in flight, then accepts it", async () => {
    expect((await put("t1", "10.0.200.0/29")).status).toBe(201);
    const second = await put("t2", "10.0.200.8/29");
    expect([second.status, str(second.body, "error.code")]).toEqual([409, "AnotherOperationInProgress"]);
    c.clock.advance(10);
    expect((await put("t2", "10.0.200.8/29")).status).toBe(201);
  });

  it("answers 429 RetryableError with RetryableErrorDueToAnotherOperation in details and Retry-After when configured so", async () => {
    const base = smallScenario();
    const c429 = await connect({ ...base, behaviour: { ...base.behaviour, vnetWriteConflict: "429" } });
    try {
      const path = `/subscriptions/${c429.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets`;
      await c429.call("PUT", `${path}/a?${NETWORK}`, { properties: { addressPrefix: "10.0.200.0/29" } });
      c429.clock.advance(4);
      const r = await c429.call("DELETE", `${path}/ase?${NETWORK}`);
      expect([r.status, str(r.body, "error.code"), header(r, "retry-after")]).toEqual([429, "RetryableError", "6"]);
      expect(str(r.body, "error.details.0.code")).toBe("RetryableErrorDueToAnotherOperation");
    } finally {
      await c429.sim.close();
    }
  });

  it("deletes a subnet as a long-running operation: 202 + both headers, Deleting, then gone", async () => {
    const r = await c.call("DELETE", `${net(c, "/subnets/ase")}?${NETWORK}`);
    expect(r.status).toBe(202);
    expect(header(r, "azure-asyncoperation")).toBeDefined();
    expect(header(r, "location")).toMatch(/operationResults/);
    expect(
      str((await c.call("GET", `${net(c, "/subnets/ase")}?${NETWORK}`)).body, "properties.provisioningState"),
    ).toBe("Deleting");
    c.clock.advance(10);
    expect((await c.follow(header(r, "location") ?? "")).status).toBe(200);
    expect((await c.call("GET", `${net(c, "/subnets/ase")}?${NETWORK}`)).status).toBe(404);
    expect(c.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toEqual(["used", "linked"]);
  });

  it("refuses to delete a subnet in use or held by a service association link", async () => {
    for (const name of ["used", "linked"]) {
      const r = await c.call("DELETE", `${net(c, `/subnets/${name}`)}?${NETWORK}`);
      expect([r.status, str(r.body, "error.code")]).toEqual([400, "InUseSubnetCannotBeDeleted"]);
    }
  });

  it("answers 204 when deleting a subnet that does not exist", async () => {
    expect((await c.call("DELETE", `${net(c, "/subnets/ghost")}?${NETWORK}`)).status).toBe(204);
  });
});

describe("connectivity check", () => {
  let c: Client;
  beforeEach(async () => {
    c = await connect(smallScenario());
  });
  afterEach(() => c.sim.close());

  const watcher = (c: Client): string =>
    `/subscriptions/${c.sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope`;
  const check = async (
    vm: string,
    port = 25,
    rg = "rg-a",
  ): Promise<{ status: number; result?: unknown; code?: string }> => {
    const r = await c.call("POST", `${watcher(c)}/connectivityCheck?${NETWORK}`, {
      source: { resourceId: vmPath(c.sub, rg, vm) },
      destination: { address: "smtp.example.com", port },
      protocol: "Tcp",
    });
    if (r.status !== 202) return { status: r.status, code: str(r.body, "error.code") };
    const loc = header(r, "location") ?? "";
    expect((await c.follow(loc)).status).toBe(202);
    c.clock.advance(20);
    const done = await c.follow(loc);
    return { status: done.status, result: done.body };
  };
  const cycle = async (vm: string): Promise<void> => {
    await c.call("POST", `${vmPath(c.sub, "rg-a", vm, "/deallocate")}?${COMPUTE}`);
    c.clock.advance(60);
    await c.call("POST", `${vmPath(c.sub, "rg-a", vm, "/start")}?${COMPUTE}`);
    c.clock.advance(60);
  };
  /** Past the time a started VM's agents take to report ready (behaviour.agentReady: 180 s + 30 s, ±20 %). */
  const agentsUp = (): void => c.clock.advance(300);

  it("lists the Network Watchers", async () => {
    const r = await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Network/networkWatchers?${NETWORK}`);
    expect(arr(r.body, "value").map((w) => [pick(w, "name"), pick(w, "location")])).toEqual([
      ["NetworkWatcher_westeurope", "westeurope"],
    ]);
  });

  it("reports TCP 25 unreachable, with an issue on the hop, before the VM is cycled", async () => {
    const r = await check("vm1");
    expect(r.status).toBe(200);
    expect(pick(r.result, "connectionStatus")).toBe("Unreachable");
    expect(pick(r.result, "hops.0.issues.0")).toMatchObject({
      origin: "Outbound",
      severity: "Error",
      type: "Platform",
    });
  });

  it("reports TCP 25 reachable once the VM was deallocated and started after the exemption", async () => {
    await cycle("vm1");
    agentsUp();
    const r = await check("vm1");
    expect(pick(r.result, "connectionStatus")).toBe("Reachable");
    expect(arr(r.result, "hops.0.issues")).toEqual([]);
  });

  it("keeps TCP 25 unreachable after a cycle when the subscription is not exempted", async () => {
    await c.sim.close();
    c = await connect(smallScenario({ exemption: { exempted: false } }));
    await cycle("vm1");
    agentsUp();
    expect(pick((await check("vm1")).result, "connectionStatus")).toBe("Unreachable");
  });

  it("reaches other ports regardless of the exemption", async () => {
    expect(pick((await check("vm1", 443)).result, "connectionStatus")).toBe("Reachable");
  });

  it("needs a running source VM with the Network Watcher agent", async () => {
    expect(await check("vm2")).toEqual({ status: 400, code: "VmNotRunning" });
    expect(await check("vm-noagent", 25, "rg-b")).toEqual({ status: 400, code: "NetworkWatcherAgentNotInstalled" });
  });
});
