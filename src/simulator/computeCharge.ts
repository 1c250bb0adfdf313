/** Which of Microsoft.Compute's throttling policies a request draws on (throttle.ts keeps the buckets). */
import type { OperationName } from "./faults";
import type { ComputeCharge } from "./computeThrottle";
import type { World } from "./world/world";

/**
 * The Compute policy a request falls under (compute-throttling-limits.md), the resource whose own bucket it
 * draws on (none where the page says only the subscription's limit applies) and its region. Lists are charged
 * to one bucket for the whole subscription whatever the region (at least as strict as one per region).
 * Operations the page does not name are charged like their neighbours: a VM's extension list as its Low Cost Get
 * (the page names Extensions - Get), a scale set's VM list as the scale set's High Cost Get.
 */
export function computeChargeOf(
  w: World,
  operation: OperationName,
  family: string,
  params: Record<string, string>,
): ComputeCharge | undefined {
  const rgPath =
    `/subscriptions/${params["sub"] ?? ""}/resourcegroups/${params["rg"] ?? ""}/providers/microsoft.compute`.toLowerCase();
  const vmId = `${rgPath}/virtualmachines/${params["vm"] ?? ""}`.toLowerCase();
  const ssId = `${rgPath}/virtualmachinescalesets/${params["ss"] ?? ""}`.toLowerCase();
  const vmRegion = (): string => w.vms.get(vmId)?.machine.location ?? "unknown";
  const ssRegion = (): string => w.scaleSets.get(ssId)?.location ?? "unknown";
  const vm = (policy: ComputeCharge["policy"]): ComputeCharge => ({ policy, resourceKey: vmId, region: vmRegion() });
  switch (operation) {
    case "getVm":
    case "getVmInstanceView":
    case "listVmExtensions":
      return vm("LowCostGet");
    case "vmPowerOff":
    case "vmStart":
      return vm("UpdateVM");
    case "vmDeallocate":
      return vm("DeleteVM");
    case "listVms":
      return { policy: "HighCostGet", region: "all" };
    case "getScaleSet":
      return { policy: "LowCostGetVMScaleSet", resourceKey: ssId, region: ssRegion() };
    case "listScaleSets":
    case "listScaleSetVms":
      return { policy: "HighCostGetVMScaleSet", region: "all" };
    case "getScaleSetVm":
      return {
        policy: "GetVMScaleSetVM",
        resourceKey: `${ssId}/virtualmachines/${(params["inst"] ?? "").toLowerCase()}`,
        region: ssRegion(),
      };
    case "scaleSetPowerOff":
      return { policy: "DeleteVMScaleSet", region: ssRegion() };
    case "scaleSetDeallocate":
      return { policy: "DeleteVMScaleSet", resourceKey: ssId, region: ssRegion() };
    case "scaleSetStart":
      return { policy: "UpdateVMScaleSet", region: ssRegion() };
    case "getOperationStatus":
      // Network's operations share the name; only Compute's path is charged.
      return family === "compute"
        ? {
            policy: "GetOperation",
            resourceKey: (params["op"] ?? "").toLowerCase(),
            region: params["loc"] ?? "unknown",
          }
        : undefined;
    default:
      return undefined;
  }
}
