/** The answers ARM allows in several shapes: drawn per request (seeded) by default, each one pinnable for a test. */
import { afterEach, describe, expect, it } from "vitest";
import type { ScenarioInput } from "../../src/simulator/index";
import {
  COMPUTE,
  connect,
  header,
  NETWORK,
  pick,
  smallScenario,
  str,
  vmPath,
  type Client,
  type Reply,
} from "./helpers";

let c: Client | undefined;
afterEach(async () => {
  await c?.sim.close();
  c = undefined;
});

type Shapes = NonNullable<NonNullable<ScenarioInput["behaviour"]>["responseShapes"]>;

async function sim(responseShapes: Shapes, seed = 7): Promise<Client> {
  const base = smallScenario();
  c = await connect({ ...base, behaviour: { ...base.behaviour, responseShapes } }, seed);
  return c;
}

const subnets = (c: Client): string =>
  `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets`;
const watcher = (c: Client): string =>
  `/subscriptions/${c.sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/connectivityCheck?${NETWORK}`;
const check = (c: Client, port = 25): ReturnType<Client["call"]> =>
  c.call("POST", watcher(c), {
    source: { resourceId: vmPath(c.sub, "rg-a", "vm1") },
    destination: { address: "smtp.example.com", port },
    protocol: "Tcp",
  });

/** Which headers a first answer carried, as a short label. */
function shapeOf(r: Reply): string {
  if (r.status !== 202) return `sync${r.status}`;
  const async = header(r, "azure-asyncoperation") !== undefined;
  const loc = header(r, "location");
  if (async) return loc === undefined ? "async" : "async+location";
  return loc === undefined ? "none" : /\/subnets\//i.test(loc) ? "resource" : "location";
}

describe("by default the shape of each answer is drawn among those ARM allows", () => {
  it("varies compute power actions between Location only, Azure-AsyncOperation only and both", async () => {
    const s = await sim({});
    const seen = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const r = await s.call(
        "POST",
        `${vmPath(s.sub, "rg-a", "vm1", i % 2 === 0 ? "/deallocate" : "/start")}?${COMPUTE}`,
      );
      expect(r.status).toBe(202);
      seen.add(shapeOf(r));
      s.clock.advance(60);
    }
    expect([...seen].sort()).toEqual(["async", "async+location", "location"]);
  });

  it("varies subnet deletes among operationResults Location, the subnet's own URL, Azure-AsyncOperation and both", async () => {
    const s = await sim({});
    const seen = new Set<string>();
    for (let i = 0; i < 24; i++) {
      expect(
        (
          await s.call("PUT", `${subnets(s)}/t${i}?${NETWORK}`, {
            properties: { addressPrefix: `10.0.200.${i * 8}/29` },
          })
        ).status,
      ).toBe(201);
      s.clock.advance(10);
      const r = await s.call("DELETE", `${subnets(s)}/t${i}?${NETWORK}`);
      seen.add(shapeOf(r));
      s.clock.advance(10);
    }
    expect([...seen].sort()).toEqual(["async", "async+location", "location", "resource"]);
  });

  it("answers connectivity checks at once (200) or later (202 + Location), in the spec's words or the CLI's", async () => {
    const s = await sim({});
    const shapes = new Set<string>();
    const words = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const r = await check(s);
      shapes.add(shapeOf(r));
      let body = r.body;
      if (r.status === 202) {
        s.clock.advance(20);
        body = (await s.follow(header(r, "location") ?? "")).body;
      }
      words.add(str(body, "connectionStatus"));
    }
    expect([...shapes].sort()).toEqual(["async+location", "location", "sync200"]);
    expect([...words].sort()).toEqual(["Disconnected", "Unreachable"]);
  });

  it("draws the same shapes again for the same seed", async () => {
    const draw = async (seed: number): Promise<string[]> => {
      const s = await sim({}, seed);
      const out: string[] = [];
      for (let i = 0; i < 8; i++) {
        out.push(
          shapeOf(
            await s.call("POST", `${vmPath(s.sub, "rg-a", "vm1", i % 2 === 0 ? "/deallocate" : "/start")}?${COMPUTE}`),
          ),
        );
        s.clock.advance(60);
      }
      await s.sim.close();
      c = undefined;
      return out;
    };
    expect(await draw(3)).toEqual(await draw(3));
  });
});

