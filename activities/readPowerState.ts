/** Activity: one poll of a power step — the operation's status, then (when it has ended) the resource's state. */
import type { z } from "zod";
import { bindActivity, type BoundActivity } from "./binding";
import {
  readPowerStateActivity,
  type ReadPowerStateInput,
  type ReadPowerStateOutput,
} from "../src/contracts/durable/readPowerState";
import type { OperationStatus } from "../src/contracts/azure";
import { stepInTransition, stepSatisfied } from "../src/contracts/durable/common";
import type { ArmGateway } from "../src/azure/gateway";
import { callArmPaced } from "./armFailure";
import type { ActivityDeps } from "./deps";

type Input = z.output<typeof ReadPowerStateInput>;
type Output = z.input<typeof ReadPowerStateOutput>;

/** The read, with the wait ARM's rate-limit headers ask for before the next one. */
export function readPowerState({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(readPowerStateActivity, (input) => readPowerStateWith(gateway, input));
}

/** The poll itself (also what observePowerState falls back to when the shared listing cannot answer). */
export function readPowerStateWith(gateway: ArmGateway, input: Input): Promise<z.input<typeof ReadPowerStateOutput>> {
  return callArmPaced(gateway, (arm) => read(arm, input));
}

async function read(arm: ArmGateway, input: Input): Promise<Extract<Output, { status: "ok" }>> {
  const step = input.stateFirstFor;
  if (input.kind === "vm" && step !== undefined && input.readStateWhenDone && input.handle !== undefined) {
    // The last step of a cycle: the VM's state answers in one request what the operation's status and then the
    // state would answer in two; the operation is read only when the state shows no sign of the step (its error).
    const resource = await readResource(arm, input);
    if (!resource.exists || stepSatisfied(step, resource.powerState) || stepInTransition(step, resource.powerState))
      return { status: "ok", resource };
    return { status: "ok", operation: await arm.getOperationStatus(input.handle), resource };
  }
  let operation: OperationStatus | undefined;
  if (input.handle !== undefined) {
    operation = await arm.getOperationStatus(input.handle);
    // While the operation runs, its status is all a poll needs: one request.
    if (operation.status === "InProgress") return { status: "ok", operation };
    if (operation.status === "Succeeded" && !input.readStateWhenDone) return { status: "ok", operation };
  }
  return { status: "ok", operation, resource: await readResource(arm, input) };
}

async function readResource(
  arm: ArmGateway,
  input: Input,
): Promise<NonNullable<Extract<Output, { status: "ok" }>["resource"]>> {
  if (input.kind === "vm") {
    const s = await arm.getVmState(input.resourceId);
    return { exists: s.exists, powerState: s.powerState, provisioningState: s.provisioningState };
  }
  const s = await arm.getScaleSetState(input.resourceId);
  const wanted = input.instanceIds === undefined ? undefined : new Set(input.instanceIds);
  const instances = s.instances.filter((i) => wanted === undefined || wanted.has(i.instanceId));
  return { exists: s.exists, powerState: "unknown", instances };
}
