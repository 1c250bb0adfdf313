import { afterEach, describe, expect, it } from "vitest";
import type { ScenarioInput } from "../../src/simulator/index";
import { COMPUTE, connect, header, NETWORK, smallScenario, str, vmPath, type Client } from "./helpers";

let c: Client | undefined;
afterEach(async () => {
  await c?.sim.close();
  c = undefined;
});

async function sim(behaviour: ScenarioInput["behaviour"] = {}): Promise<Client> {
  const base = smallScenario();
  c = await connect({ ...base, behaviour: { ...base.behaviour, ...behaviour } });
  return c;
}

const getVm = (c: Client): ReturnType<Client["call"]> => c.call("GET", `${vmPath(c.sub, "rg-a", "vm1")}?${COMPUTE}`);
const status = async (c: Client, r: { headers: Record<string, unknown> }): Promise<unknown> =>
  (await c.follow(String(r.headers["azure-asyncoperation"]))).body;

describe("throttling", () => {
  it("answers 429 with Retry-After from the read bucket once it is empty, and refills in simulated time", async () => {
    const s = await sim({ throttling: { reads: { capacity: 3, refillPerSecond: 0.5 } } });
    const remaining: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) remaining.push(header(await getVm(s), "x-ms-ratelimit-remaining-subscription-reads"));
    expect(remaining).toEqual(["2", "1", "0"]);
    const throttled = await getVm(s);
    expect([throttled.status, str(throttled.body, "error.code"), header(throttled, "retry-after")]).toEqual([
      429,
      "SubscriptionRequestsThrottled",
      "2",
    ]);
    s.clock.advance(2);
    expect((await getVm(s)).status).toBe(200);
    expect(s.sim.counters().throttled).toBe(1);
  });

  it("keeps separate buckets for reads, writes and deletes", async () => {
    const s = await sim({ throttling: { writes: { capacity: 1, refillPerSecond: 0.1 } } });
    expect((await s.call("POST", `${vmPath(s.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`)).status).toBe(202);
    const w = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm2", "/deallocate")}?${COMPUTE}`);
    expect([w.status, header(w, "retry-after")]).toEqual([429, "10"]);
    expect((await getVm(s)).status).toBe(200);
    expect(
      (
        await s.call(
          "DELETE",
          `/subscriptions/${s.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/ghost?${NETWORK}`,
        )
      ).status,
    ).toBe(204);
  });

  it("does not throttle when throttling is off", async () => {
    const s = await sim({ throttling: { enabled: false, reads: { capacity: 1, refillPerSecond: 0.01 } } });
    for (let i = 0; i < 5; i++) expect((await getVm(s)).status).toBe(200);
  });
});

