/** Compute shapes shared by reads and power operations: provisioning states and a scale set's instances. */
import type { InstanceViewStatus, VirtualMachineScaleSetVM } from "@azure/arm-compute";
import type { ScaleSetInstance } from "../../contracts/discovery";
import type { ArmResourceId } from "../../contracts/ids";
import { powerStateFromStatuses } from "../../contracts/power";
import { type ArmRequests, collect, isoTime, optional } from "./requests";

/** `ProvisioningState/failed/AllocationFailed` → { state: "Failed", code: "AllocationFailed" }. */
export function provisioningStatusFromStatuses(
  statuses: readonly InstanceViewStatus[],
): { state: string; code?: string | undefined } | undefined {
  for (const s of statuses) {
    const m = /^ProvisioningState\/([^/]+)(?:\/(.+))?$/i.exec(s.code ?? "");
    if (m?.[1] !== undefined) return { state: m[1].charAt(0).toUpperCase() + m[1].slice(1), code: m[2] };
  }
  return undefined;
}

/** `ProvisioningState/succeeded[/code]` → "Succeeded". */
export function provisioningStateFromStatuses(statuses: readonly InstanceViewStatus[]): string | undefined {
  for (const s of statuses) {
    const m = /^ProvisioningState\/([^/]+)/i.exec(s.code ?? "");
    if (m?.[1] !== undefined) return m[1].charAt(0).toUpperCase() + m[1].slice(1);
  }
  return undefined;
}

/** A scale set's instances with their power and provisioning states (VirtualMachineScaleSetVMs_List, instance views expanded). */
export async function readScaleSetInstances(arm: ArmRequests, id: ArmResourceId): Promise<ScaleSetInstance[]> {
  const vms = await collect<VirtualMachineScaleSetVM>(
    arm.clients
      .compute(id.subscriptionId)
      .virtualMachineScaleSetVMs.list(id.resourceGroup, id.name, { expand: "instanceView" }),
  );
  return vms.map((vm) => {
    const statuses = vm.instanceView?.statuses ?? [];
    return {
      instanceId: vm.instanceId ?? vm.name ?? "",
      powerState: powerStateFromStatuses(statuses),
      provisioningState: vm.provisioningState ?? provisioningStateFromStatuses(statuses) ?? "Unknown",
      ...optional("timeCreated", vm.timeCreated === undefined ? undefined : isoTime(vm.timeCreated)),
    };
  });
}
