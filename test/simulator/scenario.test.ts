import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { TAGS } from "../../src/contracts/options";
import { isValidationError } from "../../src/errors";
import { parseCidr, overlaps, contains } from "../../src/simulator/cidr";
import { generateFleet, loadScenario, parseEstate, type Scenario } from "../../src/simulator/index";
import { smallScenario } from "./helpers";

const DEMO = resolve(__dirname, "../../scenarios/demo.json");

function issuesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (isValidationError(e)) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error("expected a validation error");
}

/** True when some /29 inside the VNet's space is free of every subnet prefix. */
function hasFree29(vnet: Scenario["vnets"][number]): boolean {
  const taken = vnet.subnets
    .flatMap((s) => [
      ...(s.addressPrefix ? [s.addressPrefix] : []),
      ...(s.addressPrefixes ?? []),
      ...s.ipamAllocations.flatMap((a) => a.allocatedAddressPrefixes),
    ])
    .map((p) => parseCidr(p))
    .filter((c) => typeof c !== "string");
  for (const space of vnet.addressPrefixes.map((p) => parseCidr(p))) {
    if (typeof space === "string") continue;
    for (let base = space.base; base < space.base + space.size; base += 8) {
      const block = { base, prefixLength: 29, size: 8 };
      if (contains(space, block) && !taken.some((t) => overlaps(t, block))) return true;
    }
  }
  return false;
}

describe("demo scenario", () => {
  const demo = loadScenario(DEMO);

  it("is an exempted EA Dev/Test subscription", () => {
    expect(demo.subscription.quotaId).toBe("MSDNDevTest_2014-09-01");
    expect(demo.subscription.billing).toMatchObject({ agreementType: "EnterpriseAgreement", workloadType: "DevTest" });
    expect(demo.exemption.exempted).toBe(true);
  });

  it("has about 60 VMs spread over several resource groups, availability sets and zones", () => {
    expect(demo.vms.length).toBeGreaterThanOrEqual(55);
    expect(demo.vms.length).toBeLessThanOrEqual(65);
    expect(new Set(demo.vms.map((v) => v.resourceGroup)).size).toBeGreaterThanOrEqual(5);
    expect(
      new Set(demo.vms.flatMap((v) => (v.availabilitySet ? [v.availabilitySet] : []))).size,
    ).toBeGreaterThanOrEqual(3);
    expect(new Set(demo.vms.flatMap((v) => (v.zone ? [v.zone] : [])))).toEqual(new Set(["1", "2", "3"]));
  });

  it("covers the special VMs: ephemeral, stopped, deallocated, spot, skip, waves and an agent-equipped canary", () => {
    expect(demo.vms.some((v) => v.ephemeralOsDisk)).toBe(true);
    expect(demo.vms.some((v) => v.power === "stopped")).toBe(true);
    expect(demo.vms.some((v) => v.power === "deallocated")).toBe(true);
    expect(demo.vms.some((v) => v.priority === "Spot")).toBe(true);
    expect(demo.vms.some((v) => v.tags[TAGS.skip] === "skip")).toBe(true);
    expect(
      new Set(demo.vms.flatMap((v) => (v.tags[TAGS.wave] ? [v.tags[TAGS.wave]] : []))).size,
    ).toBeGreaterThanOrEqual(2);
    const canaries = demo.vms.filter((v) => v.tags[TAGS.canary] === "true");
    expect(canaries).toHaveLength(1);
    expect(canaries[0]).toMatchObject({ networkWatcherAgent: true, power: "running" });
  });

  it("has both kinds of scale set and an AKS-managed group with its uniform scale set", () => {
    const uniform = demo.scaleSets.filter((s) => s.orchestrationMode === "Uniform");
    const flexible = demo.scaleSets.filter((s) => s.orchestrationMode === "Flexible");
    expect(uniform.some((s) => s.instances.length === 4)).toBe(true);
    expect(flexible).toHaveLength(1);
    expect(demo.vms.filter((v) => v.flexScaleSet === flexible[0]?.name).length).toBeGreaterThanOrEqual(2);
    const aksRg = demo.resourceGroups.find((g) => g.managedBy?.includes("Microsoft.ContainerService/managedClusters"));
    expect(aksRg).toBeDefined();
    expect(uniform.some((s) => s.resourceGroup === aksRg?.name)).toBe(true);
  });

  it("has an ASE-delegated VNet with no free /29, another delegated VNet with room, a plain VNet, and watchers in every used region", () => {
    const delegated = demo.vnets.filter((v) => v.subnets.some((s) => s.delegations.length > 0));
    const ase = demo.vnets.find((v) =>
      v.subnets.some((s) => s.delegations.includes("Microsoft.Web/hostingEnvironments")),
    );
    expect(delegated).toHaveLength(2);
    expect(ase && hasFree29(ase)).toBe(false);
    expect(delegated.some((v) => v !== ase && hasFree29(v))).toBe(true);
    expect(demo.vnets.some((v) => v.subnets.every((s) => s.delegations.length === 0))).toBe(true);
    const rgLoc = new Map(demo.resourceGroups.map((g) => [g.name, g.location]));
    const used = new Set(demo.vms.map((v) => v.location ?? rgLoc.get(v.resourceGroup)));
    expect(new Set(demo.networkWatchers.map((w) => w.location))).toEqual(used);
  });
});

