/**
 * Answers where Azure is less convenient than a tidy state machine: what a VM starting from deallocated shows on
 * its way up, a status listing that sometimes has no power state for a VM, and a preempted operation's status.
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPUTE, connect, generateFleet, powerOf, smallScenario, vmPath, type Client } from "./helpers";

describe("a VM starting from deallocated", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  const views = async (vm: string): Promise<{ own: string | undefined; listed: string | undefined }> => {
    const own = powerOf((await c.call("GET", `${vmPath(c.sub, "rg-a", vm, "/instanceView")}?${COMPUTE}`)).body);
    const list = await c.call(
      "GET",
      `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}&statusOnly=true`,
    );
    const value = (list.body as { value: { name: string }[] }).value;
    const listed = powerOf(value.find((v) => v.name === vm));
    return { own, listed };
  };

  it("reads stopped for a while on its way to running (allocated, not yet powered on), by default", async () => {
    c = await connect(smallScenario());
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm3", "/start")}?${COMPUTE}`);
    expect(await views("vm3")).toEqual({ own: "starting", listed: "starting" });
    c.clock.advance(10);
    expect(await views("vm3")).toEqual({ own: "stopped", listed: "stopped" });
    c.clock.advance(9);
    expect(await views("vm3")).toEqual({ own: "stopped", listed: "stopped" });
    c.clock.advance(1);
    expect(await views("vm3")).toEqual({ own: "starting", listed: "starting" });
    c.clock.advance(40);
    expect(await views("vm3")).toEqual({ own: "running", listed: "running" });
    // What the answers showed only: the VM's own history went deallocated → starting → running.
    expect(c.sim.timeline(vmPath(c.sub, "rg-a", "vm3").toUpperCase()).map((t) => t.to)).toEqual([
      "starting",
      "running",
    ]);
  });

  it("shows the stopped state when and as long as the scenario says, never past the start's end", async () => {
    c = await connect(
      smallScenario({
        behaviour: { ...smallScenario().behaviour, stoppedWhileStarting: { afterSeconds: 50, seconds: 30 } },
      }),
    );
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm3", "/start")}?${COMPUTE}`);
    c.clock.advance(49);
    expect((await views("vm3")).own).toBe("starting");
    c.clock.advance(1);
    expect((await views("vm3")).own).toBe("stopped");
    c.clock.advance(10);
    expect((await views("vm3")).own).toBe("running");
  });

  it("never shows stopped on a start from stopped (allocated), nor with the glimpse set to zero", async () => {
    c = await connect(
      smallScenario({ behaviour: { ...smallScenario().behaviour, stoppedWhileStarting: { seconds: 0 } } }),
    );
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm2", "/start")}?${COMPUTE}`);
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm3", "/start")}?${COMPUTE}`);
    for (let s = 0; s < 60; s += 5) {
      expect((await views("vm2")).own).toBe("starting");
      expect((await views("vm3")).own).toBe("starting");
      c.clock.advance(5);
    }
  });
});

describe("a statusOnly listing of the subscription", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  const listed = async (query: string): Promise<{ name: string; power: string | undefined; codes: string[] }[]> => {
    type Page = {
      value: { name: string; properties: { instanceView?: { statuses: { code: string }[] } } }[];
      nextLink?: string;
    };
    let r = await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${query}`);
    const all: Page["value"] = [];
    for (;;) {
      const body = r.body as Page;
      all.push(...body.value);
      if (body.nextLink === undefined) break;
      r = await c.follow(body.nextLink);
    }
    return all.map((v) => ({
      name: v.name,
      power: powerOf(v),
      codes: (v.properties.instanceView?.statuses ?? []).map((s) => s.code),
    }));
  };

  it("may give a VM no power state, its provisioning state still there; the VM's own reads always have it", async () => {
    c = await connect(smallScenario({ behaviour: { ...smallScenario().behaviour, listingPowerStateMissing: 1 } }));
    const vms = await listed(`${COMPUTE}&statusOnly=true`);
    expect(vms.length).toBeGreaterThan(0);
    for (const vm of vms) {
      expect(vm.power).toBeUndefined();
      expect(vm.codes).toEqual(["ProvisioningState/succeeded"]);
    }
    expect(powerOf((await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1", "/instanceView")}?${COMPUTE}`)).body)).toBe(
      "running",
    );
  });

  it("gives every VM's power state when the scenario sets the share to zero", async () => {
    c = await connect(smallScenario({ behaviour: { ...smallScenario().behaviour, listingPowerStateMissing: 0 } }));
    for (const vm of await listed(`${COMPUTE}&statusOnly=true`)) expect(vm.power).toBeDefined();
  });

  it("leaves out a rare few by default, a different few from one listing to the next", async () => {
    c = await connect(generateFleet(400, 3));
    const first = (await listed(`${COMPUTE}&statusOnly=true`)).filter((v) => v.power === undefined).map((v) => v.name);
    c.clock.advance(60);
    const second = (await listed(`${COMPUTE}&statusOnly=true`)).filter((v) => v.power === undefined).map((v) => v.name);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(20);
    expect(second).not.toEqual(first);
  });
});

describe("a power operation a later one preempted", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  const preempted = async (preemptedStatus: "Failed" | "Canceled"): Promise<unknown> => {
    c = await connect(
      smallScenario({ behaviour: { ...smallScenario().behaviour, powerConflict: "preempt", preemptedStatus } }),
    );
    const off = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    c.clock.advance(5);
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/deallocate")}?${COMPUTE}`);
    const url = off.headers["azure-asyncoperation"];
    return (await c.follow(typeof url === "string" ? url : "")).body;
  };

  it("may end Canceled, with OperationPreempted", async () => {
    expect(await preempted("Canceled")).toMatchObject({ status: "Canceled", error: { code: "OperationPreempted" } });
  });

  it("may end Failed, with OperationPreempted", async () => {
    expect(await preempted("Failed")).toMatchObject({ status: "Failed", error: { code: "OperationPreempted" } });
  });
});
