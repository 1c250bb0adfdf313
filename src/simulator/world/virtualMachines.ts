/**
 * The VMs of the subscription: declared by the scenario or created during the run, dealt over their availability
 * set's update domains, each with its NIC's address and its extensions; found by id, removed when deleted.
 */
import type { ActivityLog } from "./activityLog";
import type { Timeline } from "./timeline";
import { pushTo, type Machine, type RgRecord, type SimExtension, type VmRecord } from "./types";
import { createRng, hashOf, type Rng } from "../rng";
import type { ScenarioVm } from "../scenario";

export interface VmParts {
  subscriptionId: string;
  rgs: ReadonlyMap<string, RgRecord>;
  rng: Rng;
  /** The next private address (VMs and scale-set instances draw from one range). */
  nextIp(): string;
  log: ActivityLog;
  timeline: Timeline;
}

export class VirtualMachines {
  readonly vms = new Map<string, VmRecord>();
  readonly vmList: VmRecord[] = [];
  readonly vmsByRg = new Map<string, VmRecord[]>();
  /** Update-domain count of each availability set declared with one (others have 5), and members dealt so far. */
  private readonly updateDomainCounts = new Map<string, number>();
  private readonly availabilitySetMembers = new Map<string, number>();

  constructor(private readonly parts: VmParts) {}

  /** Declares an availability set's update-domain count, before its members are added. */
  setUpdateDomainCount(availabilitySetId: string, count: number): void {
    this.updateDomainCounts.set(availabilitySetId.toLowerCase(), count);
  }

  /** Adds a VM (from the scenario, or created during the run); its history, when it has one, goes to the Activity Log. */
  add(vm: ScenarioVm, startedAt: number): VmRecord {
    const rg = this.parts.rgs.get(vm.resourceGroup.toLowerCase());
    if (rg === undefined) throw new Error(`resource group ${vm.resourceGroup} is not declared`);
    const rgPrefix = `/subscriptions/${this.parts.subscriptionId}/resourceGroups/`;
    const id = `${rgPrefix}${rg.name}/providers/Microsoft.Compute/virtualMachines/${vm.name}`;
    const last = vm.lastStartTime === undefined ? undefined : Date.parse(vm.lastStartTime);
    const m: Machine = {
      resourceId: id,
      name: vm.name,
      location: vm.location ?? rg.location,
      vmId: this.parts.rng.guid(),
      ephemeralOsDisk: vm.ephemeralOsDisk,
      networkWatcherAgent: vm.networkWatcherAgent,
      power: vm.power,
      createdAt: vm.timeCreated !== undefined ? Date.parse(vm.timeCreated) : (last ?? startedAt) - 30 * 86_400_000,
      provisioningState: vm.provisioningState,
      privateIp: this.parts.nextIp(),
    };
    if (last !== undefined) {
      m.lastStartTime = last;
      m.allocatedAt = last;
      if (vm.power === "running") m.powerSince = last;
    }
    const rec: VmRecord = {
      id,
      name: vm.name,
      resourceGroup: rg.name,
      spec: vm,
      machine: m,
      timeCreated: m.createdAt,
      extensions: extensionsOf(id, vm.osType, vm.networkWatcherAgent),
    };
    if (last !== undefined)
      this.parts.log.recordHistory(id, rg.name, "Microsoft.Compute/virtualMachines", last, startedAt);
    if (vm.availabilitySet !== undefined) {
      rec.availabilitySetId = `${rgPrefix}${rg.name}/providers/Microsoft.Compute/availabilitySets/${vm.availabilitySet}`;
      const setKey = rec.availabilitySetId.toLowerCase();
      const members = this.availabilitySetMembers.get(setKey) ?? 0;
      rec.platformUpdateDomain = members % (this.updateDomainCounts.get(setKey) ?? 5);
      this.availabilitySetMembers.set(setKey, members + 1);
    }
    if (vm.flexScaleSet !== undefined)
      rec.flexScaleSetId = `${rgPrefix}${rg.name}/providers/Microsoft.Compute/virtualMachineScaleSets/${vm.flexScaleSet}`;
    this.vms.set(id.toLowerCase(), rec);
    this.vmList.push(rec);
    pushTo(this.vmsByRg, rg.name.toLowerCase(), rec);
    return rec;
  }

  /** A VM's resource id, whether or not it exists. */
  idOf(resourceGroup: string, name: string): string {
    return `/subscriptions/${this.parts.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
  }

  /** A VM by resource group and name, if it (still) exists. */
  find(resourceGroup: string, name: string): VmRecord | undefined {
    return this.vms.get(this.idOf(resourceGroup, name).toLowerCase());
  }

  /** Takes a VM out of every list and map: from now on ARM answers 404 for it. */
  remove(vm: VmRecord, at: number): void {
    this.parts.timeline.record(vm.machine, vm.machine.power, "absent", at);
    this.vms.delete(vm.id.toLowerCase());
    const i = this.vmList.indexOf(vm);
    if (i >= 0) this.vmList.splice(i, 1);
    const byRg = this.vmsByRg.get(vm.resourceGroup.toLowerCase());
    const j = byRg?.indexOf(vm) ?? -1;
    if (byRg !== undefined && j >= 0) byRg.splice(j, 1);
  }
}

/** Names people give the Network Watcher agent's extension (the portal's is AzureNetworkWatcherExtension). */
const AGENT_EXTENSION_NAMES = [
  "AzureNetworkWatcherExtension",
  "NetworkWatcherAgent",
  "Microsoft.Azure.NetworkWatcher.NetworkWatcherAgent",
  "networkwatcher",
  "nw-agent",
];

/** A VM's extensions, seeded by its id: the agent (when installed) under a varying name, and sometimes others. */
function extensionsOf(vmId: string, os: "Linux" | "Windows", agent: boolean): SimExtension[] {
  const rng = createRng(hashOf(vmId.toLowerCase()));
  const out: SimExtension[] = [];
  if (rng.next() < 0.5) {
    out.push(
      os === "Windows"
        ? {
            name: "AzureMonitorWindowsAgent",
            publisher: "Microsoft.Azure.Monitor",
            type: "AzureMonitorWindowsAgent",
            version: "1.22",
          }
        : {
            name: "AzureMonitorLinuxAgent",
            publisher: "Microsoft.Azure.Monitor",
            type: "AzureMonitorLinuxAgent",
            version: "1.29",
          },
    );
  }
  const pick = AGENT_EXTENSION_NAMES[rng.int(AGENT_EXTENSION_NAMES.length)] ?? "AzureNetworkWatcherExtension";
  if (agent) {
    const type = os === "Windows" ? "NetworkWatcherAgentWindows" : "NetworkWatcherAgentLinux";
    out.push({
      name: pick.endsWith("NetworkWatcherAgent") ? `${pick}${os}` : pick,
      publisher: "Microsoft.Azure.NetworkWatcher",
      type,
      version: "1.4",
    });
  }
  return out;
}
