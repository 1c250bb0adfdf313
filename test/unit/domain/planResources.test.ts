import { describe, expect, it } from "vitest";
import { TEMP_SUBNET_PREFIX } from "../../../src/contracts/options";
import { PlanEntrySchema, type PlanEntry } from "../../../src/contracts/plan";
import { planResources } from "../../../src/domain/planResources";
import { availabilitySet, discovery, flexSet, options, resourceGroup, scaleSet, subnet, vm, vnet } from "./fixtures";

function only(entries: PlanEntry[]): PlanEntry {
  expect(entries).toHaveLength(1);
  const [e] = entries;
  if (e === undefined) throw new Error("no entry");
  expect(PlanEntrySchema.parse(e)).toEqual(e);
  return e;
}

function skipped(e: PlanEntry, reason: PlanEntry["skipReason"]): void {
  expect(e.action).toBe("skip");
  expect(e.skipReason).toBe(reason);
  expect(e.skipMessage?.length ?? 0).toBeGreaterThan(10);
  expect(e.steps).toEqual([]);
}

const ASE = ["Microsoft.Web/hostingEnvironments"];

describe("planResources: VMs", () => {
  it("cycles a running VM: power off, deallocate, start, back to running", () => {
    const e = only(planResources(discovery({ vms: [vm("a")] }), options()));
    expect(e).toMatchObject({
      action: "cycle",
      steps: ["powerOff", "deallocate", "start"],
      targetState: "running",
      stateBefore: "running",
      kind: "vm",
    });
  });

  it("deallocates a stopped (allocated) VM and leaves it deallocated", () => {
    const e = only(planResources(discovery({ vms: [vm("a", { powerState: "stopped" })] }), options()));
    expect(e).toMatchObject({ action: "cycle", steps: ["deallocate"], targetState: "deallocated" });
  });

  it("restores a stopped VM to stopped when restoreStoppedVms is on", () => {
    const e = only(
      planResources(discovery({ vms: [vm("a", { powerState: "stopped" })] }), options({ restoreStoppedVms: true })),
    );
    expect(e).toMatchObject({ action: "cycle", steps: ["deallocate", "start", "powerOff"], targetState: "stopped" });
  });

  it("leaves a deallocated VM untouched", () => {
    const e = only(planResources(discovery({ vms: [vm("a", { powerState: "deallocated" })] }), options()));
    skipped(e, "alreadyDeallocated");
    expect(e.skipMessage).toMatch(/next start/);
  });

  it("skips a VM with an ephemeral OS disk and names the manual action", () => {
    const e = only(planResources(discovery({ vms: [vm("a", { ephemeralOsDisk: true })] }), options()));
    skipped(e, "ephemeralOsDisk");
    expect(e.skipMessage).toMatch(/redeploy or reimage/);
  });

  it.each([
    [
      "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks1",
      /AKS cluster "aks1"/,
    ],
    [
      "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-dbx/providers/Microsoft.Databricks/workspaces/dbx1",
      /Databricks workspace "dbx1"/,
    ],
    [
      "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-ma/providers/Microsoft.Solutions/applications/app1",
      /managed application "app1"/,
    ],
  ])("skips a VM in a managed resource group and names the owner %#", (managedBy, owner) => {
    const d = discovery({
      resourceGroups: [resourceGroup("MC_rg", managedBy)],
      vms: [vm("a", { resourceGroup: "mc_RG" })],
    });
    const e = only(planResources(d, options()));
    skipped(e, "managedResourceGroup");
    expect(e.skipMessage).toMatch(owner);
  });

  it("skips a VM tagged port25-remediation=skip (tag name and value in any case)", () => {
    const e = only(planResources(discovery({ vms: [vm("a", { tags: { "Port25-Remediation": "SKIP" } })] }), options()));
    skipped(e, "skipTag");
  });

  it("records the wave tag of a VM", () => {
    const e = only(planResources(discovery({ vms: [vm("a", { tags: { "port25-wave": " 3 " } })] }), options()));
    expect(e).toMatchObject({ action: "cycle", waveTag: 3 });
  });

  it.each(["two", "-1", "1.5", ""])("skips a VM whose wave tag %j is not an integer ≥ 0, naming the value", (value) => {
    const e = only(planResources(discovery({ vms: [vm("a", { tags: { "port25-wave": value } })] }), options()));
    skipped(e, "invalidWaveTag");
    expect(e.skipMessage).toContain(`"${value.trim()}"`);
  });

  it.each(["starting", "stopping", "deallocating"] as const)(
    "skips a VM in transitional power state %s",
    (powerState) => {
      const e = only(planResources(discovery({ vms: [vm("a", { powerState })] }), options()));
      skipped(e, "transitionalState");
    },
  );

  it("skips a VM whose provisioning failed", () => {
    skipped(
      only(planResources(discovery({ vms: [vm("a", { provisioningState: "Failed" })] }), options())),
      "provisioningFailed",
    );
  });

  it.each(["Creating", "Deleting"])("skips a VM being %s", (provisioningState) => {
    skipped(only(planResources(discovery({ vms: [vm("a", { provisioningState })] }), options())), "transitionalState");
  });

  it("skips a VM with no known power state", () => {
    skipped(
      only(planResources(discovery({ vms: [vm("a", { powerState: "unknown" })] }), options())),
      "unknownPowerState",
    );
  });

  it("cycles a flexible scale-set member as a VM carrying its scale set", () => {
    const e = only(planResources(discovery({ vms: [vm("a", { flexScaleSetId: flexSet("flex1") })] }), options()));
    expect(e).toMatchObject({ kind: "vm", action: "cycle", flexScaleSetId: flexSet("flex1") });
  });

  it("flags spot VMs and keeps availability set and zone", () => {
    const e = only(
      planResources(
        discovery({ vms: [vm("a", { priority: "Spot", availabilitySetId: availabilitySet("as1"), zone: "2" })] }),
        options(),
      ),
    );
    expect(e).toMatchObject({ spot: true, availabilitySetId: availabilitySet("as1"), zone: "2" });
    const regular = only(planResources(discovery({ vms: [vm("b")] }), options()));
    expect(regular.spot).toBeUndefined();
  });

  it("lists one entry per resource, ordered and without duplicates", () => {
    const d = discovery({ vms: [vm("b"), vm("a"), vm("A")] });
    const entries = planResources(d, options());
    expect(entries.map((e) => e.name)).toEqual(["a", "b"]);
  });
});

