/**
 * `port25 plan --management-group` as users run it, against the simulator serving an estate (scenarios/estate.json:
 * a group hierarchy, three EA Dev/Test subscriptions and an MCA production one, where port 25 is not blocked), through
 * the real SDK clients.
 */
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { main } from "../../src/cli/main";
import { captureStdio } from "../support/stdio";
import { startSimulator, type SimulatorHandle } from "../../src/simulator";
import { ESTATE_GROUPS, generateEstate } from "../../src/simulator/fleet";
import { CategorySchema } from "../../src/contracts/classification";

const ESTATE = join(resolve(__dirname, "../.."), "scenarios/estate.json");
const WEB = "7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c51";
const DATA = "7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c52";
const PRODUCTION = "7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c53";
const SANDBOX = "7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c54";

const PlanCounts = z.object({ toCycle: z.number(), toRefresh: z.number(), skipped: z.number() });
const GroupJson = z.object({
  managementGroupId: z.string(),
  subscriptions: z.array(
    z.object({
      subscriptionId: z.string(),
      displayName: z.string(),
      parentManagementGroupId: z.string().optional(),
      classification: z.object({ category: CategorySchema, reason: z.string() }).optional(),
      plan: z.object({ counts: PlanCounts }).optional(),
      error: z.string().optional(),
    }),
  ),
  totals: z.object({
    subscriptions: z.number(),
    exemptible: z.number(),
    notExemptible: z.number(),
    notBlocked: z.number(),
    errors: z.number(),
    toCycle: z.number(),
  }),
});

let sim: SimulatorHandle;

beforeAll(async () => {
  sim = await startSimulator({ scenario: ESTATE });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function port25(
  args: string[],
  on: SimulatorHandle = sim,
): Promise<{ code: number; stdout: string; stderr: string }> {
  vi.stubEnv("PORT25_ARM_STATIC_TOKEN", on.token);
  const c = captureStdio();
  try {
    const code = await main([...args, "--arm-endpoint", on.endpoint, "--ca", on.caFile]);
    return { code, stdout: c.out(), stderr: c.err() };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("port25 plan --management-group against the estate", () => {
  it("classifies every subscription under the root group, plans the exemptible ones as plan --subscription does, and writes nothing", async () => {
    const r = await port25(["plan", "--management-group", "mg-contoso", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = GroupJson.parse(JSON.parse(r.stdout));
    expect(out.managementGroupId).toBe("mg-contoso");
    const byId = new Map(out.subscriptions.map((s) => [s.subscriptionId, s]));
    expect([...byId.keys()].sort()).toEqual([WEB, DATA, PRODUCTION, SANDBOX]);
    // The sandbox sits two levels down: the listing reaches every depth, and names the group directly above.
    expect(byId.get(SANDBOX)).toMatchObject({
      displayName: "Contoso Sandbox",
      parentManagementGroupId: "mg-contoso-sandbox",
      classification: { category: "exemptible" },
    });
    expect(byId.get(PRODUCTION)?.classification?.category).toBe("notBlocked");
    expect(byId.get(PRODUCTION)?.plan).toBeUndefined();
    for (const id of [WEB, DATA, SANDBOX]) {
      const one = await port25(["plan", "--subscription", id, "--json"]);
      expect(one.code).toBe(0);
      const single = z.object({ plan: z.object({ counts: PlanCounts }) }).parse(JSON.parse(one.stdout));
      expect(byId.get(id)?.plan?.counts).toEqual(single.plan.counts);
    }
    expect(out.totals).toMatchObject({ subscriptions: 4, exemptible: 3, notExemptible: 0, notBlocked: 1, errors: 0 });
    expect(out.totals.toCycle).toBe(
      [WEB, DATA, SANDBOX].reduce((n, id) => n + (byId.get(id)?.plan?.counts.toCycle ?? 0), 0),
    );
    expect(sim.requestLog().filter((e) => e.kind !== "read")).toEqual([]);
  });

  it("prints one row per subscription, why the production one (port 25 not blocked) would be left alone, and the totals", async () => {
    const r = await port25(["plan", "--management-group", "mg-contoso"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Management group mg-contoso: 4 subscriptions\n/);
    expect(r.stdout).toMatch(new RegExp(`${PRODUCTION}\\s+notBlocked\\n`));
    expect(r.stdout).toMatch(new RegExp(`${WEB}\\s+exemptible\\s+\\d+\\s+\\d+\\s+\\d+\\n`));
    expect(r.stdout).toMatch(
      new RegExp(`Left alone, and why:\\n {2}Contoso Production \\(${PRODUCTION}\\): nothing to do: \\S`),
    );
    expect(r.stdout).toContain("Left alone: 1 (not exemptible 0, unknown 0, not blocked 1)");
    expect(r.stdout).toContain("A campaign on this group would run 3 remediations and leave 1 subscription(s) alone.");
  });

  it("--all adds each exemptible subscription's own plan, resource by resource", async () => {
    const r = await port25(["plan", "--management-group", "mg-contoso-devtest", "--all"]);
    expect(r.code).toBe(0);
    for (const [name, id] of [
      ["Contoso Web Dev/Test", WEB],
      ["Contoso Sandbox", SANDBOX],
    ]) {
      expect(r.stdout).toMatch(new RegExp(`\\n${name} \\(${id}\\)\\nPlan: \\d+ VMs?, `));
    }
    expect(r.stdout).toMatch(/resource\s+kind\s+state\s+action/);
  });

  it("takes a nested group's subscriptions only", async () => {
    const r = await port25(["plan", "--management-group", "mg-contoso-devtest", "--json"]);
    expect(r.code).toBe(0);
    expect(
      GroupJson.parse(JSON.parse(r.stdout))
        .subscriptions.map((s) => s.subscriptionId)
        .sort(),
    ).toEqual([WEB, SANDBOX]);
  });

  it("exits 1 with Azure's refusal for a group it cannot read", async () => {
    const r = await port25(["plan", "--management-group", "mg-elsewhere"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^port25 plan: .*mg-elsewhere/);
  });
});

describe("port25 plan --management-group on a generated estate", () => {
  let estate: SimulatorHandle;
  beforeAll(async () => {
    // Five subscriptions: three EA Dev/Test, one whose billing property cannot be read, one MCA production (alone in
    // its own group).
    estate = await startSimulator({ scenario: generateEstate({ subscriptions: 5, vmsPerSubscription: 2, seed: 7 }) });
  });
  afterAll(async () => {
    await estate.close();
  });

  it("reports the subscription whose billing cannot be read as unknown, naming the permission", async () => {
    const r = await port25(["plan", "--management-group", ESTATE_GROUPS.root], estate);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Exemptible: 3 — ");
    expect(r.stdout).toContain("Left alone: 2 (not exemptible 0, unknown 1, not blocked 1)");
    expect(r.stdout.replace(/\s+/g, " ")).toMatch(
      /Contoso Dev\/Test 04 \([0-9a-f-]{36}\): .*Microsoft\.Billing\/billingProperty\/read/,
    );
  });

  it("exits 1 when no subscription of the group is exemptible: a campaign would remediate nothing", async () => {
    const r = await port25(["plan", "--management-group", ESTATE_GROUPS.production], estate);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("A campaign would remediate nothing here: no subscription is exemptible.");
    const json = await port25(["plan", "--management-group", ESTATE_GROUPS.production, "--json"], estate);
    expect(json.code).toBe(1);
    expect(GroupJson.parse(JSON.parse(json.stdout)).totals).toMatchObject({
      subscriptions: 1,
      exemptible: 0,
      notBlocked: 1,
    });
  });
});
