/**
 * Other actors in the simulator: owners and the platform act during a run, at a simulated time or at the product's
 * first write on a VM, lazily against the clock, and the Activity Log names them as Azure does.
 */
import { ComputeManagementClient } from "@azure/arm-compute";
import type { TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";
import { loadScenario } from "../../src/simulator/scenario";
import type { ScenarioInput } from "../../src/simulator/index";
import { arr, COMPUTE, connect, pick, smallScenario, str, vmPath, type Client } from "./helpers";

const INSIGHTS = "api-version=2015-04-01";
type Actors = NonNullable<ScenarioInput["actors"]>;

function withActors(actors: Actors, extra: Partial<ScenarioInput> = {}): ScenarioInput {
  const base = smallScenario(extra);
  return { ...base, behaviour: { ...base.behaviour, jitter: 0 }, actors };
}

describe("other actors", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  const power = (name: string): string | undefined => c.sim.snapshot().vms.find((v) => v.name === name)?.powerState;
  async function events(resource?: string): Promise<unknown[]> {
    const from = new Date(c.clock.now() - 86_400_000).toISOString();
    const to = new Date(c.clock.now()).toISOString();
    const filter = `eventTimestamp ge '${from}' and eventTimestamp le '${to}'${resource === undefined ? "" : ` and resourceUri eq '${resource}'`}`;
    const r = await c.call(
      "GET",
      `/subscriptions/${c.sub}/providers/Microsoft.Insights/eventtypes/management/values?${INSIGHTS}&$filter=${encodeURIComponent(filter)}`,
    );
    expect(r.status).toBe(200);
    return arr(r.body, "value");
  }

  it("an owner's deallocate at a time takes effect at that time, however late it is observed, and names the owner", async () => {
    c = await connect(
      withActors([
        {
          kind: "deallocate",
          vm: "vm1",
          resourceGroup: "rg-a",
          when: { afterSeconds: 600 },
          caller: "alice@contoso.com",
        },
      ]),
    );
    c.clock.advance(599);
    expect(power("vm1")).toBe("running");
    // Observed long after: the deallocation began at 600 s and ended 60 s later.
    c.clock.advance(3600);
    expect(power("vm1")).toBe("deallocated");
    const t0 = Date.parse("2026-03-03T08:00:00Z");
    expect(c.sim.timeline(vmPath(c.sub, "rg-a", "vm1")).map((t) => [t.to, (t.at - t0) / 1000])).toEqual([
      ["deallocating", 600],
      ["deallocated", 660],
    ]);
    const owner = (await events()).filter((e) => str(e, "caller") === "alice@contoso.com");
    expect(owner.map((e) => [str(e, "operationName.value"), str(e, "status.value")])).toEqual([
      ["Microsoft.Compute/virtualMachines/deallocate/action", "Succeeded"],
      ["Microsoft.Compute/virtualMachines/deallocate/action", "Started"],
    ]);
    expect(pick(owner[0], "claims")).toMatchObject({
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "alice@contoso.com",
      aud: "https://management.core.windows.net/",
    });
  });

  it("an owner's deallocate at the product's first touch lands between its read and its powerOff, which Azure refuses", async () => {
    c = await connect(
      withActors([{ kind: "deallocate", vm: "vm1", resourceGroup: "rg-a", when: { firstTouch: "vm1" } }]),
    );
    const credential: TokenCredential = {
      getToken: () => Promise.resolve({ token: c.sim.token, expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const compute = new ComputeManagementClient(credential, c.sub, {
      endpoint: c.sim.endpoint,
      tlsOptions: { ca: c.sim.caPem },
      retryOptions: { maxRetries: 0 },
    });
    expect((await compute.virtualMachines.instanceView("rg-a", "vm1")).statuses?.map((s) => s.code)).toContain(
      "PowerState/running",
    );
    await expect(
      compute.virtualMachines.beginPowerOffAndWait("rg-a", "vm1", { updateIntervalInMs: 5 }),
    ).rejects.toMatchObject({ statusCode: 409, code: "OperationNotAllowed" });
    expect(power("vm1")).toBe("deallocating");
    // Only the first write fires it: a later write on the VM meets no second deallocate.
    c.clock.advance(120);
    expect((await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/start")}?${COMPUTE}`)).status).toBe(202);
    expect(c.sim.timeline(vmPath(c.sub, "rg-a", "vm1")).map((t) => t.to)).toEqual([
      "deallocating",
      "deallocated",
      "starting",
    ]);
  });

  it("an owner's action meeting an operation in flight waits until it ends", async () => {
    c = await connect(withActors([{ kind: "start", vm: "vm1", resourceGroup: "rg-a", when: { afterSeconds: 10 } }]));
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/deallocate")}?${COMPUTE}`);
    c.clock.advance(300);
    const t0 = Date.parse("2026-03-03T08:00:00Z");
    expect(c.sim.timeline(vmPath(c.sub, "rg-a", "vm1")).map((t) => [t.to, (t.at - t0) / 1000])).toEqual([
      ["deallocating", 0],
      ["deallocated", 60],
      ["starting", 60],
      ["running", 120],
    ]);
  });

  it("an owner's delete marks the VM for deletion for its duration, then makes it 404; the Activity Log records it", async () => {
    c = await connect(
      withActors([
        {
          kind: "delete",
          vm: "vm2",
          resourceGroup: "rg-a",
          when: { at: "2026-03-03T08:05:00Z" },
          caller: "bob@contoso.com",
        },
      ]),
    );
    expect((await c.call("GET", `${vmPath(c.sub, "rg-a", "vm2")}?${COMPUTE}`)).status).toBe(200);
    c.clock.advance(300);
    // The delete runs (latencies.delete, 60 s): the VM is there, Deleting, and refuses every power action.
    const deleting = await c.call("GET", `${vmPath(c.sub, "rg-a", "vm2")}?${COMPUTE}`);
    expect([deleting.status, str(deleting.body, "properties.provisioningState")]).toEqual([200, "Deleting"]);
    const refused = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm2", "/deallocate")}?${COMPUTE}`);
    expect([refused.status, str(refused.body, "error.code"), str(refused.body, "error.message")]).toEqual([
      409,
      "OperationNotAllowed",
      "Operation 'deallocate' is not allowed on VM 'vm2' since the VM is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete).",
    ]);
    c.clock.advance(60);
    const r = await c.call("GET", `${vmPath(c.sub, "rg-a", "vm2")}?${COMPUTE}`);
    expect([r.status, str(r.body, "error.code")]).toEqual([404, "ResourceNotFound"]);
    expect(c.sim.snapshot().vms.map((v) => v.name)).not.toContain("vm2");
    c.clock.advance(120);
    const deletes = (await events()).filter(
      (e) => str(e, "operationName.value") === "Microsoft.Compute/virtualMachines/delete",
    );
    expect(deletes.map((e) => str(e, "status.value"))).toEqual(["Succeeded", "Started"]);
    const logged = deletes[0];
    expect(logged).toMatchObject({
      caller: "bob@contoso.com",
      httpRequest: { method: "DELETE" },
      status: { value: "Succeeded" },
    });
  });

  it("evicts a spot VM as its eviction policy says, and the Activity Log records evictSpotVM", async () => {
    c = await connect(
      withActors(
        [
          { kind: "evict", vm: "spot-d", resourceGroup: "rg-a", when: { afterSeconds: 60 } },
          { kind: "evict", vm: "spot-x", resourceGroup: "rg-a", when: { afterSeconds: 60 } },
        ],
        {
          vms: [
            { name: "spot-d", resourceGroup: "rg-a", priority: "Spot" },
            { name: "spot-x", resourceGroup: "rg-a", priority: "Spot", evictionPolicy: "Delete" },
          ],
        },
      ),
    );
    c.clock.advance(100);
    expect(power("spot-d")).toBe("deallocated");
    c.clock.advance(120); // the Activity Log shows an event two minutes after it
    expect(power("spot-x")).toBeUndefined();
    const ops = (await events()).map((e) => `${str(e, "operationName.value")} ${str(e, "status.value")}`);
    expect(ops).toContain("Microsoft.Compute/virtualMachines/evictSpotVM/action Succeeded");
    expect(
      ops.filter((o) => o.includes("evictSpotVM")),
      ops.join("\n"),
    ).toHaveLength(3);
    const got = await c.call("GET", `${vmPath(c.sub, "rg-a", "spot-d")}?${COMPUTE}`);
    expect(pick(got.body, "properties.evictionPolicy")).toBe("Deallocate");
  });

  it("a VM created mid-run appears in the listing, running, with its creation in the Activity Log", async () => {
    c = await connect(
      withActors([
        {
          kind: "create",
          vm: { name: "late-01", resourceGroup: "rg-a" },
          when: { afterSeconds: 900 },
          caller: "carol@contoso.com",
        },
      ]),
    );
    const list = async (): Promise<string[]> =>
      arr(
        (await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}`)).body,
        "value",
      ).map((v) => str(v, "name"));
    expect(await list()).not.toContain("late-01");
    c.clock.advance(900);
    expect(await list()).toContain("late-01");
    expect(power("late-01")).toBe("running");
    c.clock.advance(120);
    const logged = (await events()).find(
      (e) => str(e, "operationName.value") === "Microsoft.Compute/virtualMachines/write",
    );
    expect(logged).toMatchObject({ caller: "carol@contoso.com", httpRequest: { method: "PUT" } });
  });

  it("plays the same events to the same timeline, run after run", async () => {
    const actors: Actors = [
      { kind: "stop", vm: "vm1", resourceGroup: "rg-a", when: { afterSeconds: 30 } },
      { kind: "deallocate", vm: "vm2", resourceGroup: "rg-a", when: { afterSeconds: 30 } },
      { kind: "start", vm: "vm3", resourceGroup: "rg-a", when: { afterSeconds: 45 } },
    ];
    const timelines: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const base = smallScenario();
      c = await connect({ ...base, actors }, 11);
      c.clock.advance(600);
      timelines.push(c.sim.timeline().map((t) => [t.resourceId, t.to, t.at]));
      await c.sim.close();
    }
    c = await connect(smallScenario());
    expect(timelines[0]).toEqual(timelines[1]);
    expect((timelines[0] as unknown[]).length).toBe(6);
  });

  it("refuses a scenario whose events name what is not there, each error naming the field", () => {
    const bad = (actors: unknown[], extra: Partial<ScenarioInput> = {}): string => {
      try {
        loadScenario({ ...smallScenario(extra), actors } as ScenarioInput);
        return "accepted";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad([{ kind: "deallocate", vm: "nope", resourceGroup: "rg-a", when: { afterSeconds: 1 } }])).toMatch(
      /actors\[0\]\.vm: no VM "nope"/,
    );
    expect(bad([{ kind: "evict", vm: "vm1", resourceGroup: "rg-a", when: { afterSeconds: 1 } }])).toMatch(
      /actors\[0\]\.vm: VM "vm1" is not a spot VM/,
    );
    expect(bad([{ kind: "stop", vm: "vm1", resourceGroup: "rg-a", when: { afterSeconds: 1 }, extra: 1 }])).toMatch(
      /actors\[0\]/,
    );
    expect(bad([{ kind: "stop", vm: "vm1", resourceGroup: "rg-a", when: { firstTouch: "ghost" } }])).toMatch(
      /actors\[0\]\.when\.firstTouch/,
    );
    expect(bad([{ kind: "create", vm: { name: "vm1", resourceGroup: "rg-a" }, when: { afterSeconds: 1 } }])).toMatch(
      /actors\[0\]\.vm\.name: VM "vm1" already exists/,
    );
    expect(
      bad([{ kind: "create", vm: { name: "n", resourceGroup: "rg-a", power: "sleeping" }, when: { afterSeconds: 1 } }]),
    ).toMatch(/actors\[0\]\.vm\.power/);
    expect(
      bad([{ kind: "stop", vm: "vm1", resourceGroup: "rg-a", when: { afterSeconds: 1 }, caller: "not a upn" }]),
    ).toMatch(/actors\[0\]\.caller/);
  });
});
