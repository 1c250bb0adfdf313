/** Activity contract: one poll of a power step: the operation's status and/or the resource's power state. */
import { z } from "zod";
import { defineActivity } from "../define";
import { OperationHandleSchema, OperationStatusSchema } from "../azure";
import { ArmResourceIdSchema } from "../ids";
import { PowerStateSchema } from "../power";
import { PowerStepSchema } from "../plan";
import { ArmFailureSchema, CycleKindSchema, PaceSecondsSchema } from "./common";

export const ReadPowerStateInput = z.object({
  resourceId: ArmResourceIdSchema,
  kind: CycleKindSchema,
  /** Scale sets: the instances of interest (all when absent). */
  instanceIds: z.array(z.string().min(1)).optional(),
  /**
   * The operation to check first. While it is in progress the resource itself is not read (one request per
   * poll); once it has ended, the resource is read when `readStateWhenDone` is set or the operation failed.
   */
  handle: OperationHandleSchema.optional(),
  readStateWhenDone: z.boolean().default(true),
  /**
   * The first poll of a cycle's last step: with `readStateWhenDone`, a VM's own state is read first — its target
   * both ends the step and confirms it in one request, a transitional state says it still runs — and the operation
   * only when the state shows no sign of the step (for its error). Later polls read the operation: a VM's instance
   * view allows about 12 reads in 3 minutes (Compute's Low Cost Get per VM), an operation's status its own budget.
   */
  stateFirstFor: PowerStepSchema.optional(),
});

export const InstanceStateSchema = z.object({
  instanceId: z.string(),
  powerState: PowerStateSchema,
  provisioningState: z.string(),
});

export const ReadPowerStateOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    operation: OperationStatusSchema.optional(),
    /** ARM's rate-limit headers say a budget of this resource is nearly spent: wait this long before the next read. */
    paceSeconds: PaceSecondsSchema,
    /** Present when the resource was read. */
    resource: z
      .object({
        exists: z.boolean(),
        /** VMs: the power state; scale sets: "unknown" (see instances). */
        powerState: PowerStateSchema,
        provisioningState: z.string().optional(),
        instances: z.array(InstanceStateSchema).optional(),
      })
      .optional(),
  }),
  ArmFailureSchema,
]);
export type ReadPowerStateResult = z.output<typeof ReadPowerStateOutput>;

export const readPowerStateActivity = defineActivity("readPowerState", ReadPowerStateInput, ReadPowerStateOutput);
