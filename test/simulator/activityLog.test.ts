/**
 * The Activity Log (Microsoft.Insights event data, api-version 2015-04-01): what ARM records of power operations, as
 * strict as the service. Events come from the simulator's own power timeline; history from the scenario's last
 * starts; 90 days kept; the documented $filter shapes only; paged with nextLink.
 */
import { afterEach, describe, expect, it } from "vitest";
import { arr, COMPUTE, connect, pick, smallScenario, str, vmPath, type Client } from "./helpers";

const INSIGHTS = "api-version=2015-04-01";

function logPath(sub: string, filter: string, extra = ""): string {
  return `/subscriptions/${sub}/providers/Microsoft.Insights/eventtypes/management/values?${INSIGHTS}&$filter=${encodeURIComponent(filter)}${extra}`;
}

const range = (from: string, to: string): string => `eventTimestamp ge '${from}' and eventTimestamp le '${to}'`;

describe("Activity Log", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  async function all(path: string): Promise<unknown[]> {
    const out: unknown[] = [];
    let r = await c.call("GET", path);
    for (;;) {
      expect(r.status).toBe(200);
      out.push(...arr(r.body, "value"));
      const next = pick(r.body, "nextLink");
      if (typeof next !== "string") return out;
      r = await c.follow(next);
    }
  }

  it("records a deallocate and a start (Started, then Succeeded) on the VM, with Compute's upper-cased group, once submitted", async () => {
    c = await connect(smallScenario());
    const from = new Date(c.clock.now() - 86_400_000).toISOString();
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/deallocate")}?${COMPUTE}`);
    c.clock.advance(120);
    await c.call("POST", `${vmPath(c.sub, "rg-a", "vm1", "/start")}?${COMPUTE}`);
    c.clock.advance(60);
    const early = await all(
      logPath(
        c.sub,
        range(from, new Date(c.clock.now()).toISOString()),
        "&$select=eventTimestamp,operationName,status,resourceId",
      ),
    );
    // The start's Succeeded event is not queryable yet: the log lags the operation.
    expect(early.map((e) => `${str(e, "operationName.value")} ${str(e, "status.value")}`)).not.toContain(
      "Microsoft.Compute/virtualMachines/start/action Succeeded",
    );
    c.clock.advance(600);
    const events = await all(
      logPath(
        c.sub,
        range(from, new Date(c.clock.now()).toISOString()),
        "&$select=eventTimestamp,operationName,status,resourceId",
      ),
    );
    const mine = events.filter((e) => str(e, "resourceId").endsWith("/vm1"));
    expect(mine.map((e) => `${str(e, "operationName.value")} ${str(e, "status.value")}`)).toEqual([
      "Microsoft.Compute/virtualMachines/start/action Succeeded",
      "Microsoft.Compute/virtualMachines/start/action Started",
      "Microsoft.Compute/virtualMachines/deallocate/action Succeeded",
      "Microsoft.Compute/virtualMachines/deallocate/action Started",
    ]);
    expect(str(mine[0], "resourceId")).toBe(
      `/subscriptions/${c.sub}/resourceGroups/RG-A/providers/Microsoft.Compute/virtualMachines/vm1`,
    );
    // $select gives exactly the properties asked for.
    expect(Object.keys(mine[0] as object).sort()).toEqual(["eventTimestamp", "operationName", "resourceId", "status"]);
  });

  it("serves the scenario's history within 90 days, and refuses a range reaching further back", async () => {
    c = await connect(smallScenario());
    const now = c.clock.now();
    const from = new Date(now - 89 * 86_400_000).toISOString();
    const events = await all(
      logPath(
        c.sub,
        `${range(from, new Date(now).toISOString())} and resourceUri eq '${vmPath(c.sub, "RG-A", "vm1")}'`,
      ),
    );
    expect(
      events.map((e) => [str(e, "operationName.value"), str(e, "status.value"), str(e, "eventTimestamp")]),
    ).toEqual([
      ["Microsoft.Compute/virtualMachines/start/action", "Succeeded", "2026-02-01T00:00:00.000Z"],
      ["Microsoft.Compute/virtualMachines/deallocate/action", "Succeeded", "2026-01-31T23:55:00.000Z"],
    ]);
    const tooOld = await c.call(
      "GET",
      logPath(c.sub, range(new Date(now - 91 * 86_400_000).toISOString(), new Date(now).toISOString())),
    );
    expect(tooOld.status).toBe(400);
  });

  it("accepts only the documented $filter shapes", async () => {
    c = await connect(smallScenario());
    const r = range(new Date(c.clock.now() - 86_400_000).toISOString(), new Date(c.clock.now()).toISOString());
    expect(
      (
        await c.call(
          "GET",
          `/subscriptions/${c.sub}/providers/Microsoft.Insights/eventtypes/management/values?${INSIGHTS}`,
        )
      ).status,
    ).toBe(400);
    expect((await c.call("GET", logPath(c.sub, `${r} and operationName eq 'x'`))).status).toBe(400);
    expect((await c.call("GET", logPath(c.sub, `${r} and resourceProvider eq 'Microsoft.Compute'`))).status).toBe(200);
    expect((await c.call("GET", logPath(c.sub, r, "&$select=nonsense"))).status).toBe(400);
    expect((await c.call("GET", logPath(c.sub, r).replace(INSIGHTS, COMPUTE))).status).toBe(400);
  });

  it("pages with nextLink", async () => {
    c = await connect(smallScenario({ behaviour: { pageSize: 2 } }));
    const now = c.clock.now();
    const first = await c.call(
      "GET",
      logPath(c.sub, range(new Date(now - 89 * 86_400_000).toISOString(), new Date(now).toISOString())),
    );
    expect(arr(first.body, "value")).toHaveLength(2);
    expect(typeof pick(first.body, "nextLink")).toBe("string");
    // vm1, vm2, vm-noagent and two scale-set instances each have a deallocate and a start in their history.
    expect(
      await all(logPath(c.sub, range(new Date(now - 89 * 86_400_000).toISOString(), new Date(now).toISOString()))),
    ).toHaveLength(10);
  });
});
