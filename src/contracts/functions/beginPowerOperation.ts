/** Activity contract: start one power step on a VM or on some instances of a uniform scale set. */
import { z } from "zod";
import { defineActivity } from "../define";
import { OperationHandleSchema } from "../azure";
import { ArmResourceIdSchema } from "../ids";
import { PowerStepSchema } from "../plan";
import { PowerStateSchema } from "../power";
import { ArmFailureSchema, CycleKindSchema, PaceSecondsSchema } from "./common";

export const BeginPowerOperationInput = z.object({
  resourceId: ArmResourceIdSchema,
  kind: CycleKindSchema,
  step: PowerStepSchema,
  /** Scale sets only: the instances the step applies to. */
  instanceIds: z.array(z.string().min(1)).optional(),
});

export const BeginPowerOperationOutput = z.discriminatedUnion("status", [
  /** The request was sent; poll `handle`. `instanceIds`: the instances it was sent for (those still needing it). */
  z.object({
    status: z.literal("started"),
    handle: OperationHandleSchema,
    stateBefore: PowerStateSchema,
    instanceIds: z.array(z.string()).optional(),
    /** ARM's rate-limit headers say a budget of this resource is nearly spent: wait this long before polling. */
    paceSeconds: PaceSecondsSchema,
  }),
  /** Already in or past the step's target state: nothing was sent. */
  z.object({ status: z.literal("alreadyDone"), state: PowerStateSchema }),
  /** The step's transition is already under way (e.g. a re-run after a lost completion): nothing was sent. */
  z.object({ status: z.literal("inTransition"), state: PowerStateSchema, paceSeconds: PaceSecondsSchema }),
  ArmFailureSchema,
]);
export type BeginPowerOperationResult = z.output<typeof BeginPowerOperationOutput>;

export const beginPowerOperationActivity = defineActivity(
  "beginPowerOperation",
  BeginPowerOperationInput,
  BeginPowerOperationOutput,
);
