import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { arr, COMPUTE, connect, header, pick, powerOf, smallScenario, str, vmPath, type Client } from "./helpers";

describe("VM power state machine", () => {
  let c: Client;
  beforeEach(async () => {
    c = await connect(smallScenario());
  });
  afterEach(() => c.sim.close());

  const iv = async (vm: string, rg = "rg-a"): Promise<string | undefined> =>
    powerOf((await c.call("GET", `${vmPath(c.sub, rg, vm, "/instanceView")}?${COMPUTE}`)).body);

  it("answers powerOff with 202, Azure-AsyncOperation and Location, and no Retry-After", async () => {
    const r = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    expect(r.status).toBe(202);
    expect(header(r, "azure-asyncoperation")).toMatch(
      /\/providers\/Microsoft\.Compute\/locations\/westeurope\/operations\/.+api-version=2026-03-01/,
    );
    expect(header(r, "location")).toMatch(/monitor=true/);
    expect(header(r, "retry-after")).toBeUndefined();
  });

  it("shows the transitional state while an operation runs and the final one after its duration", async () => {
    const r = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    const op = header(r, "azure-asyncoperation") ?? "";
    const loc = header(r, "location") ?? "";
    expect(await iv("vm1")).toBe("stopping");
    expect(str((await c.follow(op)).body, "status")).toBe("InProgress");
    const pending = await c.follow(loc);
    expect(pending.status).toBe(202);
    expect(header(pending, "retry-after")).toBeUndefined();
    c.clock.advance(29);
    expect(await iv("vm1")).toBe("stopping");
    c.clock.advance(1);
    expect(await iv("vm1")).toBe("stopped");
    expect(str((await c.follow(op)).body, "status")).toBe("Succeeded");
    expect((await c.follow(loc)).status).toBe(200);
    const got = await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1")}?${COMPUTE}&$expand=instanceView`);
    expect(powerOf(got.body)).toBe("stopped");
    expect(str(got.body, "properties.provisioningState")).toBe("Succeeded");
  });

  it("records every power-state change with its simulated time", async () => {
    const t0 = c.clock.now();
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/deallocate")}?${COMPUTE}`);
    c.clock.advance(60);
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/start")}?${COMPUTE}`);
    c.clock.advance(60);
    const id = vmPath(c.sub, "rg-a", "vm1");
    expect(c.sim.timeline(id.toUpperCase()).map(({ from, to, at }) => ({ from, to, at: (at - t0) / 1000 }))).toEqual([
      { from: "running", to: "deallocating", at: 0 },
      { from: "deallocating", to: "deallocated", at: 60 },
      { from: "deallocated", to: "starting", at: 60 },
      { from: "starting", to: "running", at: 120 },
    ]);
  });

  it("records lastStartTime when a deallocated VM is started, and the instance view gives PowerState no time", async () => {
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm3", "/start")}?${COMPUTE}`);
    c.clock.advance(60);
    const vm = c.sim.snapshot().vms.find((v) => v.name === "vm3");
    expect(vm).toMatchObject({
      powerState: "running",
      lastStartTime: new Date(c.clock.now()).toISOString(),
      lastAllocatedAt: new Date(c.clock.now()).toISOString(),
    });
    const view = (await c.call("GET", `${vmPath(c.sub, "rg-a", "vm3", "/instanceView")}?${COMPUTE}`)).body;
    const power = arr(view, "statuses").find((s) => str(s, "code") === "PowerState/running");
    expect(pick(power, "time")).toBeUndefined();
  });

  it("gives only the provisioning state a time, never the power state, as every official instance view", async () => {
    for (const [rg, name] of [
      ["rg-b", "vm-eph"],
      ["rg-a", "vm1"],
    ] as const) {
      const view = (await c.call("GET", `${vmPath(c.sub, rg, name, "/instanceView")}?${COMPUTE}`)).body;
      const statuses = arr(view, "statuses");
      expect(
        pick(
          statuses.find((s) => str(s, "code").startsWith("PowerState/")),
          "time",
        ),
      ).toBeUndefined();
      expect(
        typeof pick(
          statuses.find((s) => str(s, "code").startsWith("ProvisioningState/")),
          "time",
        ),
      ).toBe("string");
      const listed = (
        await c.call(
          "GET",
          `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?statusOnly=true&${COMPUTE}`,
        )
      ).body;
      for (const v of arr(listed, "value")) {
        const ps = arr(pick(v, "properties.instanceView"), "statuses").find((s) =>
          str(s, "code").startsWith("PowerState/"),
        );
        expect(pick(ps, "time")).toBeUndefined();
      }
    }
  });

  it("treats an operation on a VM already in the target state as an immediate success", async () => {
    const r = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm3", "/deallocate")}?${COMPUTE}`);
    expect(str((await c.follow(header(r, "azure-asyncoperation") ?? "")).body, "status")).toBe("Succeeded");
    expect(c.sim.timeline(vmPath(c.sub, "rg-a", "vm3"))).toEqual([]);
  });

  it("joins a repeated request for the running operation and refuses a different one with 409", async () => {
    const first = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/deallocate")}?${COMPUTE}`);
    const again = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/deallocate")}?${COMPUTE}`);
    expect(header(again, "azure-asyncoperation")).toBe(header(first, "azure-asyncoperation"));
    const other = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/start")}?${COMPUTE}`);
    // Compute's code and words for it (Learn "Azure Virtual Machine Error Messages").
    expect([other.status, str(other.body, "error.code"), str(other.body, "error.message")]).toEqual([
      409,
      "OperationNotAllowed",
      "Operation 'start' is not allowed on VM 'vm1' since another operation is in progress.",
    ]);
  });

  it("refuses to deallocate a VM with an ephemeral OS disk", async () => {
    const r = await c.call("POST", `${vmPath(c.sub, "rg-b", "vm-eph", "/deallocate")}?${COMPUTE}`);
    expect([r.status, str(r.body, "error.code")]).toEqual([409, "OperationNotAllowed"]);
    expect(await iv("vm-eph", "rg-b")).toBe("running");
  });

  it("reports the ephemeral disk and availability data in the VM body", async () => {
    const eph = (await c.call("GET", `${vmPath(c.sub, "rg-b", "vm-eph")}?${COMPUTE}`)).body;
    expect(pick(eph, "properties.storageProfile.osDisk.diffDiskSettings")).toEqual({
      option: "Local",
      placement: "CacheDisk",
    });
    const withAgent = (await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1")}?${COMPUTE}`)).body;
    const agent = arr(withAgent, "resources").find(
      (e) => pick(e, "properties.publisher") === "Microsoft.Azure.NetworkWatcher",
    );
    expect(pick(agent, "properties.type")).toBe("NetworkWatcherAgentLinux");
  });

  it("lists a VM's extensions by id only, and serves them whole on the extensions list", async () => {
    const listed = (
      await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}`)
    ).body;
    const vm1 = arr(listed, "value").find((v) => str(v, "name") === "vm1");
    const resources = arr(vm1, "resources");
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) expect(Object.keys(r as object)).toEqual(["id"]);
    const list = (await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1", "/extensions")}?${COMPUTE}`)).body;
    const agent = arr(list, "value").find((e) => pick(e, "properties.publisher") === "Microsoft.Azure.NetworkWatcher");
    expect(pick(agent, "properties.type")).toBe("NetworkWatcherAgentLinux");
    expect(`${vmPath(c.sub, "rg-a", "vm1")}/extensions/${str(agent, "name")}`.toLowerCase()).toBe(
      str(agent, "id").toLowerCase(),
    );
    expect(
      arr((await c.call("GET", `${vmPath(c.sub, "rg-a", "vm3", "/extensions")}?${COMPUTE}`)).body, "value").filter(
        (e) => pick(e, "properties.publisher") === "Microsoft.Azure.NetworkWatcher",
      ),
    ).toEqual([]);
  });

  it("writes Microsoft.Compute ids with the resource group upper-cased", async () => {
    const vm1 = (await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1")}?${COMPUTE}`)).body;
    expect(str(vm1, "id")).toBe(
      `/subscriptions/${c.sub}/resourceGroups/RG-A/providers/Microsoft.Compute/virtualMachines/vm1`,
    );
    const listed = (
      await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}`)
    ).body;
    for (const v of arr(listed, "value")) expect(str(v, "id")).toMatch(/\/resourceGroups\/RG-[AB]\//);
  });
});

describe("uniform scale-set power operations", () => {
  let c: Client;
  const ss = (suffix = ""): string =>
    `/subscriptions/${c.sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/ss1${suffix}`;
  beforeEach(async () => {
    c = await connect(smallScenario());
  });
  afterEach(() => c.sim.close());

  const instances = async (): Promise<Record<string, string | undefined>> => {
    const r = await c.call("GET", `${ss("/virtualMachines")}?${COMPUTE}&$expand=instanceView`);
    return Object.fromEntries(
      arr(r.body, "value").map((v) => [str(v, "instanceId"), powerOf(pick(v, "properties.instanceView"))]),
    );
  };

  it("lists scale sets and their instances with power states", async () => {
    const list = await c.call(
      "GET",
      `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachineScaleSets?${COMPUTE}`,
    );
    expect(arr(list.body, "value").map((v) => [pick(v, "name"), pick(v, "properties.orchestrationMode")])).toEqual([
      ["ss1", "Uniform"],
    ]);
    expect(await instances()).toEqual({ "0": "running", "1": "running", "2": "deallocated" });
  });

  it("cycles only the instances named in instanceIds", async () => {
    const r = await c.call("POST", `${ss("/deallocate")}?${COMPUTE}`, { instanceIds: ["1"] });
    expect(r.status).toBe(202);
    expect(await instances()).toEqual({ "0": "running", "1": "deallocating", "2": "deallocated" });
    c.clock.advance(60);
    expect(await instances()).toEqual({ "0": "running", "1": "deallocated", "2": "deallocated" });
    expect(c.sim.timeline(ss()).map((t) => [t.instanceId, t.to])).toEqual([
      ["1", "deallocating"],
      ["1", "deallocated"],
    ]);
  });

  it("acts on every instance when instanceIds is omitted", async () => {
    const r = await c.call("POST", `${ss("/start")}?${COMPUTE}`);
    c.clock.advance(60);
    expect(str((await c.follow(header(r, "azure-asyncoperation") ?? "")).body, "status")).toBe("Succeeded");
    expect(await instances()).toEqual({ "0": "running", "1": "running", "2": "running" });
  });

  it("refuses an unknown instance id", async () => {
    const r = await c.call("POST", `${ss("/powerOff")}?${COMPUTE}`, { instanceIds: ["9"] });
    expect([r.status, str(r.body, "error.code")]).toEqual([400, "InvalidParameter"]);
  });
});
