import { describe, expect, it } from "vitest";
import { RemediationOptionsSchema } from "../../../src/contracts/options";
import { buildPlan } from "../../../src/domain/planWaves";
import { renderPlan } from "../../../src/cli/render";
import { discovery, options, vm, vnet } from "./fixtures";

function fleet() {
  return discovery({
    vms: [
      vm("web", { resourceGroup: "rg-web" }),
      vm("db", { resourceGroup: "rg-db" }),
      vm("tools", { resourceGroup: "RG-Tools" }),
    ],
    vnets: [vnet("vn", ["10.0.0.0/16"], [], { resourceGroup: "rg-network" })],
  });
}

describe("a run limited to resource groups (options.resourceGroups)", () => {
  it("cycles only the resources of the listed groups, names compared case-insensitively, and skips the rest as notSelected naming their group", () => {
    const plan = buildPlan(
      fleet(),
      options({ resourceGroups: ["rg-web", "rg-tools"], verification: "attestationOnly" }),
    );
    expect(plan.entries.filter((e) => e.kind === "vm").map((e) => [e.name, e.action, e.skipReason ?? null])).toEqual([
      ["db", "skip", "notSelected"],
      ["tools", "cycle", null],
      ["web", "cycle", null],
    ]);
    expect(plan.entries.find((e) => e.name === "db")?.skipMessage).toMatch(
      /in resource group rg-db, outside the groups this run was limited to/,
    );
    expect(plan.waves.flatMap((w) => w.batches.flatMap((b) => b.items)).some((id) => id.includes("/rg-db/"))).toBe(
      false,
    );
  });

  it("says in the printed plan which groups the run is limited to, and says nothing when it is not limited", () => {
    expect(renderPlan(buildPlan(fleet(), options({ resourceGroups: ["rg-web"] })), false)).toContain(
      "Limited to resource groups: rg-web",
    );
    expect(renderPlan(buildPlan(fleet(), options()), false)).not.toContain("Limited to resource groups");
  });

  it("refuses a name ARM would refuse (ending in a period, or with a slash)", () => {
    expect(RemediationOptionsSchema.safeParse({ resourceGroups: ["rg."] }).success).toBe(false);
    expect(RemediationOptionsSchema.safeParse({ resourceGroups: ["rg/x"] }).success).toBe(false);
    expect(RemediationOptionsSchema.safeParse({ resourceGroups: ["rg-(dev)_1.a"] }).success).toBe(true);
  });
});
