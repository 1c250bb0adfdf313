/** Compute reads: VMs, their extensions and agents, uniform scale sets, power-state listings (Microsoft.Compute). */
import { mapLimit } from "../../concurrency";
import type {
  InstanceViewStatus,
  VirtualMachine,
  VirtualMachineExtension,
  VirtualMachineInstanceView,
  VirtualMachineScaleSet,
} from "@azure/arm-compute";
import {
  ScaleSetInfoSchema,
  VmExtensionInfoSchema,
  VmInfoSchema,
  type ScaleSetInfo,
  type VmExtensionInfo,
  type VmInfo,
} from "../../contracts/discovery";
import {
  VmAgentReadinessSchema,
  VmPowerListingSchema,
  type VmAgentReadiness,
  type VmPowerListing,
  type VmPowerStatus,
} from "../../contracts/azure";
import { resourceKey } from "../../contracts/ids";
import { parseWith } from "../../contracts/parse";
import { powerStateFromStatuses } from "../../contracts/power";
import { isNetworkWatcherAgent } from "../../domain/planCanary";
import type { ComputeReadOperations, VmListPage } from "../gateway";
import { armIdentity, type ArmRequests, collect, isNotFound, isoTime, optional, requireId } from "./requests";
import { readScaleSetInstances, provisioningStateFromStatuses, provisioningStatusFromStatuses } from "./computeShapes";
import { clip, TEXT_LIMITS } from "../../contracts/textLimits";

/** Discovery reads instance views of this many scale sets at once. */
const SCALE_SET_READ_CONCURRENCY = 4;
/** VMs a listing gave no power state are read on their own this many at once. */
const INSTANCE_VIEW_REREAD_CONCURRENCY = 4;

export class ComputeReads implements ComputeReadOperations {
  constructor(private readonly arm: ArmRequests) {}

  /**
   * Two paged list calls for the whole subscription instead of one instance-view read per VM: the plain list
   * gives the model (tags, disks, availability set, timeCreated), `statusOnly=true` gives every VM's power state
   * (ARM returns only id, name and instance-view statuses in that mode). Joined by id. Extensions are not read
   * here: a listing carries them as ids only.
   */
  listVms(subscriptionId: string): Promise<VmInfo[]> {
    return this.arm.call("listVms", async () => {
      const vms = this.arm.clients.compute(subscriptionId).virtualMachines;
      const [models, statuses] = await Promise.all([
        collect<VirtualMachine>(vms.listAll()),
        collect<VirtualMachine>(vms.listAll({ statusOnly: "true" })),
      ]);
      const viewById = new Map(statuses.map((s) => [resourceKey(s.id ?? ""), s.instanceView] as const));
      const missing = models.flatMap((vm) =>
        vm.id !== undefined && powerStateFromStatuses(viewById.get(resourceKey(vm.id))?.statuses) === "unknown"
          ? [vm.id]
          : [],
      );
      for (const [key, view] of await this.ownInstanceViews(missing)) viewById.set(key, view);
      return models.map((vm) => {
        const view = viewById.get(resourceKey(vm.id ?? ""));
        return toVmInfo(vm, view?.statuses ?? [], view?.platformUpdateDomain);
      });
    });
  }

  listVmModelPage(subscriptionId: string, nextLink?: string): Promise<VmListPage<VmInfo>> {
    return this.arm.call("listVms", async () => {
      const page = await this.arm.firstPage(
        this.arm.clients.compute(subscriptionId).virtualMachines.listAll(),
        nextLink,
      );
      return { items: page.items.map((vm) => toVmInfo(vm, [])), ...optional("nextLink", page.nextLink) };
    });
  }

  listVmStatusPage(
    subscriptionId: string,
    nextLink?: string,
    rereadUnknown = true,
  ): Promise<VmListPage<VmPowerStatus>> {
    return this.arm.call("listVmPowerStates", async () => {
      const page = await this.arm.firstPage(
        this.arm.clients.compute(subscriptionId).virtualMachines.listAll({ statusOnly: "true" }),
        nextLink,
      );
      const items = page.items.flatMap((vm) => (vm.id === undefined ? [] : [vmPowerStatus(vm.id, vm)]));
      const unknown = rereadUnknown ? items.filter((i) => i.powerState === "unknown").map((i) => i.id) : [];
      const views = await this.ownInstanceViews(unknown);
      return {
        items: items.map((i) => {
          const view = views.get(resourceKey(i.id));
          return view === undefined ? i : vmPowerStatus(i.id, { instanceView: view, provisioningState: undefined });
        }),
        ...optional("nextLink", page.nextLink),
      };
    });
  }

