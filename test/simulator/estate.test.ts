/** An estate: several subscriptions and a management-group hierarchy behind one endpoint and one token. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors";
import {
  DESCENDANTS_PAGE_SIZE,
  generateEstate,
  loadEstate,
  type EstateInput,
  type ScenarioInput,
} from "../../src/simulator/index";
import { arr, connect, header, pick, smallScenario, str, type Client } from "./helpers";

const ESTATE_FILE = resolve(__dirname, "../../scenarios/estate.json");
const MG_Q = "api-version=2021-04-01";

function sub(
  id: string,
  name: string,
  managementGroup: string,
  overrides: Partial<ScenarioInput> = {},
): EstateInput["subscriptions"][number] {
  const { behaviour: _behaviour, ...s } = smallScenario(overrides);
  return { ...s, managementGroup, subscription: { ...s.subscription, id, name } };
}

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";
const C = "cccccccc-0000-4000-8000-000000000003";

function estate(overrides: Partial<EstateInput> = {}): EstateInput {
  return {
    tenantId: "99999999-0000-4000-8000-000000000009",
    managementGroups: [
      { id: "root", displayName: "Root" },
      { id: "child", parent: "root" },
      { id: "grandchild", displayName: "Grand", parent: "child" },
    ],
    subscriptions: [sub(A, "Sub A", "root"), sub(B, "Sub B", "child"), sub(C, "Sub C", "grandchild")],
    ...overrides,
  };
}

function issuesOf(input: EstateInput): string[] {
  try {
    loadEstate(input);
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe("estate scenario validation", () => {
  it("accepts the demo estate file and a single-subscription scenario alike", () => {
    const e = loadEstate(ESTATE_FILE);
    expect(e.subscriptions).toHaveLength(4);
    expect(e.managementGroups.map((g) => g.id)).toEqual(["mg-contoso", "mg-contoso-devtest", "mg-contoso-sandbox"]);
    const single = loadEstate(smallScenario());
    expect(single.managementGroups).toEqual([]);
    expect(single.subscriptions.map((s) => s.scenario.subscription.id)).toEqual([
      "11111111-2222-4333-8444-555555555555",
    ]);
  });

  it("names the field of every hierarchy error", () => {
    expect(
      issuesOf(estate({ managementGroups: [{ id: "root" }, { id: "root" }, { id: "x", parent: "nope" }] })),
    ).toEqual([
      'managementGroups[1].id: duplicate management group "root"',
      'managementGroups[2].parent: management group "nope" is not declared in managementGroups',
      "managementGroups: needs exactly one root (a group without parent), found 2: root, root",
      'subscriptions[1].managementGroup: management group "child" is not declared in managementGroups',
      'subscriptions[2].managementGroup: management group "grandchild" is not declared in managementGroups',
    ]);
    expect(
      issuesOf(
        estate({
          managementGroups: [
            { id: "root" },
            { id: "other" },
            { id: "child", parent: "root" },
            { id: "grandchild", parent: "child" },
          ],
        }),
      ),
    ).toEqual(["managementGroups: needs exactly one root (a group without parent), found 2: root, other"]);
    const cycle = issuesOf(
      estate({
        managementGroups: [
          { id: "root" },
          { id: "child", parent: "grandchild" },
          { id: "grandchild", parent: "child" },
        ],
      }),
    );
    expect(cycle).toEqual([
      'managementGroups[1].parent: management group "child" is its own ancestor (a cycle)',
      'managementGroups[2].parent: management group "grandchild" is its own ancestor (a cycle)',
    ]);
    expect(
      issuesOf(
        estate({
          managementGroups: [
            { id: "root", parent: "root" },
            { id: "child", parent: "root" },
            { id: "grandchild", parent: "child" },
          ],
        }),
      ),
    ).toEqual([
      'managementGroups[0].parent: management group "root" cannot be its own parent',
      "managementGroups: needs exactly one root (a group without parent), found none",
    ]);
  });

  it("refuses a subscription twice, a foreign tenant, a per-subscription clock and a bad group id", () => {
    const dup = estate({ subscriptions: [sub(A, "Sub A", "root"), sub(A.toUpperCase(), "Again", "child")] });
    expect(issuesOf(dup)).toEqual([`subscriptions[1].subscription.id: duplicate subscription "${A.toUpperCase()}"`]);
    const foreign = sub(B, "Sub B", "child");
    foreign.subscription = { ...foreign.subscription, tenantId: "12345678-0000-4000-8000-000000000000" };
    expect(issuesOf(estate({ subscriptions: [sub(A, "A", "root"), foreign] }))).toEqual([
      "subscriptions[1].subscription.tenantId: must be the estate's tenant 99999999-0000-4000-8000-000000000009 (or left out): an estate is one tenant",
    ]);
    // Without an estate tenant, the first subscription that names one sets it: two tenants behind one endpoint are refused.
    const first = sub(A, "A", "root");
    first.subscription = { ...first.subscription, tenantId: "aaaaaaaa-0000-4000-8000-000000000000" };
    const { tenantId: _none, ...tenantless } = estate({ subscriptions: [first, foreign] });
    expect(issuesOf(tenantless)).toEqual([
      "subscriptions[1].subscription.tenantId: must be the estate's tenant aaaaaaaa-0000-4000-8000-000000000000 (or left out): an estate is one tenant",
    ]);
    // Only the estate keeps a clock: a subscription's own timeScale is refused (read from a file, as a user writes it).
    const file = join(mkdtempSync(join(tmpdir(), "estate-")), "estate.json");
    writeFileSync(
      file,
      JSON.stringify({ ...estate(), subscriptions: [{ ...sub(A, "A", "root"), behaviour: { timeScale: 5 } }] }),
    );
    expect(() => loadEstate(file)).toThrow(/^Invalid estate file .*: subscriptions\[0\]\.behaviour: .*timeScale/);
    expect(
      issuesOf(estate({ managementGroups: [{ id: "bad id!" }], subscriptions: [sub(A, "A", "bad id!")] }))[0],
    ).toMatch(/^managementGroups\[0\]\.id: must be a management group id/);
    expect(
      issuesOf(estate({ subscriptions: [sub(A, "A", "root", { vms: [{ name: "vm1", resourceGroup: "missing" }] })] })),
    ).toEqual(['subscriptions[0].vms[0].resourceGroup: resource group "missing" is not declared in resourceGroups']);
  });
});

describe("one endpoint serving an estate", () => {
  let c: Client;
  beforeAll(async () => {
    const e = estate();
    // Sub B: a tiny read budget, to show budgets are per subscription.
    const b = e.subscriptions[1];
    if (b !== undefined) b.behaviour = { throttling: { reads: { capacity: 2, refillPerSecond: 0.001 } } };
    c = await connect(e);
  });
  afterAll(() => c.sim.close());

  it("describes what it serves", () => {
    expect(c.sim.subscriptionId).toBe(A);
    expect(c.sim.subscriptionIds).toEqual([A, B, C]);
    expect(c.sim.tenantId).toBe("99999999-0000-4000-8000-000000000009");
    expect(c.sim.managementGroups).toEqual([
      { id: "root", displayName: "Root", subscriptionIds: [A] },
      { id: "child", displayName: "child", parent: "root", subscriptionIds: [B] },
      { id: "grandchild", displayName: "Grand", parent: "child", subscriptionIds: [C] },
    ]);
  });

  it("routes each subscription's paths to its own world; an unknown subscription answers as ARM does", async () => {
    for (const [id, name] of [
      [A, "Sub A"],
      [C, "Sub C"],
    ] as const) {
      const r = await c.call("GET", `/subscriptions/${id}?api-version=2022-12-01`);
      expect([r.status, str(r.body, "displayName"), str(r.body, "tenantId")]).toEqual([
        200,
        name,
        "99999999-0000-4000-8000-000000000009",
      ]);
    }
    const vm = await c.call(
      "GET",
      `/subscriptions/${C}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2026-03-01`,
    );
    expect(str(vm.body, "id").toLowerCase()).toContain(`/subscriptions/${C}/`);
    const unknown = "dddddddd-0000-4000-8000-000000000004";
    expect((await c.call("GET", `/subscriptions/${unknown}?api-version=2022-12-01`)).status).toBe(404);
    const below = await c.call("GET", `/subscriptions/${unknown}/resourcegroups?api-version=2025-04-01`);
    expect([below.status, str(below.body, "error.code")]).toEqual([403, "AuthorizationFailed"]);
  });

  it("keeps ARM's budgets, snapshots and counters per subscription", async () => {
    const path = (id: string): string => `/subscriptions/${id}/resourcegroups?api-version=2025-04-01`;
    const before = c.sim.countersBySubscription();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await c.call("GET", path(B))).status);
    expect(statuses).toEqual([200, 200, 429]);
    const a = await c.call("GET", path(A));
    expect(a.status).toBe(200);
    expect(Number(header(a, "x-ms-ratelimit-remaining-subscription-reads"))).toBeGreaterThan(200);
    const after = c.sim.countersBySubscription();
    expect(after[B]?.requests).toBe((before[B]?.requests ?? 0) + 3);
    expect(after[B]?.throttled).toBe(1);
    expect(after[A]?.throttled).toBe(0);
    expect(c.sim.counters().throttled).toBe(1);
    c.sim.injectFault({ kind: "http5xx", status: 503, count: 1 }, C);
    expect((await c.call("GET", path(A))).status).toBe(200);
    expect((await c.call("GET", path(C))).status).toBe(503);
    expect(c.sim.countersBySubscription()[C]?.faultsInjected).toEqual({ http5xx: 1 });
    expect(c.sim.snapshot(C).subscriptionId).toBe(C);
    expect(c.sim.snapshot().subscriptionId).toBe(A);
    expect(() => c.sim.snapshot("dddddddd-0000-4000-8000-000000000004")).toThrow(/serves no subscription/);
  });

  it("lists a group's descendants at every depth, shaped as management.json defines them", async () => {
    const r = await c.call("GET", `/providers/Microsoft.Management/managementGroups/root/descendants?${MG_Q}`);
    expect(r.status).toBe(200);
    expect(pick(r.body, "nextLink")).toBeUndefined();
    expect(arr(r.body, "value")).toEqual([
      {
        id: "/providers/Microsoft.Management/managementGroups/child",
        type: "Microsoft.Management/managementGroups",
        name: "child",
        properties: { displayName: "child", parent: { id: "/providers/Microsoft.Management/managementGroups/root" } },
      },
      {
        id: `/subscriptions/${A}`,
        type: "Microsoft.Management/managementGroups/subscriptions",
        name: A,
        properties: { displayName: "Sub A", parent: { id: "/providers/Microsoft.Management/managementGroups/root" } },
      },
      {
        id: "/providers/Microsoft.Management/managementGroups/grandchild",
        type: "Microsoft.Management/managementGroups",
        name: "grandchild",
        properties: { displayName: "Grand", parent: { id: "/providers/Microsoft.Management/managementGroups/child" } },
      },
      {
        id: `/subscriptions/${B}`,
        type: "Microsoft.Management/managementGroups/subscriptions",
        name: B,
        properties: { displayName: "Sub B", parent: { id: "/providers/Microsoft.Management/managementGroups/child" } },
      },
      {
        id: `/subscriptions/${C}`,
        type: "Microsoft.Management/managementGroups/subscriptions",
        name: C,
        properties: {
          displayName: "Sub C",
          parent: { id: "/providers/Microsoft.Management/managementGroups/grandchild" },
        },
      },
    ]);
    expect(header(r, "x-ms-ratelimit-remaining-tenant-reads")).toBeDefined();
    expect(header(r, "x-ms-ratelimit-remaining-subscription-reads")).toBeUndefined();
    const leaf = await c.call("GET", `/providers/Microsoft.Management/managementGroups/GRANDCHILD/descendants?${MG_Q}`);
    expect(arr(leaf.body, "value").map((d) => str(d, "name"))).toEqual([C]);
    expect(c.sim.requestLog().at(-1)?.operation).toBe("listManagementGroupDescendants");
  });

  it("refuses an unknown group as a scope the caller holds no role on, and checks api-version and $top", async () => {
    const r = await c.call("GET", `/providers/Microsoft.Management/managementGroups/elsewhere/descendants?${MG_Q}`);
    expect([r.status, str(r.body, "error.code")]).toEqual([403, "AuthorizationFailed"]);
    expect(str(r.body, "error.message")).toContain(
      "'Microsoft.Management/managementGroups/descendants/read' over scope '/providers/Microsoft.Management/managementGroups/elsewhere'",
    );
    const noVersion = await c.call("GET", "/providers/Microsoft.Management/managementGroups/root/descendants");
    expect([noVersion.status, str(noVersion.body, "error.code")]).toEqual([400, "MissingApiVersionParameter"]);
    const badVersion = await c.call(
      "GET",
      "/providers/Microsoft.Management/managementGroups/root/descendants?api-version=2019-11-01",
    );
    expect([badVersion.status, str(badVersion.body, "error.code")]).toEqual([400, "InvalidApiVersionParameter"]);
    expect(
      (await c.call("GET", "/providers/Microsoft.Management/managementGroups/root/descendants?api-version=2023-04-01"))
        .status,
    ).toBe(200);
    const badTop = await c.call(
      "GET",
      `/providers/Microsoft.Management/managementGroups/root/descendants?${MG_Q}&$top=0`,
    );
    expect(badTop.status).toBe(400);
    const unauth = await c.call(
      "GET",
      `/providers/Microsoft.Management/managementGroups/root/descendants?${MG_Q}`,
      undefined,
      { token: "wrong" },
    );
    expect(unauth.status).toBe(401);
  });

  it("pages with $top and an absolute nextLink keeping the query", async () => {
    const names: string[] = [];
    let r = await c.call("GET", `/providers/Microsoft.Management/managementGroups/root/descendants?${MG_Q}&$top=2`);
    const sizes: number[] = [];
    for (;;) {
      sizes.push(arr(r.body, "value").length);
      names.push(...arr(r.body, "value").map((d) => str(d, "name")));
      const next = pick(r.body, "nextLink");
      if (typeof next !== "string") break;
      expect(
        next.startsWith(`${c.sim.endpoint}/providers/Microsoft.Management/managementGroups/root/descendants?`),
      ).toBe(true);
      expect(new URL(next).searchParams.get("api-version")).toBe("2021-04-01");
      r = await c.follow(next);
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(names).toEqual(["child", A, "grandchild", B, C]);
  });
});

describe("the tenant's own read budget", () => {
  it("throttles tenant-level reads with TenantRequestsThrottled and leaves subscriptions' budgets alone", async () => {
    const c = await connect(
      estate({ behaviour: { tenantThrottling: { reads: { capacity: 1, refillPerSecond: 0.001 } } } }),
    );
    try {
      const url = `/providers/Microsoft.Management/managementGroups/root/descendants?${MG_Q}`;
      expect((await c.call("GET", url)).status).toBe(200);
      const r = await c.call("GET", url);
      expect([r.status, str(r.body, "error.code")]).toEqual([429, "TenantRequestsThrottled"]);
      expect(Number(header(r, "retry-after"))).toBeGreaterThan(0);
      expect(c.sim.requestLog().at(-1)?.throttledBy).toBe("tenant");
      expect((await c.call("GET", `/subscriptions/${A}?api-version=2022-12-01`)).status).toBe(200);
      expect(c.sim.counters().throttled).toBe(1);
    } finally {
      await c.sim.close();
    }
  });
});

describe("generateEstate", () => {
  it("is deterministic, with distinct subscriptions, a hierarchy and the non-exemptible few", () => {
    const a = generateEstate({ subscriptions: 6, vmsPerSubscription: 5, seed: 3 });
    const b = generateEstate({ subscriptions: 6, vmsPerSubscription: 5, seed: 3 });
    expect(a).toEqual(b);
    const ids = a.subscriptions.map((s) => s.subscription.id);
    expect(new Set(ids).size).toBe(6);
    expect(new Set(a.subscriptions.map((s) => s.subscription.name)).size).toBe(6);
    expect(a.managementGroups.filter((g) => g.parent === undefined)).toHaveLength(1);
    expect(a.subscriptions.map((s) => s.vms.length)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(a.subscriptions[5]?.subscription.billing).toMatchObject({
      agreementType: "MicrosoftCustomerAgreement",
      workloadType: "Production",
    });
    expect(a.subscriptions[4]?.subscription.billing).toBe("forbidden");
    expect(
      a.subscriptions.slice(0, 4).every((s) => s.exemption.exempted && s.subscription.billing !== "forbidden"),
    ).toBe(true);
    expect(new Set(a.subscriptions.map((s) => s.managementGroup)).size).toBe(3);
    const plain = generateEstate({ subscriptions: 6, vmsPerSubscription: 5, seed: 3, nonExemptible: false });
    expect(plain.subscriptions.every((s) => s.exemption.exempted && s.subscription.billing !== "forbidden")).toBe(true);
    expect(
      generateEstate({ subscriptions: 6, vmsPerSubscription: 5, seed: 4 }).subscriptions[0]?.subscription.id,
    ).not.toBe(ids[0]);
    expect(() => generateEstate({ subscriptions: 0, vmsPerSubscription: 5 })).toThrow(RangeError);
  });

  it("serves 50 subscriptions of 200 VMs from one endpoint, every subscription found through the root group", async () => {
    const t0 = Date.now();
    const e = generateEstate({ subscriptions: 50, vmsPerSubscription: 200, seed: 1 });
    const c = await connect(e);
    try {
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(c.sim.subscriptionIds).toHaveLength(50);
      const found: string[] = [];
      let r = await c.call("GET", `/providers/Microsoft.Management/managementGroups/mg-contoso/descendants?${MG_Q}`);
      let pages = 1;
      for (;;) {
        expect(arr(r.body, "value").length).toBeLessThanOrEqual(DESCENDANTS_PAGE_SIZE);
        found.push(
          ...arr(r.body, "value")
            .filter((d) => str(d, "type") === "Microsoft.Management/managementGroups/subscriptions")
            .map((d) => str(d, "name")),
        );
        const next = pick(r.body, "nextLink");
        if (typeof next !== "string") break;
        r = await c.follow(next);
        pages++;
      }
      expect(pages).toBe(3);
      expect(found.sort()).toEqual([...c.sim.subscriptionIds].sort());
      const last = c.sim.subscriptionIds[49] ?? "";
      const vms = await c.call(
        "GET",
        `/subscriptions/${last}/providers/Microsoft.Compute/virtualMachines?api-version=2026-03-01`,
      );
      expect(arr(vms.body, "value")).toHaveLength(50);
      expect(c.sim.snapshot(last).vms).toHaveLength(200);
    } finally {
      await c.sim.close();
    }
  });
});