describe("a pinned shape", () => {
  it("location: a power action answers 202 with a lower-case location only, 202 there while running, then 200", async () => {
    const s = await sim({ lro: "location" });
    const r = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    expect(r.status).toBe(202);
    expect(header(r, "azure-asyncoperation")).toBeUndefined();
    const loc = header(r, "location") ?? "";
    expect(loc).toMatch(/\/providers\/Microsoft\.Compute\/locations\/westeurope\/operations\/.+monitor=true/);
    expect((await s.follow(loc)).status).toBe(202);
    s.clock.advance(30);
    expect((await s.follow(loc)).status).toBe(200);
  });

  it("synchronous: a power action with nothing to do answers 200; one with work to do still answers 202", async () => {
    const s = await sim({ lro: "synchronous" });
    const done = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm3", "/deallocate")}?${COMPUTE}`);
    expect(done.status).toBe(200);
    const busy = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    expect(busy.status).toBe(202);
  });

  it("synchronous: a subnet PUT answers 201 with the subnet Updating and nothing to poll but the subnet", async () => {
    const s = await sim({ lro: "synchronous" });
    const r = await s.call("PUT", `${subnets(s)}/t1?${NETWORK}`, { properties: { addressPrefix: "10.0.200.0/29" } });
    expect(r.status).toBe(201);
    expect(header(r, "azure-asyncoperation")).toBeUndefined();
    expect(header(r, "location")).toBeUndefined();
    expect(str(r.body, "properties.provisioningState")).toBe("Updating");
    s.clock.advance(10);
    expect(str((await s.call("GET", `${subnets(s)}/t1?${NETWORK}`)).body, "properties.provisioningState")).toBe(
      "Succeeded",
    );
  });

  it("synchronous: a connectivity check answers 200 with its result", async () => {
    const s = await sim({ lro: "synchronous", connectionStatus: "spec" });
    const r = await check(s);
    expect(r.status).toBe(200);
    expect(pick(r.body, "connectionStatus")).toBe("Disconnected");
    expect(pick(r.body, "probesSent")).toBe(30);
    expect(pick(r.body, "probesFailed")).toBe(30);
    expect(pick((await check(s, 443)).body, "connectionStatus")).toBe("Connected");
  });

  it("resourceLocation: a subnet DELETE points at the subnet, which reads Deleting, then 404", async () => {
    const s = await sim({ lro: "resourceLocation" });
    const r = await s.call("DELETE", `${subnets(s)}/ase?${NETWORK}`);
    expect(r.status).toBe(202);
    expect(header(r, "azure-asyncoperation")).toBeUndefined();
    const loc = header(r, "location") ?? "";
    expect(new URL(loc).pathname).toBe(`${subnets(s)}/ase`);
    const during = await s.follow(loc);
    expect([during.status, str(during.body, "properties.provisioningState")]).toEqual([200, "Deleting"]);
    s.clock.advance(10);
    expect((await s.follow(loc)).status).toBe(404);
  });

  it("resourceLocation only applies to a delete: other operations fall back to both headers", async () => {
    const s = await sim({ lro: "resourceLocation" });
    const r = await s.call("POST", `${vmPath(s.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    expect(shapeOf(r)).toBe("async+location");
  });

  it("rejects a shape it does not know, naming the field", async () => {
    const base = smallScenario();
    await expect(
      connect({ ...base, behaviour: { ...base.behaviour, responseShapes: { lro: "sometimes" as "location" } } }),
    ).rejects.toThrow(/responseShapes\.lro/);
  });
});
