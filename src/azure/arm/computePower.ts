/** Compute power: a VM's or scale set's state, and the power operations that change it (Microsoft.Compute). */
import type { PipelineResponse } from "@azure/core-rest-pipeline";
import {
  ScaleSetStateSchema,
  VmStateSchema,
  type OperationHandle,
  type ScaleSetState,
  type VmState,
} from "../../contracts/azure";
import type { ArmResourceId } from "../../contracts/ids";
import { parseWith } from "../../contracts/parse";
import type { PowerStep } from "../../contracts/plan";
import { powerStateFromStatuses } from "../../contracts/power";
import { AzureOperationError } from "../../errors";
import type { ComputePowerOperations } from "../gateway";
import { type ArmRequests, isNotFound, requireId } from "./requests";
import { handleFromResponse } from "./operations";
import { readScaleSetInstances, provisioningStateFromStatuses } from "./computeShapes";

export class ComputePower implements ComputePowerOperations {
  constructor(private readonly arm: ArmRequests) {}

  getVmState(vmId: string): Promise<VmState> {
    return this.arm.call("getVmState", async () => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      try {
        const view = await this.arm.clients
          .compute(id.subscriptionId)
          .virtualMachines.instanceView(id.resourceGroup, id.name);
        const statuses = view.statuses ?? [];
        return parseWith(
          VmStateSchema,
          {
            exists: true,
            powerState: powerStateFromStatuses(statuses),
            provisioningState: provisioningStateFromStatuses(statuses) ?? "Unknown",
          },
          "VM state",
        );
      } catch (e) {
        if (isNotFound(e)) return { exists: false, powerState: "unknown", provisioningState: "NotFound" };
        throw e;
      }
    });
  }

  beginVmPowerOperation(vmId: string, step: PowerStep): Promise<OperationHandle> {
    return this.arm.call(`${step}Vm`, async () => {
      const id = requireId(vmId, "Microsoft.Compute/virtualMachines");
      return beginPowerStep(this.arm.clients.compute(id.subscriptionId).virtualMachines, step, id, {});
    });
  }

  getScaleSetState(scaleSetId: string): Promise<ScaleSetState> {
    return this.arm.call("getScaleSetState", async () => {
      const id = requireId(scaleSetId, "Microsoft.Compute/virtualMachineScaleSets");
      try {
        const instances = await readScaleSetInstances(this.arm, id);
        return parseWith(
          ScaleSetStateSchema,
          {
            exists: true,
            instances: instances.map((i) => ({
              instanceId: i.instanceId,
              powerState: i.powerState,
              provisioningState: i.provisioningState,
            })),
          },
          "scale set state",
        );
      } catch (e) {
        if (isNotFound(e)) return { exists: false, instances: [] };
        throw e;
      }
    });
  }

  beginScaleSetPowerOperation(scaleSetId: string, step: PowerStep, instanceIds: string[]): Promise<OperationHandle> {
    return this.arm.call(`${step}ScaleSet`, async () => {
      const id = requireId(scaleSetId, "Microsoft.Compute/virtualMachineScaleSets");
      if (instanceIds.length === 0) {
        // ARM applies a scale-set power operation to EVERY instance when no ids are given.
        throw new AzureOperationError(`${step}ScaleSet`, "no instance ids given (ARM would act on every instance)", {
          code: "InvalidRequest",
          retryable: false,
        });
      }
      return beginPowerStep(this.arm.clients.compute(id.subscriptionId).virtualMachineScaleSets, step, id, {
        vmInstanceIDs: { instanceIds },
      });
    });
  }
}

/** The SDK's power operations of VMs or of scale sets: one method per step, named as the step. */
type PowerOperations<O> = Record<
  PowerStep,
  (
    resourceGroup: string,
    name: string,
    options: O & { onResponse: (raw: PipelineResponse) => void },
  ) => { submitted(): Promise<unknown> }
>;

/**
 * Sends a power step's initial request through the SDK and returns a handle to poll. Each SDK method sends its
 * initial POST at once; awaiting submitted() (never the poller itself) stops there.
 */
async function beginPowerStep<O extends object>(
  operations: PowerOperations<O>,
  step: PowerStep,
  id: ArmResourceId,
  options: O,
): Promise<OperationHandle> {
  const initial = new InitialResponse();
  await operations[step](id.resourceGroup, id.name, { ...options, onResponse: initial.capture }).submitted();
  return initial.handle();
}

class InitialResponse {
  private response: PipelineResponse | undefined;
  readonly capture = (raw: PipelineResponse): void => {
    this.response = raw;
  };
  handle(): OperationHandle {
    if (this.response === undefined) throw new Error("the SDK returned without a response to its initial request");
    return handleFromResponse("beginOperation", this.response, [200, 201, 202, 204]);
  }
}
