/**
 * Update domains as Compute serves them: `instanceView.platformUpdateDomain` (VirtualMachineInstanceView) for VMs in an
 * availability set, dealt over the set's platformUpdateDomainCount (default 5) in creation order (Learn,
 * "Availability sets overview": the sixth VM of five domains joins the first).
 */
import { afterEach, describe, expect, it } from "vitest";
import { arr, COMPUTE, connect, pick, smallScenario, str, vmPath, type Client } from "./helpers";

describe("update domains", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  const members = (
    set: string,
    n: number,
    rg = "rg-a",
  ): { name: string; resourceGroup: string; availabilitySet: string }[] =>
    Array.from({ length: n }, (_, i) => ({ name: `${set}-${i}`, resourceGroup: rg, availabilitySet: set }));

  it("deals a set's members over its update domains in order and says so in each instance view", async () => {
    c = await connect(
      smallScenario({
        vms: [...members("web", 7), ...members("db", 4), { name: "solo", resourceGroup: "rg-a" }],
        availabilitySets: [{ name: "db", resourceGroup: "rg-a", platformUpdateDomainCount: 3 }],
      }),
    );
    const domain = async (name: string): Promise<unknown> =>
      pick(
        (await c.call("GET", `${vmPath(c.sub, "rg-a", name, "/instanceView")}?${COMPUTE}`)).body,
        "platformUpdateDomain",
      );
    expect(await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => domain(`web-${i}`)))).toEqual([0, 1, 2, 3, 4, 0, 1]);
    expect(await Promise.all([0, 1, 2, 3].map((i) => domain(`db-${i}`)))).toEqual([0, 1, 2, 0]);
    expect(await domain("solo")).toBeUndefined();
  });

  it("gives it in the subscription's status listing too, and never for a deallocated VM", async () => {
    c = await connect(
      smallScenario({
        vms: [
          ...members("web", 2),
          { name: "web-off", resourceGroup: "rg-a", availabilitySet: "web", power: "deallocated" },
        ],
      }),
    );
    const r = await c.call(
      "GET",
      `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}&statusOnly=true`,
    );
    const byName = new Map(
      arr(r.body, "value").map(
        (vm) => [str(vm, "name"), pick(vm, "properties.instanceView.platformUpdateDomain")] as const,
      ),
    );
    expect([byName.get("web-0"), byName.get("web-1"), byName.get("web-off")]).toEqual([0, 1, undefined]);
  });
});
