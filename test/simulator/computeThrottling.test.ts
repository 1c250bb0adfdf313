import { afterEach, describe, expect, it } from "vitest";
import { COMPUTE, connect, header, pick, smallScenario, str, vmPath, type Client, type Reply } from "./helpers";
import { COMPUTE_POLICIES, MinuteBucket } from "../../src/simulator/computeThrottle";
import type { ScenarioInput } from "../../src/simulator";

/** `Microsoft.Compute/<bucket>;<count>` entries of x-ms-ratelimit-remaining-resource, as a record. */
function remaining(r: Reply): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of (header(r, "x-ms-ratelimit-remaining-resource") ?? "").split(",")) {
    const m = /^Microsoft\.Compute\/([A-Za-z]+);(\d+)$/.exec(entry.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = Number(m[2]);
  }
  return out;
}

function withBehaviour(behaviour: NonNullable<ScenarioInput["behaviour"]>): ScenarioInput {
  const base = smallScenario();
  return { ...base, behaviour: { ...base.behaviour, ...behaviour } };
}

describe("Compute's own throttling (per policy, per resource and per subscription)", () => {
  let c: Client | undefined;
  afterEach(async () => {
    await c?.sim.close();
    c = undefined;
  });

  it("publishes the page's limits", () => {
    expect(COMPUTE_POLICIES.LowCostGet).toEqual({
      resource: { refillPerMinute: 12, capacity: 36 },
      subscription: { refillPerMinute: 8000, capacity: 24000 },
    });
    expect(COMPUTE_POLICIES.UpdateVM).toEqual({
      resource: { refillPerMinute: 4, capacity: 12 },
      subscription: { refillPerMinute: 500, capacity: 1500 },
    });
    expect(COMPUTE_POLICIES.DeleteVM).toEqual(COMPUTE_POLICIES.UpdateVM);
    expect(COMPUTE_POLICIES.HighCostGet).toEqual({ subscription: { refillPerMinute: 300, capacity: 900 } });
    expect(COMPUTE_POLICIES.GetOperation).toEqual({
      resource: { refillPerMinute: 15, capacity: 45 },
      subscription: { refillPerMinute: 5000, capacity: 15000 },
    });
  });

  it("refills a bucket once a minute, not continuously", () => {
    const t0 = Date.parse("2026-03-03T08:00:00Z");
    const b = new MinuteBucket({ capacity: 3, refillPerMinute: 2 }, t0);
    for (let i = 0; i < 3; i++) {
      expect(b.available(t0)).toBeGreaterThanOrEqual(1);
      b.take();
    }
    expect(b.available(t0 + 59_000)).toBe(0);
    expect(b.secondsToRefill(t0 + 59_000)).toBe(1);
    expect(b.available(t0 + 60_000)).toBe(2);
    expect(b.available(t0 + 600_000)).toBe(3);
  });

  it("names every policy that applied, with its count, on each Compute answer", async () => {
    c = await connect(smallScenario());
    const get = await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1", "/instanceView")}?${COMPUTE}`);
    expect(get.status).toBe(200);
    expect(remaining(get)).toEqual({ LowCostGetResource: 35, LowCostGetSubscriptionMaximum: 23999 });
    expect(header(get, "x-ms-ratelimit-remaining-subscription-reads")).toBeDefined();

    const list = await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}`);
    expect(remaining(list)).toEqual({ HighCostGetSubscriptionMaximum: 899 });

    const off = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`);
    expect(off.status).toBeLessThan(300);
    expect(remaining(off)).toEqual({ UpdateVMResource: 11, UpdateVMSubscriptionMaximum: 1499 });
    const poll = await c.follow(header(off, "azure-asyncoperation") ?? "");
    expect(remaining(poll)).toEqual({ GetOperationResource: 44, GetOperationSubscriptionMaximum: 14999 });

    const dealloc = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm2", "/deallocate")}?${COMPUTE}`);
    expect(remaining(dealloc)).toEqual({ DeleteVMResource: 11, DeleteVMSubscriptionMaximum: 1499 });

    const extensions = await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1", "/extensions")}?${COMPUTE}`);
    expect(remaining(extensions)).toEqual({ LowCostGetResource: 34, LowCostGetSubscriptionMaximum: 23998 });

    // Network answers carry no Compute policy.
    const vnet = await c.call(
      "GET",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1?api-version=2025-05-01`,
    );
    expect(header(vnet, "x-ms-ratelimit-remaining-resource")).toBeUndefined();
  });

  it("throttles one VM past its own Low Cost Get budget like Compute does, leaving other VMs alone", async () => {
    c = await connect(smallScenario());
    const path = `${vmPath(c.sub, "rg-a", "vm1", "/instanceView")}?${COMPUTE}`;
    for (let i = 0; i < 36; i++) expect((await c.call("GET", path)).status).toBe(200);
    c.clock.advance(20);
    const refused = await c.call("GET", path);
    expect(refused.status).toBe(429);
    expect(str(refused.body, "error.code")).toBe("OperationNotAllowed");
    expect(header(refused, "retry-after")).toBe("40");
    expect(remaining(refused)).toEqual({ LowCostGetResource: 0, LowCostGetSubscriptionMaximum: 23964 });
    const detail = pick(refused.body, "error.details.0") as { code: string; target: string; message: string };
    expect(detail.code).toBe("TooManyRequests");
    expect(detail.target).toBe("LowCostGetResource");
    const data = JSON.parse(detail.message) as Record<string, unknown>;
    expect(data).toMatchObject({
      operationGroup: "LowCostGetResource",
      allowedRequestCount: 36,
      measuredRequestCount: 37,
    });
    expect(typeof data["startTime"]).toBe("string");
    expect(Date.parse(String(data["endTime"]))).toBe(c.clock.now() + 40_000);
    expect(c.sim.counters().throttled).toBe(1);
    expect(c.sim.requestLog().at(-1)).toMatchObject({
      status: 429,
      errorCode: "OperationNotAllowed",
      throttledBy: "compute",
    });

    // Another VM has its own bucket; the throttled VM gets 12 tokens at the next minute.
    expect((await c.call("GET", `${vmPath(c.sub, "rg-a", "vm2", "/instanceView")}?${COMPUTE}`)).status).toBe(200);
    c.clock.advance(40);
    const after = await c.call("GET", path);
    expect(after.status).toBe(200);
    expect(remaining(after)["LowCostGetResource"]).toBe(11);
  });

  it("throttles the subscription's High Cost Get bucket and the per-VM power buckets", async () => {
    c = await connect(
      withBehaviour({
        computeThrottling: {
          overrides: {
            HighCostGet: { subscription: { capacity: 2, refillPerMinute: 1 } },
            UpdateVM: { resource: { capacity: 1, refillPerMinute: 1 } },
          },
        },
      }),
    );
    const list = `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}`;
    expect((await c.call("GET", list)).status).toBe(200);
    expect((await c.call("GET", list)).status).toBe(200);
    const third = await c.call("GET", list);
    expect([third.status, pick(third.body, "error.details.0.target")]).toEqual([429, "HighCostGetSubscriptionMaximum"]);

    expect((await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/powerOff")}?${COMPUTE}`)).status).toBeLessThan(300);
    const again = await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/start")}?${COMPUTE}`);
    expect([again.status, pick(again.body, "error.details.0.target")]).toEqual([429, "UpdateVMResource"]);
    // A throttled request takes no token: the subscription's bucket still shows only the one power off.
    expect(remaining(again)["UpdateVMSubscriptionMaximum"]).toBe(1499);
  });

  it("can be scaled or turned off by the scenario", async () => {
    c = await connect(withBehaviour({ computeThrottling: { scale: 0.5 } }));
    const get = await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1", "/instanceView")}?${COMPUTE}`);
    expect(remaining(get)).toEqual({ LowCostGetResource: 17, LowCostGetSubscriptionMaximum: 11999 });
    await c.sim.close();
    c = await connect(withBehaviour({ computeThrottling: { enabled: false } }));
    const off = await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1", "/instanceView")}?${COMPUTE}`);
    expect(header(off, "x-ms-ratelimit-remaining-resource")).toBeUndefined();
  });
});
