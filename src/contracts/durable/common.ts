/** Shapes shared by several activity contracts: ARM failures returned as data, and power-step targets. */
import { z } from "zod";
import type { PowerStep } from "../plan";
import type { PowerState } from "../power";

/**
 * An expected per-resource ARM failure, returned as data rather than thrown, so the orchestration decides:
 * "throttled" (429, or a resource locked by another operation) and "conflict" (409) are waited out and retried;
 * "notFound" means the resource disappeared; "failed" is final (ARM's code says why, e.g. AllocationFailed).
 */
export const ArmFailureSchema = z.object({
  status: z.enum(["throttled", "conflict", "notFound", "failed"]),
  code: z.string(),
  message: z.string(),
  statusCode: z.number().int().optional(),
  retryAfterSeconds: z.number().min(0).optional(),
});
export type ArmFailure = z.output<typeof ArmFailureSchema>;

/**
 * Seconds an activity's answer asks the orchestration to wait before the next request on the same resource,
 * because ARM's rate-limit headers said a budget was nearly spent (src/azure/pacing.ts). Absent = no need.
 */
export const PaceSecondsSchema = z.number().int().min(0).max(1800).optional();
/**
 * VMs of the subscription the plan counted, handed from the run down to each poll: its status listing is at least
 * ⌈n / 50⌉ pages, which the fleet observer weighs before its first listing instead of taking one to learn it
 * (src/azure/fleetObserver.ts).
 */
export const SubscriptionVmsSchema = z.number().int().min(0).optional();

export const CycleKindSchema = z.enum(["vm", "scaleSet"]);
export type CycleKind = z.output<typeof CycleKindSchema>;

/** The power state each step leads to. */
export const STEP_TARGET: Readonly<Record<PowerStep, PowerState>> = {
  powerOff: "stopped",
  deallocate: "deallocated",
  start: "running",
};

/** States in which a step has nothing left to do: its target, or a state that lies beyond it. */
const SATISFIED: Readonly<Record<PowerStep, readonly PowerState[]>> = {
  powerOff: ["stopped", "deallocating", "deallocated"],
  deallocate: ["deallocated"],
  start: ["running"],
};

/** States in which the step's own transition is already under way (a lost completion, or someone else). */
const IN_TRANSITION: Readonly<Record<PowerStep, readonly PowerState[]>> = {
  powerOff: ["stopping"],
  deallocate: ["deallocating"],
  start: ["starting"],
};

export function stepSatisfied(step: PowerStep, state: PowerState): boolean {
  return SATISFIED[step].includes(state);
}

export function stepInTransition(step: PowerStep, state: PowerState): boolean {
  return IN_TRANSITION[step].includes(state);
}

/**
 * The state in which a poll shows a VM's step ended well, or undefined while it runs or when the poll shows a failure
 * (the resource gone, the operation Failed or Canceled). Without a read of the resource, ARM's word that the operation
 * succeeded is the state. One rule for the orchestration that watches the step and for the poll that sends the next
 * step at once (observePowerState's `thenSend`), so that the two never disagree on whether the step is over.
 */
export function pollEndState(
  step: PowerStep,
  read: {
    operation?: { status: string } | undefined;
    resource?: { exists: boolean; powerState: PowerState } | undefined;
  },
): PowerState | undefined {
  if (read.resource?.exists === false) return undefined;
  const op = read.operation?.status;
  if (op === "Failed" || op === "Canceled") return undefined;
  if (read.resource !== undefined)
    return stepSatisfied(step, read.resource.powerState) ? read.resource.powerState : undefined;
  return op === "Succeeded" ? STEP_TARGET[step] : undefined;
}