describe("scenario validation", () => {
  it("names the offending field of a bad value", () => {
    const s = smallScenario();
    const bad = { ...s, vms: [{ name: "vm1", resourceGroup: "rg-a", power: "hibernating" }] };
    expect(issuesOf(() => loadScenario(bad as never)).join("\n")).toMatch(/^vms\[0\]\.power: /m);
  });

  it("rejects unknown fields (strict) with their path", () => {
    const s = smallScenario();
    const bad = { ...s, subscription: { ...s.subscription, offer: "x" } };
    expect(issuesOf(() => loadScenario(bad as never)).join("\n")).toMatch(/subscription.*offer/);
  });

  it("rejects references to undeclared resource groups and flexible scale sets", () => {
    const s = smallScenario({
      vms: [
        { name: "x", resourceGroup: "rg-missing" },
        { name: "y", resourceGroup: "rg-a", flexScaleSet: "nope" },
      ],
    });
    const issues = issuesOf(() => loadScenario(s));
    expect(issues).toContainEqual(
      expect.stringMatching(/^vms\[0\]\.resourceGroup: resource group "rg-missing" is not declared/),
    );
    expect(issues).toContainEqual(expect.stringMatching(/^vms\[1\]\.flexScaleSet: /));
  });

  it("rejects overlapping subnets and subnets outside the VNet", () => {
    const s = smallScenario({
      vnets: [
        {
          name: "v",
          resourceGroup: "rg-a",
          addressPrefixes: ["10.0.0.0/24"],
          subnets: [
            { name: "a", addressPrefix: "10.0.0.0/25" },
            { name: "b", addressPrefix: "10.0.0.64/26" },
            { name: "c", addressPrefix: "10.9.0.0/29" },
          ],
        },
      ],
    });
    const issues = issuesOf(() => loadScenario(s)).join("\n");
    expect(issues).toMatch(/vnets\[0\]\.subnets\[1\]: prefix 10\.0\.0\.64\/26 overlaps subnet "a"/);
    expect(issues).toMatch(/vnets\[0\]\.subnets\[2\]: prefix 10\.9\.0\.0\/29 lies outside/);
  });

  it("requires an effective time when the exemption is granted", () => {
    expect(issuesOf(() => loadScenario(smallScenario({ exemption: { exempted: true } })))).toContainEqual(
      expect.stringMatching(/^exemption\.effectiveAt: /),
    );
  });

  it("reports unreadable JSON files", () => {
    const dir = mkdtempSync(join(tmpdir(), "scn-"));
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ not json");
    expect(() => loadScenario(file)).toThrow(/scenario file .*broken\.json/);
  });

  it("fills realistic behaviour defaults", () => {
    const s = loadScenario({ ...smallScenario(), behaviour: {} });
    expect(s.behaviour.latencies).toEqual({
      powerOff: 30,
      deallocate: 60,
      start: 60,
      subnetCreate: 10,
      subnetDelete: 10,
      connectivityCheck: 20,
      effectiveRouteTable: 10,
      delete: 60,
    });
    expect(s.behaviour.throttling.reads).toEqual({ capacity: 250, refillPerSecond: 25 });
    expect(s.behaviour.throttling.writes).toEqual({ capacity: 200, refillPerSecond: 10 });
  });
});