  /**
   * The VMs' own instance views, by resource key, for VMs a statusOnly listing gave no power state: List All "in some
   * rare situations" gives none, and Learn's "States and billing status of Azure Virtual Machines" recommends asking
   * again. A VM gone since the listing is left out: it keeps the unknown state, which the plan reports. Any other
   * failure (throttled, unavailable) fails the page, which discovery waits out and reads again, so that a VM is never
   * skipped as unknown only because ARM was busy.
   */
  private async ownInstanceViews(vmIds: readonly string[]): Promise<Map<string, VirtualMachineInstanceView>> {
    const views = new Map<string, VirtualMachineInstanceView>();
    await mapLimit(vmIds, INSTANCE_VIEW_REREAD_CONCURRENCY, async (vmId) => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      try {
        const view = await this.arm.clients
          .compute(id.subscriptionId)
          .virtualMachines.instanceView(id.resourceGroup, id.name);
        views.set(resourceKey(vmId), view);
      } catch (e) {
        // Gone since the listing: left unknown, the listing's answer stands.
        if (!isNotFound(e)) throw e;
      }
    });
    return views;
  }

  listVmExtensions(vmId: string): Promise<VmExtensionInfo[]> {
    return this.arm.call("listVmExtensions", async () => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      const list = await this.arm.clients
        .compute(id.subscriptionId)
        .virtualMachineExtensions.list(id.resourceGroup, id.name);
      return (list.value ?? []).map((ext: VirtualMachineExtension) =>
        parseWith(
          VmExtensionInfoSchema,
          {
            name: ext.name ?? "",
            ...optional("publisher", ext.publisher),
            ...optional("type", ext.typePropertiesType),
          },
          "VM extension",
        ),
      );
    });
  }

  getVmAgentReadiness(vmId: string): Promise<VmAgentReadiness> {
    return this.arm.call("getVmAgentReadiness", async () => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      try {
        const view = await this.arm.clients
          .compute(id.subscriptionId)
          .virtualMachines.instanceView(id.resourceGroup, id.name);
        return parseWith(VmAgentReadinessSchema, agentReadinessOf(view), "VM agent readiness");
      } catch (e) {
        if (isNotFound(e))
          return {
            exists: false,
            powerState: "unknown",
            vmAgent: "unknown",
            networkWatcherAgent: "absent",
            detail: "the VM no longer exists",
          };
        throw e;
      }
    });
  }

  /** Uniform scale sets only: flexible ones appear as their member VMs in listVms. */
  listScaleSets(subscriptionId: string): Promise<ScaleSetInfo[]> {
    return this.arm.call("listScaleSets", async () => {
      const compute = this.arm.clients.compute(subscriptionId);
      const sets = await collect<VirtualMachineScaleSet>(compute.virtualMachineScaleSets.listAll());
      const uniform = sets.filter((s) => (s.orchestrationMode ?? "Uniform").toLowerCase() === "uniform");
      return mapLimit(uniform, SCALE_SET_READ_CONCURRENCY, async (set) => {
        const { identity, id } = armIdentity(set, "Microsoft.Compute/virtualMachineScaleSets");
        const instances = await readScaleSetInstances(this.arm, id);
        const osDisk = set.virtualMachineProfile?.storageProfile?.osDisk;
        return parseWith(
          ScaleSetInfoSchema,
          {
            ...identity,
            orchestrationMode: "Uniform",
            ephemeralOsDisk: (osDisk?.diffDiskSettings?.option ?? "").toLowerCase() === "local",
            provisioningState: set.provisioningState ?? "Unknown",
            tags: set.tags ?? {},
            instances,
            ...(set.virtualMachineProfile?.networkProfile === undefined ? {} : { subnetIds: scaleSetSubnets(set) }),
          },
          "scale set",
        );
      });
    });
  }

  listVmPowerStates(subscriptionId: string, maxPages = Number.POSITIVE_INFINITY): Promise<VmPowerListing> {
    return this.arm.call("listVmPowerStates", async () => {
      const vms: VmPowerListing["vms"] = [];
      let pages = 0;
      let truncated = false;
      for await (const page of this.arm.clients
        .compute(subscriptionId)
        .virtualMachines.listAll({ statusOnly: "true" })
        .byPage()) {
        pages++;
        for (const vm of page) {
          if (vm.id !== undefined) vms.push(vmPowerStatus(vm.id, vm));
        }
        const next = (page as typeof page & { continuationToken?: string }).continuationToken;
        if (pages >= maxPages && next !== undefined && next !== "") {
          truncated = true;
          break;
        }
      }
      return parseWith(
        VmPowerListingSchema,
        { vms, pages: Math.max(1, pages), ...(truncated ? { truncated } : {}) },
        "VM status listing",
      );
    });
  }
}

/** A status reports success: `ProvisioningState/succeeded` (the agent "Ready", an extension "Provisioning succeeded"). */
function succeeded(statuses: readonly InstanceViewStatus[] | undefined): boolean {
  return (statuses ?? []).some((s) => (s.code ?? "").toLowerCase() === "provisioningstate/succeeded");
}

