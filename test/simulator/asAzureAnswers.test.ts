/**
 * Answers where Azure is less convenient than a tidy state machine: what a VM starting from deallocated shows on
 * its way up, a status listing that sometimes has no power state for a VM, and a preempted operation's status.
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPUTE, connect, powerOf, smallScenario, vmPath, type Client } from "./helpers";

describe("a VM starting from deallocated", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  const views = async (vm: string): Promise<{ own?: string; listed?: string }> => {
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