describe("generateFleet", () => {
  it("builds exactly n VMs, deterministically for a seed", () => {
    const a = generateFleet(500, 3);
    const b = generateFleet(500, 3);
    expect(a.vms).toHaveLength(500);
    expect(b).toEqual(a);
    expect(generateFleet(500, 4).vms).not.toEqual(a.vms);
  });

  it("scales to 5,000 VMs with the same kinds of resources as the demo", () => {
    const f = generateFleet(5000, 1);
    expect(f.vms).toHaveLength(5000);
    expect(f.vms.filter((v) => v.tags[TAGS.canary] === "true")).toHaveLength(1);
    expect(f.vms.some((v) => v.power === "deallocated")).toBe(true);
    expect(f.scaleSets.some((s) => s.orchestrationMode === "Flexible")).toBe(true);
    expect(f.resourceGroups.some((g) => g.managedBy !== undefined)).toBe(true);
    expect(
      f.vnets.some(
        (v) => v.subnets.some((s) => s.delegations.includes("Microsoft.Web/hostingEnvironments")) && !hasFree29(v),
      ),
    ).toBe(true);
  });
});

describe("docs/scenario.md", () => {
  it("its minimal scenario and fault examples are valid", () => {
    const doc = readFileSync(resolve(__dirname, "../../docs/scenario.md"), "utf8");
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    expect(blocks).toHaveLength(5);
    const minimal = loadScenario(JSON.parse(blocks[0] ?? "") as never);
    expect(minimal.vms).toHaveLength(2);
    // The permissions example: a group that grants reads and Compute, not subnet writes.
    const permissions = JSON.parse(`{${blocks[1] ?? ""}}`) as { permissions: unknown };
    const withGrants = loadScenario({
      ...smallScenario({
        resourceGroups: [...(smallScenario().resourceGroups ?? []), { name: "rg-spoke", location: "westeurope" }],
      }),
      permissions: permissions.permissions,
    } as never);
    expect(withGrants.permissions).toEqual([
      {
        resourceGroup: "rg-spoke",
        actions: ["Microsoft.Network/virtualNetworks/read", "Microsoft.Compute/*"],
        notActions: [],
      },
    ]);
    const faults = JSON.parse(`{${blocks[2] ?? ""}}`) as { behaviour: unknown };
    expect(loadScenario({ ...smallScenario(), behaviour: faults.behaviour } as never).behaviour.faults).toHaveLength(3);
    const raw: unknown = JSON.parse(blocks[3] ?? "");
    const estate = parseEstate(raw, "the documented estate");
    expect(estate.subscriptions.map((x) => x.managementGroup)).toEqual(["mg-contoso-devtest", "mg-contoso"]);
    expect(estate.clock).toEqual({ startTime: "2026-03-03T08:00:00Z", timeScale: 60 });
    // The other actors' example plays against the shipped estate-moves fleet.
    const actors = JSON.parse(`{${blocks[4] ?? ""}}`) as { actors: unknown };
    const moves = JSON.parse(readFileSync(resolve(__dirname, "../../scenarios/estate-moves.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(loadScenario({ ...moves, actors: actors.actors } as never).actors.map((a) => a.kind)).toEqual([
      "deallocate",
      "stop",
      "evict",
      "create",
    ]);
  });

  it("quotes the error format a bad value produces", () => {
    const issues = issuesOf(() =>
      loadScenario({ ...smallScenario(), vms: [{ name: "vm", resourceGroup: "rg-a", power: "off" }] } as never),
    );
    expect(issues[0]).toMatch(/^vms\[0\]\.power: Invalid option: expected one of "running"\|"stopped"\|"deallocated"$/);
  });
});