function describeStatuses(what: string, statuses: readonly InstanceViewStatus[] | undefined): string {
  const first = statuses?.[0];
  if (first === undefined) return `${what} reports no status`;
  return `${what} ${first.displayStatus ?? first.code ?? "?"}${first.message !== undefined ? `: ${first.message}` : ""}`;
}

/**
 * Readiness from an instance view. The Network Watcher agent is found by its instance view's `type`
 * (`Microsoft.Azure.NetworkWatcher.NetworkWatcherAgentLinux|Windows`, publisher and type joined), whatever its name.
 */
function agentReadinessOf(view: VirtualMachineInstanceView): VmAgentReadiness {
  const statuses = view.statuses ?? [];
  const agentStatuses = view.vmAgent?.statuses;
  const vmAgent = succeeded(agentStatuses) ? "ready" : (agentStatuses ?? []).length > 0 ? "notReady" : "unknown";
  const nw = (view.extensions ?? []).find((e) => {
    const type = e.type ?? "";
    const dot = type.lastIndexOf(".");
    return isNetworkWatcherAgent({
      publisher: dot < 0 ? "" : type.slice(0, dot),
      type: dot < 0 ? type : type.slice(dot + 1),
    });
  });
  const networkWatcherAgent = nw === undefined ? "absent" : succeeded(nw.statuses) ? "ready" : "notReady";
  const detail = [
    describeStatuses("VM agent", agentStatuses),
    nw === undefined
      ? "no Network Watcher agent extension reported"
      : describeStatuses(`extension ${nw.name ?? "Network Watcher agent"}`, nw.statuses),
  ].join("; ");
  return {
    exists: true,
    powerState: powerStateFromStatuses(statuses),
    vmAgent,
    networkWatcherAgent,
    detail: clip(detail, TEXT_LIMITS.detail),
  };
}

function vmPowerStatus(
  id: string,
  vm: { instanceView?: VirtualMachineInstanceView | undefined; provisioningState?: string | undefined },
): VmPowerStatus {
  const statuses = vm.instanceView?.statuses ?? [];
  const provisioning = provisioningStatusFromStatuses(statuses);
  return {
    id,
    powerState: powerStateFromStatuses(statuses),
    provisioningState: provisioning?.state ?? vm.provisioningState ?? "Unknown",
    ...optional("provisioningCode", provisioning?.code),
    // Compute gives it in the instance view of VMs in an availability set only.
    ...optional("platformUpdateDomain", vm.instanceView?.platformUpdateDomain),
  };
}

function toVmInfo(vm: VirtualMachine, statuses: InstanceViewStatus[], platformUpdateDomain?: number): VmInfo {
  return parseWith(
    VmInfoSchema,
    {
      ...armIdentity(vm, "Microsoft.Compute/virtualMachines").identity,
      size: vm.hardwareProfile?.vmSize,
      powerState: powerStateFromStatuses(statuses),
      provisioningState: vm.provisioningState ?? provisioningStateFromStatuses(statuses) ?? "Unknown",
      ephemeralOsDisk: (vm.storageProfile?.osDisk?.diffDiskSettings?.option ?? "").toLowerCase() === "local",
      availabilitySetId: vm.availabilitySet?.id,
      zone: vm.zones?.[0],
      tags: vm.tags ?? {},
      priority: normalisePriority(vm.priority),
      flexScaleSetId: vm.virtualMachineScaleSet?.id,
      ...optional("timeCreated", vm.timeCreated === undefined ? undefined : isoTime(vm.timeCreated)),
      ...optional("platformUpdateDomain", platformUpdateDomain),
      // The primary NIC first: its subnet's routes decide the VM's default egress.
      ...(vm.networkProfile?.networkInterfaces === undefined
        ? {}
        : {
            nicIds: [...vm.networkProfile.networkInterfaces]
              .sort((a, b) => Number(b.primary === true) - Number(a.primary === true))
              .flatMap((n) => (n.id === undefined ? [] : [n.id])),
          }),
    },
    "virtual machine",
  );
}

/** A scale set's subnets, from its network profile (the primary configuration first). */
function scaleSetSubnets(set: VirtualMachineScaleSet): string[] {
  const configs = [...(set.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [])].sort(
    (a, b) => Number(b.primary === true) - Number(a.primary === true),
  );
  return configs.flatMap((c) =>
    (c.ipConfigurations ?? []).flatMap((ip) => (ip.subnet?.id === undefined ? [] : [ip.subnet.id])),
  );
}

function normalisePriority(priority: string | undefined): "Regular" | "Low" | "Spot" {
  switch ((priority ?? "").toLowerCase()) {
    case "spot":
      return "Spot";
    case "low":
      return "Low";
    default:
      return "Regular";
  }
}
