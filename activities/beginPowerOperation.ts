/**
 * Activity: one power step (power off, deallocate, start) on a VM or on instances of a uniform scale set.
 * Reads the current state first and sends the request only where the step is still needed, so a re-run after
 * a lost completion sends nothing twice. Throttling, conflicts and ARM's refusals come back as data.
 */
import type { z } from "zod";
import { bindActivity, type BoundActivity } from "../src/functions/registerActivity";
import {
  beginPowerOperationActivity,
  type BeginPowerOperationInput,
  type BeginPowerOperationOutput,
} from "../src/contracts/functions/beginPowerOperation";
import { stepInTransition, stepSatisfied } from "../src/contracts/functions/common";
import type { PowerState } from "../src/contracts/power";
import type { ArmGateway } from "../src/azure/gateway";
import { ValidationError } from "../src/errors";
import { callArmPaced } from "./armFailure";
import type { ActivityDeps } from "./deps";

type Input = z.output<typeof BeginPowerOperationInput>;
type Output = z.input<typeof BeginPowerOperationOutput>;

export function beginPowerOperation({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(beginPowerOperationActivity, (input) =>
    callArmPaced(
      gateway,
      (arm) => (input.kind === "vm" ? beginOnVm(arm, input) : beginOnScaleSet(arm, input)),
      // Only a step under way is polled next.
      (value) => value.status === "started" || value.status === "inTransition",
    ),
  );
}

async function beginOnVm(arm: ArmGateway, input: Input): Promise<Output> {
  const state = await arm.getVmState(input.resourceId);
  if (!state.exists) return notFound(input.resourceId);
  if (stepSatisfied(input.step, state.powerState)) return { status: "alreadyDone", state: state.powerState };
  if (stepInTransition(input.step, state.powerState)) return { status: "inTransition", state: state.powerState };
  const handle = await arm.beginVmPowerOperation(input.resourceId, input.step);
  return { status: "started", handle, stateBefore: state.powerState };
}

async function beginOnScaleSet(arm: ArmGateway, input: Input): Promise<Output> {
  const wanted = input.instanceIds ?? [];
  if (wanted.length === 0) {
    throw new ValidationError("input of beginPowerOperation", [
      { path: "instanceIds", message: "a scale-set step needs the instance ids it applies to" },
    ]);
  }
  const state = await arm.getScaleSetState(input.resourceId);
  if (!state.exists) return notFound(input.resourceId);
  const byId = new Map(state.instances.map((i) => [i.instanceId, i.powerState] as const));
  // Instances that vanished (scale-in) need nothing more.
  const present = wanted.filter((id) => byId.has(id));
  const states = present.map((id) => byId.get(id) ?? "unknown");
  const todo = present.filter((id) => {
    const s = byId.get(id) ?? "unknown";
    return !stepSatisfied(input.step, s) && !stepInTransition(input.step, s);
  });
  const summary = commonState(states);
  if (todo.length === 0) {
    return present.every((id) => stepSatisfied(input.step, byId.get(id) ?? "unknown"))
      ? { status: "alreadyDone", state: summary }
      : { status: "inTransition", state: summary };
  }
  const handle = await arm.beginScaleSetPowerOperation(input.resourceId, input.step, todo);
  return { status: "started", handle, stateBefore: summary, instanceIds: todo };
}

/** The instances' shared state, or "unknown" when they differ. */
function commonState(states: readonly PowerState[]): PowerState {
  const first = states[0];
  return first !== undefined && states.every((s) => s === first) ? first : "unknown";
}

function notFound(resourceId: string): Output {
  return { status: "notFound", code: "ResourceNotFound", message: `${resourceId} no longer exists`, statusCode: 404 };
}
