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