describe("planResources: uniform scale sets", () => {
  const stopped1 = { instanceId: "1", powerState: "stopped" as const, provisioningState: "Succeeded" };
  const deallocated2 = { instanceId: "2", powerState: "deallocated" as const, provisioningState: "Succeeded" };
  const instances = [
    { instanceId: "0", powerState: "running" as const, provisioningState: "Succeeded" },
    stopped1,
    deallocated2,
    { instanceId: "3", powerState: "running" as const, provisioningState: "Failed" },
    { instanceId: "4", powerState: "running" as const, provisioningState: "Succeeded" },
  ];

  it("cycles only the running instances and deallocates the stopped ones", () => {
    const e = only(planResources(discovery({ scaleSets: [scaleSet("ss", { instances })] }), options()));
    expect(e).toMatchObject({
      kind: "scaleSet",
      action: "cycle",
      steps: ["powerOff", "deallocate", "start"],
      instanceIds: ["0", "4"],
      stoppedInstanceIds: ["1"],
    });
    expect(e.stateBefore).toMatch(/running 3/);
  });

  it("deallocates a scale set whose instances are all stopped", () => {
    const e = only(planResources(discovery({ scaleSets: [scaleSet("ss", { instances: [stopped1] })] }), options()));
    expect(e).toMatchObject({
      action: "cycle",
      steps: ["deallocate"],
      targetState: "deallocated",
      instanceIds: [],
      stoppedInstanceIds: ["1"],
    });
  });

  it("skips a scale set with no running or stopped instance", () => {
    skipped(
      only(planResources(discovery({ scaleSets: [scaleSet("ss", { instances: [deallocated2] })] }), options())),
      "noRunningInstances",
    );
    skipped(only(planResources(discovery({ scaleSets: [scaleSet("ss")] }), options())), "noRunningInstances");
  });

  it("skips a scale set in an AKS node resource group naming the cluster", () => {
    const aks =
      "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/prod-aks";
    const d = discovery({
      resourceGroups: [resourceGroup("MC_x", aks)],
      scaleSets: [scaleSet("aks-pool", { resourceGroup: "MC_x", instances })],
    });
    const e = only(planResources(d, options()));
    skipped(e, "managedResourceGroup");
    expect(e.skipMessage).toMatch(/AKS cluster "prod-aks".*az aks/);
  });

  it("skips a scale set with an ephemeral OS disk", () => {
    skipped(
      only(planResources(discovery({ scaleSets: [scaleSet("ss", { instances, ephemeralOsDisk: true })] }), options())),
      "ephemeralOsDisk",
    );
  });
});