describe("faults", () => {
  it("http5xx: fails the matching operation the given number of times, then serves it", async () => {
    const s = await sim({ faults: [{ kind: "http5xx", status: 503, count: 2, match: { operation: "getVm" } }] });
    expect((await getVm(s)).status).toBe(503);
    expect((await s.call("GET", `/subscriptions/${s.sub}?api-version=2022-12-01`)).status).toBe(200);
    expect((await getVm(s)).status).toBe(503);
    expect((await getVm(s)).status).toBe(200);
    expect(s.sim.counters().faultsInjected).toEqual({ http5xx: 2 });
  });

  it("http5xx with a probability fires deterministically for a seed", async () => {
    const run = async (): Promise<number[]> => {
      const s = await sim({ faults: [{ kind: "http5xx", probability: 0.5, match: { kind: "read" } }] });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await getVm(s)).status);
      await s.sim.close();
      c = undefined;
      return out;
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(a).toContain(503);
    expect(a).toContain(200);
  });

  it("throttleStorm: 429s with or without Retry-After", async () => {
    const s = await sim({
      faults: [
        { kind: "throttleStorm", count: 1, retryAfterSeconds: 5, match: { operation: "getVm" } },
        { kind: "throttleStorm", count: 1, retryAfterSeconds: null, match: { operation: "getVm" } },
      ],
    });
    const a = await getVm(s);
    const b = await getVm(s);
    expect([a.status, header(a, "retry-after")]).toEqual([429, "5"]);
    expect([b.status, header(b, "retry-after")]).toEqual([429, undefined]);
    expect((await getVm(s)).status).toBe(200);
  });

  it("conflict: a subnet write answered 409 AnotherOperationInProgress (injected at run time)", async () => {
    const s = await sim();
    s.sim.injectFault({ kind: "conflict", count: 1 });
    const path = `/subscriptions/${s.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/t?${NETWORK}`;
    const r = await s.call("PUT", path, { properties: { addressPrefix: "10.0.200.0/29" } });
    expect([r.status, str(r.body, "error.code")]).toEqual([409, "AnotherOperationInProgress"]);
    expect((await s.call("PUT", path, { properties: { addressPrefix: "10.0.200.0/29" } })).status).toBe(201);
  });

  it("lroFailed: the operation ends Failed with the code and the VM returns to its previous state", async () => {
    const s = await sim({
      faults: [{ kind: "lroFailed", count: 1, code: "InternalExecutionError", match: { operation: "vmPowerOff" } }],
    });
    const r = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    s.clock.advance(30);
    expect(await status(s, r)).toMatchObject({ status: "Failed", error: { code: "InternalExecutionError" } });
    expect(s.sim.snapshot().vms.find((v) => v.name === "vm1")).toMatchObject({
      powerState: "running",
      provisioningState: "Failed",
    });
    expect(s.sim.timeline(vmPath(s.sub, "rg-a", "vm1")).map((t) => t.to)).toEqual(["stopping", "running"]);
  });

  it("stuckTransition: the VM stays in its transitional state and the operation never finishes", async () => {
    const s = await sim({ faults: [{ kind: "stuckTransition", count: 1, match: { resource: "vm1" } }] });
    const r = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm1", "/deallocate")}?${COMPUTE}`);
    s.clock.advance(86_400);
    expect(await status(s, r)).toMatchObject({ status: "InProgress" });
    expect(s.sim.snapshot().vms.find((v) => v.name === "vm1")?.powerState).toBe("deallocating");
    expect(s.sim.snapshot().operationsInProgress).toBe(1);
  });

  it("allocationFailure: start of a deallocated VM ends Failed with AllocationFailed and the VM stays deallocated", async () => {
    const s = await sim({ faults: [{ kind: "allocationFailure", count: 1 }] });
    const r = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm3", "/start")}?${COMPUTE}`);
    s.clock.advance(60);
    expect(await status(s, r)).toMatchObject({ status: "Failed", error: { code: "AllocationFailed" } });
    expect(s.sim.snapshot().vms.find((v) => v.name === "vm3")).toMatchObject({ powerState: "deallocated" });
    expect(s.sim.snapshot().vms.find((v) => v.name === "vm3")?.lastStartTime).toBeUndefined();
    const retry = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm3", "/start")}?${COMPUTE}`);
    s.clock.advance(60);
    expect(await status(s, retry)).toMatchObject({ status: "Succeeded" });
  });

  it("latencySpike: adds simulated seconds to the operation", async () => {
    const s = await sim({
      faults: [{ kind: "latencySpike", count: 1, extraSeconds: 600, match: { operation: "vmStart" } }],
    });
    const r = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm3", "/start")}?${COMPUTE}`);
    s.clock.advance(60);
    expect(await status(s, r)).toMatchObject({ status: "InProgress" });
    s.clock.advance(600);
    expect(await status(s, r)).toMatchObject({ status: "Succeeded" });
    expect(s.sim.counters().faultsInjected).toEqual({ latencySpike: 1 });
  });

  it("rejects a malformed fault with the field named", async () => {
    const s = await sim();
    expect(() => s.sim.injectFault({ kind: "http5xx", probability: 2 })).toThrow(/probability/);
  });
});
