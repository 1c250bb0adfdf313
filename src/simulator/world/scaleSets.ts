/**
 * The uniform scale sets: each with its instances, machines with a power state of their own, and their history
 * before the simulation in the Activity Log. (A flexible scale set's members are VMs: virtualMachines.ts.)
 */
import type { ActivityLog } from "./activityLog";
import { pushTo, type Machine, type RgRecord, type ScaleSetRecord } from "./types";
import type { Rng } from "../rng";
import type { Scenario } from "../scenario";

export interface ScaleSetParts {
  subscriptionId: string;
  rng: Rng;
  /** The next private address (VMs and scale-set instances draw from one range). */
  nextIp: () => string;
  log: ActivityLog;
}

export class ScaleSets {
  readonly scaleSets = new Map<string, ScaleSetRecord>();
  readonly scaleSetList: ScaleSetRecord[] = [];
  readonly scaleSetsByRg = new Map<string, ScaleSetRecord[]>();

  constructor(private readonly parts: ScaleSetParts) {}

  /** Adds a scale set the scenario declares, in its (declared) resource group. */
  add(ss: Scenario["scaleSets"][number], rg: RgRecord, startedAt: number): ScaleSetRecord {
    const { rng, nextIp } = this.parts;
    const rgPrefix = `/subscriptions/${this.parts.subscriptionId}/resourceGroups/`;
    const id = `${rgPrefix}${rg.name}/providers/Microsoft.Compute/virtualMachineScaleSets/${ss.name}`;
    const location = ss.location ?? rg.location;
    const rec: ScaleSetRecord = {
      id,
      name: ss.name,
      resourceGroup: rg.name,
      location,
      spec: ss,
      uniqueId: rng.guid(),
      instances: new Map(),
      instanceList: [],
    };
    for (const inst of ss.instances) {
      const last = inst.lastStartTime === undefined ? undefined : Date.parse(inst.lastStartTime);
      const m: Machine = {
        resourceId: id,
        instanceId: inst.instanceId,
        name: `${ss.name}_${inst.instanceId}`,
        location,
        vmId: rng.guid(),
        ephemeralOsDisk: ss.ephemeralOsDisk,
        networkWatcherAgent: false,
        power: inst.power,
        createdAt: (last ?? startedAt) - 30 * 86_400_000,
        provisioningState: "Succeeded",
        privateIp: nextIp(),
      };
      if (last !== undefined) {
        m.lastStartTime = last;
        m.allocatedAt = last;
        if (inst.power === "running") m.powerSince = last;
        this.parts.log.recordHistory(
          `${id}/virtualMachines/${inst.instanceId}`,
          rg.name,
          "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
          last,
          startedAt,
        );
      }
      rec.instances.set(inst.instanceId, m);
      rec.instanceList.push(m);
    }
    this.scaleSets.set(id.toLowerCase(), rec);
    this.scaleSetList.push(rec);
    pushTo(this.scaleSetsByRg, rg.name.toLowerCase(), rec);
    return rec;
  }
}