describe("planResources: VNets", () => {
  const delegated = subnet("ase", "10.0.0.0/24", { delegations: ASE });

  it("skips a VNet without a delegated subnet", () => {
    skipped(
      only(planResources(discovery({ vnets: [vnet("v", ["10.0.0.0/16"], [subnet("s", "10.0.0.0/24")])] }), options())),
      "noDelegatedSubnet",
    );
  });

  it("skips a VNet with delegated subnets when subnet refresh is off", () => {
    const e = only(
      planResources(
        discovery({ vnets: [vnet("v", ["10.0.0.0/16"], [delegated])] }),
        options({ refreshDelegatedSubnets: false }),
      ),
    );
    skipped(e, "subnetRefreshDisabled");
    expect(e.delegatedSubnets).toEqual(["ase"]);
  });

  it("plans a temporary /29 subnet with a deterministic name", () => {
    const d = discovery({ vnets: [vnet("v", ["10.0.0.0/16"], [delegated, subnet("apps", "10.0.1.0/24")])] });
    const e = only(planResources(d, options()));
    expect(e).toMatchObject({
      kind: "vnet",
      action: "refreshSubnet",
      tempSubnetPrefix: "10.0.2.0/29",
      delegatedSubnets: ["ase"],
    });
    expect(e.tempSubnetName).toMatch(new RegExp(`^${TEMP_SUBNET_PREFIX}[0-9a-f]{8}$`));
    expect(only(planResources(d, options())).tempSubnetName).toBe(e.tempSubnetName);
  });

  it("skips a VNet with no free /29", () => {
    skipped(
      only(planResources(discovery({ vnets: [vnet("v", ["10.0.0.0/24"], [{ ...delegated }])] }), options())),
      "noFreeSubnetRange",
    );
  });

  it("skips a VNet with no IPv4 address space", () => {
    const v = vnet(
      "v",
      ["fd00::/48"],
      [subnet("ase", undefined, { addressPrefixes: ["fd00::/64"], delegations: ASE })],
    );
    skipped(only(planResources(discovery({ vnets: [v] }), options())), "noIpv4AddressSpace");
  });

  it("skips an IPAM-managed VNet", () => {
    skipped(
      only(
        planResources(
          discovery({ vnets: [vnet("v", ["10.0.0.0/16"], [delegated], { ipamManaged: true })] }),
          options(),
        ),
      ),
      "ipamManaged",
    );
  });

  it("skips a VNet tagged port25-remediation=skip", () => {
    skipped(
      only(
        planResources(
          discovery({ vnets: [vnet("v", ["10.0.0.0/16"], [delegated], { tags: { "port25-remediation": "skip" } })] }),
          options(),
        ),
      ),
      "skipTag",
    );
  });
});

describe("planResources: canaries", () => {
  it("marks VMs tagged port25-canary=true that will be cycled from running", () => {
    const d = discovery({
      vms: [
        vm("a", { tags: { "port25-canary": "true" } }),
        vm("b", { tags: { "port25-canary": "TRUE" }, powerState: "stopped" }),
        vm("c", { networkWatcherAgent: true }),
      ],
    });
    const canaries = planResources(d, options())
      .filter((e) => e.canary)
      .map((e) => e.name);
    expect(canaries).toEqual(["a"]);
  });

  it("picks the first running VMs with the Network Watcher agent, preferring ones outside availability sets", () => {
    const d = discovery({
      vms: [
        vm("a", { networkWatcherAgent: true, availabilitySetId: availabilitySet("as1") }),
        vm("b"),
        vm("c", { networkWatcherAgent: true, powerState: "stopped" }),
        vm("d", { networkWatcherAgent: true }),
        vm("e", { networkWatcherAgent: true }),
      ],
    });
    expect(
      planResources(d, options({ canaryCount: 2 }))
        .filter((e) => e.canary)
        .map((e) => e.name),
    ).toEqual(["d", "e"]);
    expect(
      planResources(d, options({ canaryCount: 3 }))
        .filter((e) => e.canary)
        .map((e) => e.name),
    ).toEqual(["a", "d", "e"]);
  });

  it("picks no canary when verification is attestation only and none is tagged", () => {
    const d = discovery({ vms: [vm("a", { networkWatcherAgent: true })] });
    expect(planResources(d, options({ verification: "attestationOnly" })).some((e) => e.canary)).toBe(false);
  });
});
