import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arr, COMPUTE, connect, header, pick, smallScenario, str, vmPath, type Client } from "./helpers";

const OTHER_SUB = "99999999-9999-4999-8999-999999999999";

describe("simulator front door", () => {
  let c: Client;
  beforeAll(async () => {
    const vms = Array.from({ length: 7 }, (_, i) => ({ name: `p${i}`, resourceGroup: "rg-a" }));
    c = await connect(
      smallScenario({
        vms: [...(smallScenario().vms ?? []), ...vms],
        resourceGroups: [
          ...(smallScenario().resourceGroups ?? []),
          {
            name: "MC_aks",
            location: "westeurope",
            managedBy: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks",
          },
        ],
        behaviour: { pageSize: 5 },
      }),
    );
  });
  afterAll(() => c.sim.close());

  it("refuses a request without the bearer token and one with another token", async () => {
    const missing = await c.call("GET", `/subscriptions/${c.sub}?api-version=2022-12-01`, undefined, { token: null });
    const wrong = await c.call("GET", `/subscriptions/${c.sub}?api-version=2022-12-01`, undefined, { token: "not-it" });
    expect([missing.status, str(missing.body, "error.code")]).toEqual([401, "AuthenticationFailed"]);
    expect([wrong.status, str(wrong.body, "error.code")]).toEqual([401, "InvalidAuthenticationToken"]);
  });

  it("answers ARM's api-version errors", async () => {
    const missing = await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines`);
    const unsupported = await c.call(
      "GET",
      `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?api-version=2015-06-15`,
    );
    const wrongFamily = await c.call("GET", `/subscriptions/${c.sub}?api-version=2026-03-01`);
    expect([missing.status, str(missing.body, "error.code")]).toEqual([400, "MissingApiVersionParameter"]);
    expect([unsupported.status, str(unsupported.body, "error.code")]).toEqual([400, "InvalidApiVersionParameter"]);
    expect(wrongFamily.status).toBe(400);
  });

  it("answers unknown paths with ARM's 404 codes", async () => {
    const type = await c.call(
      "GET",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Compute/gadgets/g1?${COMPUTE}`,
    );
    const rg = await c.call("GET", `${vmPath(c.sub, "rg-missing", "vm1")}?${COMPUTE}`);
    const vm = await c.call("GET", `${vmPath(c.sub, "rg-a", "nope")}?${COMPUTE}`);
    expect([type.status, str(type.body, "error.code")]).toEqual([404, "InvalidResourceType"]);
    expect([rg.status, str(rg.body, "error.code")]).toEqual([404, "ResourceGroupNotFound"]);
    expect([vm.status, str(vm.body, "error.code")]).toEqual([404, "ResourceNotFound"]);
  });

  it("refuses and logs requests for another subscription", async () => {
    const get = await c.call("GET", `/subscriptions/${OTHER_SUB}?api-version=2022-12-01`);
    const list = await c.call(
      "GET",
      `/subscriptions/${OTHER_SUB}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}`,
    );
    expect([get.status, str(get.body, "error.code")]).toEqual([404, "SubscriptionNotFound"]);
    expect([list.status, str(list.body, "error.code")]).toEqual([403, "AuthorizationFailed"]);
    const foreign = c.sim.requestLog().filter((e) => e.subscriptionId !== undefined && e.subscriptionId !== c.sub);
    expect(foreign.map((e) => e.status)).toEqual([404, 403]);
  });

  it("serves the subscription with its quotaId and the billing property", async () => {
    const s = await c.call("GET", `/subscriptions/${c.sub}?api-version=2022-12-01`);
    const b = await c.call(
      "GET",
      `/subscriptions/${c.sub}/providers/Microsoft.Billing/billingProperty/default?api-version=2024-04-01`,
    );
    expect(str(s.body, "subscriptionPolicies.quotaId")).toBe("MSDNDevTest_2014-09-01");
    expect(pick(b.body, "properties")).toMatchObject({
      billingAccountAgreementType: "EnterpriseAgreement",
      subscriptionWorkloadType: "DevTest",
    });
  });

  it("answers 403 AuthorizationFailed for a forbidden billing property", async () => {
    const base = smallScenario();
    const f = await connect({ ...base, subscription: { ...base.subscription, billing: "forbidden" } });
    try {
      const b = await f.call(
        "GET",
        `/subscriptions/${f.sub}/providers/Microsoft.Billing/billingProperty/default?api-version=2024-04-01`,
      );
      expect([b.status, str(b.body, "error.code")]).toEqual([403, "AuthorizationFailed"]);
    } finally {
      await f.sim.close();
    }
  });

  it("lists resource groups with managedBy", async () => {
    const r = await c.call("GET", `/subscriptions/${c.sub}/resourcegroups?api-version=2025-04-01`);
    const aks = arr(r.body, "value").find((g) => pick(g, "name") === "MC_aks");
    expect(str(aks, "managedBy")).toMatch(/managedClusters\/aks$/);
  });

  it("pages VM lists with absolute nextLinks that keep api-version and the other parameters", async () => {
    const names: string[] = [];
    let url: string | undefined =
      `${c.sim.endpoint}/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE}&statusOnly=true`;
    let pages = 0;
    while (url !== undefined) {
      const r = await c.follow(url);
      expect(r.status).toBe(200);
      for (const vm of arr(r.body, "value")) {
        names.push(str(vm, "name"));
        expect(pick(vm, "properties.instanceView.statuses")).toBeDefined();
      }
      const next = pick(r.body, "nextLink");
      if (typeof next === "string") {
        expect(next.startsWith(c.sim.endpoint)).toBe(true);
        expect(new URL(next).searchParams.get("api-version")).toBe("2026-03-01");
        expect(new URL(next).searchParams.get("statusOnly")).toBe("true");
      }
      url = typeof next === "string" ? next : undefined;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(names).toHaveLength(12);
    expect(new Set(names).size).toBe(12);
  });

  it("lists VMs of one resource group only", async () => {
    const r = await c.call(
      "GET",
      `/subscriptions/${c.sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachines?${COMPUTE}`,
    );
    expect(arr(r.body, "value").map((v) => pick(v, "name"))).toEqual(["vm-eph", "vm-noagent"]);
  });

  it("sends rate-limit headers and logs method, path, api-version, status and kind", async () => {
    const r = await c.call("GET", `${vmPath(c.sub, "rg-a", "vm1")}?${COMPUTE}`);
    expect(Number(header(r, "x-ms-ratelimit-remaining-subscription-reads"))).toBeGreaterThan(0);
    // Only the bucket the request drew on, as ARM answers (a read says nothing of writes or deletes).
    expect(header(r, "x-ms-ratelimit-remaining-subscription-writes")).toBeUndefined();
    expect(header(r, "x-ms-ratelimit-remaining-subscription-deletes")).toBeUndefined();
    const last = c.sim.requestLog().at(-1);
    expect(last).toMatchObject({
      method: "GET",
      path: vmPath(c.sub, "rg-a", "vm1"),
      apiVersion: "2026-03-01",
      status: 200,
      kind: "read",
      operation: "getVm",
      subscriptionId: c.sub,
    });
    expect(last?.at).toBe(c.clock.now());
  });
});
