import { describe, expect, it } from "vitest";
import type { LockInfo } from "../../../src/contracts/discovery";
import { PlanEntrySchema, type PlanEntry } from "../../../src/contracts/plan";
import { planResources } from "../../../src/domain/planResources";
import { discovery, options, rgId, scaleSet, SUB, subnet, vm, vnet } from "./fixtures";

const ASE = ["Microsoft.Web/hostingEnvironments"];

function lock(name: string, level: string, scope: string): LockInfo {
  return { id: `${scope}/providers/Microsoft.Authorization/locks/${name}`, name, level, scope };
}

function entry(entries: PlanEntry[], name: string): PlanEntry {
  const e = entries.find((x) => x.name === name);
  if (e === undefined) throw new Error(`no entry ${name}`);
  expect(PlanEntrySchema.parse(e)).toEqual(e);
  return e;
}

const aseVnet = (name = "vnet1", nsg?: string) =>
  vnet(name, ["10.0.0.0/16"], [subnet("ase", "10.0.0.0/24", { delegations: ASE, networkSecurityGroupId: nsg })]);

describe("planResources: management locks", () => {
  it("skips a VM under a ReadOnly lock on its resource group, naming the lock, its level and scope and the command", () => {
    const l = lock("freeze", "ReadOnly", rgId("rg-app"));
    const e = entry(planResources(discovery({ vms: [vm("a")], locks: [l] }), options()), "a");
    expect(e).toMatchObject({ action: "skip", skipReason: "resourceLocked", stateBefore: "running", steps: [] });
    expect(e.skipMessage).toContain(`management lock 'freeze' (ReadOnly) on ${rgId("rg-app")}`);
    expect(e.skipMessage).toContain(`az lock delete --ids ${l.id}`);
    expect(e.skipMessage).toContain("run again for this resource");
  });

  it("inherits down: a ReadOnly lock on the subscription skips every VM, scale set and VNet refresh", () => {
    const d = discovery({
      vms: [vm("a")],
      scaleSets: [
        scaleSet("ss", { instances: [{ instanceId: "0", powerState: "running", provisioningState: "Succeeded" }] }),
      ],
      vnets: [aseVnet()],
      locks: [lock("sub-ro", "ReadOnly", `/subscriptions/${SUB}`)],
    });
    const entries = planResources(d, options());
    expect(entries.map((e) => [e.name, e.skipReason])).toEqual([
      ["a", "resourceLocked"],
      ["ss", "resourceLocked"],
      ["vnet1", "resourceLocked"],
    ]);
  });

  it("a ReadOnly lock on one VM (ids compared case-insensitively, as Compute upper-cases groups) skips that VM only", () => {
    const a = vm("a", { id: `${rgId("RG-APP")}/providers/Microsoft.Compute/virtualMachines/a` });
    const d = discovery({
      vms: [a, vm("b")],
      locks: [lock("vm-ro", "ReadOnly", `${rgId("rg-app")}/providers/Microsoft.Compute/virtualMachines/a`)],
    });
    const entries = planResources(d, options());
    expect(entry(entries, "a").skipReason).toBe("resourceLocked");
    expect(entry(entries, "b").action).toBe("cycle");
  });

  it("a CanNotDelete lock leaves VMs and scale sets to be cycled (power actions are not deletes)", () => {
    const d = discovery({ vms: [vm("a")], locks: [lock("keep", "CanNotDelete", rgId("rg-app"))] });
    expect(entry(planResources(d, options()), "a").action).toBe("cycle");
  });

  it("a CanNotDelete lock on the VNet's group skips the refresh: the temporary subnet could not be deleted", () => {
    const e = entry(
      planResources(
        discovery({ vnets: [aseVnet()], locks: [lock("keep", "CanNotDelete", rgId("rg-net"))] }),
        options(),
      ),
      "vnet1",
    );
    expect(e).toMatchObject({ action: "skip", skipReason: "resourceLocked", delegatedSubnets: ["ase"] });
    expect(e.skipMessage).toContain("would refuse deleting the temporary subnet");
  });

  it("a ReadOnly lock on the VNet itself skips its refresh; a lock on another VNet does not", () => {
    const v1 = aseVnet("vnet1");
    const v2 = aseVnet("vnet2");
    const entries = planResources(discovery({ vnets: [v1, v2], locks: [lock("ro", "ReadOnly", v1.id)] }), options());
    expect(entry(entries, "vnet1").skipMessage).toContain("refuses adding the temporary subnet");
    expect(entry(entries, "vnet2").action).toBe("refreshSubnet");
  });

  it("keeps an earlier skip's reason (a deallocated VM under a lock is still alreadyDeallocated)", () => {
    const d = discovery({
      vms: [vm("a", { powerState: "deallocated" })],
      locks: [lock("ro", "ReadOnly", rgId("rg-app"))],
    });
    expect(entry(planResources(d, options()), "a").skipReason).toBe("alreadyDeallocated");
  });

  it("never picks a locked VM as the canary", () => {
    const d = discovery({
      vms: [vm("a", { networkWatcherAgent: true }), vm("b", { networkWatcherAgent: true, resourceGroup: "rg-other" })],
      locks: [lock("ro", "ReadOnly", rgId("rg-app"))],
    });
    const entries = planResources(d, options({ verification: "canaryProbe", canaryCount: 1 }));
    expect(entries.filter((e) => e.canary).map((e) => e.name)).toEqual(["b"]);
  });

  it("plans as before when no lock was read", () => {
    expect(entry(planResources(discovery({ vms: [vm("a")] }), options()), "a").action).toBe("cycle");
  });
});

describe("planResources: the temporary subnet's network security group", () => {
  it("carries the NSG of the delegated subnet it refreshes", () => {
    const nsg = `${rgId("rg-net")}/providers/Microsoft.Network/networkSecurityGroups/nsg-ase`;
    const e = entry(planResources(discovery({ vnets: [aseVnet("vnet1", nsg)] }), options()), "vnet1");
    expect(e).toMatchObject({ action: "refreshSubnet", tempSubnetNetworkSecurityGroupId: nsg });
  });

  it("carries none when no delegated subnet has one (an undelegated subnet's NSG is not borrowed)", () => {
    const v = vnet(
      "vnet1",
      ["10.0.0.0/16"],
      [
        subnet("ase", "10.0.0.0/24", { delegations: ASE }),
        subnet("app", "10.0.1.0/24", {
          networkSecurityGroupId: `${rgId("rg-net")}/providers/Microsoft.Network/networkSecurityGroups/nsg-app`,
        }),
      ],
    );
    const e = entry(planResources(discovery({ vnets: [v] }), options()), "vnet1");
    expect(e.action).toBe("refreshSubnet");
    expect(e.tempSubnetNetworkSecurityGroupId).toBeUndefined();
  });
});
