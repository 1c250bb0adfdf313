import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { arr, COMPUTE, connect, header, pick, powerOf, smallScenario, str, vmPath, type Client } from "./helpers";

describe("VM power state machine", () => {
  let c: Client;
  beforeEach(async () => {
    c = await connect(smallScenario());
  });
  afterEach(() => c.sim.close());

  const iv = async (vm: string, rg = "rg-a"): Promise<string | undefined> => powerOf((await c.call("GET", `${vmPath(c.sub, rg, vm, "/instanceView")}?${COMPUTE}`)).body);

  it("answers powerOff with 202, Azure-AsyncOperation and Location, and no Retry-After", async () => {
    const r = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    expect(r.status).toBe(202);
    expect(header(r, "azure-asyncoperation")).toMatch(/\/providers\/Microsoft\.Compute\/locations\/westeurope\/operations\/.+api-version=2026-03-01/);
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

  it("records lastStartTime when a deallocated VM is started", async () => {
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm3", "/start")}?${COMPUTE}`);
    c.clock.advance(60);
    const vm = c.sim.snapshot().vms.find((v) => v.name === "vm3");
    expect(vm).toMatchObject({ powerState: "running", lastStartTime: new Date(c.clock.now()).toISOString(), lastAllocatedAt: new Date(c.clock.now()).toISOString() });
    const view = (await c.call("GET", `${vmPath(c.sub, "rg-a", "vm3", "/instanceView")}?${COMPUTE}`)).body;
    const power = arr(view, "statuses").find((s) => str(s, "code") === "PowerState/running");
    expect(str(power, "time")).toBe(new Date(c.clock.now()).toISOString());
  });

  it("gives the power state a time only when it is known", async () => {
    const unknown = (await c.call("GET", `${vmPath(c.sub, "rg-b", "vm-eph", "/instanceView")}?${COMPUTE}`)).body;
    const known = (await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1", "/instanceView")}?${COMPUTE}`)).body;
    const powerStatus = (view: unknown): unknown => arr(view, "statuses").find((s) => str(s, "code").startsWith("PowerState/"));
    expect(pick(powerStatus(unknown), "time")).toBeUndefined();
    expect(pick(powerStatus(known), "time")).toBe("2026-02-01T00:00:00.000Z");
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
    expect([other.status, str(other.body, "error.code")]).toEqual([409, "AnotherOperationInProgress"]);
  });

  it("refuses to deallocate a VM with an ephemeral OS disk", async () => {
    const r = await c.call("POST", `${vmPath(c.sub, "rg-b", "vm-eph", "/deallocate")}?${COMPUTE}`);
    expect([r.status, str(r.body, "error.code")]).toEqual([409, "OperationNotAllowed"]);
    expect(await iv("vm-eph", "rg-b")).toBe("running");
  });

  it("reports the ephemeral disk and availability data in the VM body", async () => {
    const eph = (await c.call("GET", `${vmPath(c.sub, "rg-b", "vm-eph")}?${COMPUTE}`)).body;
    expect(pick(eph, "properties.storageProfile.osDisk.diffDiskSettings")).toEqual({ option: "Local", placement: "CacheDisk" });
    const withAgent = (await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1")}?${COMPUTE}`)).body;
    expect(pick(withAgent, "resources.0.properties.publisher")).toBe("Microsoft.Azure.NetworkWatcher");
  });
});

describe("uniform scale-set power operations", () => {
  let c: Client;
  const ss = (suffix = ""): string => `/subscriptions/${c.sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/ss1${suffix}`;
  beforeEach(async () => {
    c = await connect(smallScenario());
  });
  afterEach(() => c.sim.close());

  const instances = async (): Promise<Record<string, string | undefined>> => {
    const r = await c.call("GET", `${ss("/virtualMachines")}?${COMPUTE}&$expand=instanceView`);
    return Object.fromEntries(arr(r.body, "value").map((v) => [str(v, "instanceId"), powerOf(pick(v, "properties.instanceView"))]));
  };

  it("lists scale sets and their instances with power states", async () => {
    const list = await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachineScaleSets?${COMPUTE}`);
    expect(arr(list.body, "value").map((v) => [pick(v, "name"), pick(v, "properties.orchestrationMode")])).toEqual([["ss1", "Uniform"]]);
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
