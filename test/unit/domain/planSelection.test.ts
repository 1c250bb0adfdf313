import { describe, expect, it } from "vitest";
import { RemediationOptionsSchema } from "../../../src/contracts/options";
import { buildPlan } from "../../../src/domain/planWaves";
import { planResources } from "../../../src/domain/planResources";
import { discovery, options, scaleSet, subnet, vm, vnet } from "./fixtures";

const ASE = ["Microsoft.Web/hostingEnvironments"];

function fleet() {
  return discovery({
    vms: [vm("a"), vm("b"), vm("canary", { tags: { "port25-canary": "true" }, networkWatcherAgent: true })],
    scaleSets: [
      scaleSet("ss", { instances: [{ instanceId: "0", powerState: "running", provisioningState: "Succeeded" }] }),
    ],
    vnets: [vnet("vn", ["10.0.0.0/16"], [subnet("ase", "10.0.0.0/24", { delegations: ASE })])],
  });
}

describe("planResources: a run limited to some resources (onlyResourceIds)", () => {
  it("skips nothing as notSelected when the run is not limited", () => {
    const entries = planResources(fleet(), options());
    expect(entries.filter((e) => e.skipReason === "notSelected")).toEqual([]);
    expect(entries.filter((e) => e.action !== "skip")).toHaveLength(5);
  });

  it("acts only on the listed resources and skips every other VM, scale set and VNet as notSelected", () => {
    const d = fleet();
    const b = d.vms[1];
    if (b === undefined) throw new Error("fixture");
    const entries = planResources(d, options({ onlyResourceIds: [b.id] }));
    expect(entries.map((e) => [e.name, e.action, e.skipReason ?? null])).toEqual([
      ["a", "skip", "notSelected"],
      ["b", "cycle", null],
      ["canary", "skip", "notSelected"],
      ["ss", "skip", "notSelected"],
      ["vn", "skip", "notSelected"],
    ]);
    const a = entries[0];
    expect(a?.skipMessage).toMatch(/VM a is not among the resources this run was limited to/);
    // The state is kept so the report still says what the resource was doing.
    expect(a?.stateBefore).toBe("running");
  });

  it("compares ids case-insensitively, as ARM does", () => {
    const d = fleet();
    const ss = d.scaleSets[0];
    if (ss === undefined) throw new Error("fixture");
    const entries = planResources(
      d,
      options({ onlyResourceIds: [ss.id.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/")] }),
    );
    expect(entries.find((e) => e.name === "ss")?.action).toBe("cycle");
  });

  it("does not make a tagged canary that was not selected the run's canary", () => {
    const d = fleet();
    const a = d.vms[0];
    if (a === undefined) throw new Error("fixture");
    const entries = planResources(d, options({ onlyResourceIds: [a.id] }));
    expect(entries.filter((e) => e.canary)).toEqual([]);
  });

  it("keeps a selected resource's own skip reason (a deallocated VM stays alreadyDeallocated)", () => {
    const d = discovery({ vms: [vm("off", { powerState: "deallocated" })] });
    const off = d.vms[0];
    if (off === undefined) throw new Error("fixture");
    expect(planResources(d, options({ onlyResourceIds: [off.id] }))[0]?.skipReason).toBe("alreadyDeallocated");
  });

  it("puts only the selected resources in waves and counts the rest as skipped", () => {
    const d = fleet();
    const ids = [d.vms[0]?.id ?? "", d.vms[1]?.id ?? ""];
    const plan = buildPlan(d, options({ onlyResourceIds: ids, verification: "attestationOnly" }));
    const waved = plan.waves.flatMap((w) => w.batches.flatMap((b) => b.items));
    expect(waved.sort()).toEqual([...ids].sort());
    expect(plan.counts).toMatchObject({ toCycle: 2, toRefresh: 0, skipped: 3 });
  });
});

describe("RemediationOptionsSchema.onlyResourceIds", () => {
  it.each([
    ["an empty list", []],
    ["an id that is not an ARM resource id", ["vm-01"]],
    [
      "more than 5000 ids",
      Array.from(
        { length: 5001 },
        (_, i) =>
          `/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm${i}`,
      ),
    ],
  ])("rejects %s, naming the field", (_what, value) => {
    const r = RemediationOptionsSchema.safeParse({ onlyResourceIds: value });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path[0]).toBe("onlyResourceIds");
  });

  it("accepts 5000 ARM ids", () => {
    const ids = Array.from(
      { length: 5000 },
      (_, i) =>
        `/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm${i}`,
    );
    expect(RemediationOptionsSchema.parse({ onlyResourceIds: ids }).onlyResourceIds).toHaveLength(5000);
  });
});
