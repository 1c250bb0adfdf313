/**
 * Gateways for the first power step's tests: a VM or a scale set in a given power state that a power off moves to
 * "stopping", with every send written to `sends` in order (a prefix of `send ` when asked, to interleave with other
 * entries of the same log).
 */
import type { ArmGateway } from "../../src/azure/gateway";
import type { PowerState } from "../../src/contracts/power";
import type { PowerStep } from "../../src/contracts/plan";

export const VMSS =
  "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss-1";
export const VM =
  "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-1";

/** A VM's first power off, as a run sends it: against the plan's state, stamped with the time it was scheduled. */
export const FIRST_POWER_OFF = {
  resourceId: VM,
  kind: "vm",
  step: "powerOff",
  expectedState: "running",
  requestedAt: "2026-12-07T10:00:00.000Z",
} as const;

/** A VM in `initial`; `sends` may be a log shared with other entries (each send then reads `send <step>`). */
export function stoppingVm(
  initial: PowerState,
  sends: string[] = [],
  prefix = "",
): { gateway: ArmGateway; sends: string[] } {
  let state = initial;
  const partial: Partial<ArmGateway> = {
    getVmState: () => Promise.resolve({ exists: true, powerState: state, provisioningState: "Succeeded" }),
    beginVmPowerOperation: (_id: string, step: PowerStep) => {
      sends.push(`${prefix}${step}`);
      state = "stopping";
      return Promise.resolve({ asyncOperationUrl: "https://management.azure.com/op/2", completed: false });
    },
  };
  return { gateway: partial as ArmGateway, sends };
}

/** A scale set whose `instanceIds` are in `initial`; each send reads `<step> <instance ids>`. */
export function stoppingScaleSet(
  initial: PowerState,
  instanceIds: readonly string[],
): { gateway: ArmGateway; sends: string[] } {
  let state = initial;
  const sends: string[] = [];
  const partial: Partial<ArmGateway> = {
    getScaleSetState: () =>
      Promise.resolve({
        exists: true,
        instances: instanceIds.map((instanceId) => ({ instanceId, powerState: state, provisioningState: "Updating" })),
      }),
    beginScaleSetPowerOperation: (_id: string, step: PowerStep, ids: string[]) => {
      sends.push(`${step} ${ids.join(",")}`);
      state = "stopping";
      return Promise.resolve({ asyncOperationUrl: "https://management.azure.com/op/1", completed: false });
    },
  };
  return { gateway: partial as ArmGateway, sends };
}

/**
 * A VM for a poll that sends the next step (observePowerState's `thenSend`): the subscription's listing shows
 * `listed()`, the VM's own read `actual()`, its operation reads Succeeded, and `sent` says what a send does to it.
 * Every call is recorded in `calls`, in order.
 */
export function observedVm(
  listed: () => PowerState,
  actual: () => PowerState,
  sent: (step: PowerStep) => void = () => undefined,
): { gateway: ArmGateway; calls: string[] } {
  const calls: string[] = [];
  const partial: Partial<ArmGateway> = {
    listVmPowerStates: (subscriptionId: string) => {
      calls.push(`list ${subscriptionId}`);
      return Promise.resolve({ pages: 1, vms: [{ id: VM, powerState: listed(), provisioningState: "Succeeded" }] });
    },
    getOperationStatus: () => {
      calls.push("getOperationStatus");
      return Promise.resolve({ status: "Succeeded" });
    },
    getVmState: () => {
      calls.push("getVmState");
      return Promise.resolve({ exists: true, powerState: actual(), provisioningState: "Succeeded" });
    },
    beginVmPowerOperation: (_id: string, step: PowerStep) => {
      calls.push(`begin ${step}`);
      sent(step);
      return Promise.resolve({ asyncOperationUrl: "https://management.azure.com/op/1", completed: false });
    },
  };
  return { gateway: partial as ArmGateway, calls };
}
