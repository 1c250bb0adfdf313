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
  /**
   * VMs: the power state a read made since the previous step began has just shown (the poll that saw that step end).
   * The activity then sends the step without reading the VM first; ARM answers a step already done or under way as
   * a no-op or by joining it, and anything else with a conflict, after which the orchestration reads again.
   */
  knownState: PowerStateSchema.optional(),
  /**
   * With knownState: the orchestration time this send was scheduled at. A re-run of the same send after a lost
   * completion, on the same worker, answers as the first run did instead of sending again.
   */
  requestedAt: z.iso.datetime().optional(),
  /**
   * The first write on a resource: the state the plan listed (for a scale set, that each named instance is in). The
   * activity then always reads first, and when the read shows another state (someone else stopped, deallocated,
   * started or is changing it since the plan) sends nothing and answers `changed`. With `requestedAt`, a re-run
   * after a lost completion on the same worker answers as the first run did.
   */
  expectedState: PowerStateSchema.optional(),
  /**
   * With expectedState, a first write sent again after an earlier attempt was throttled or met a conflict: the
   * orchestration time its first attempt was scheduled at. The send is recorded (the worker's journal, the send-intent record) under the first
   * attempt's time, so that an attempt finds what an earlier one sent though that attempt's answer was lost (answered
   * again by a re-run as throttled, nothing sent by the re-run itself), and takes the step under way for its own.
   */
  firstRequestedAt: z.iso.datetime().optional(),
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
  /**
   * Not in the state the plan listed (expectedState): someone else acted since the plan, and nothing was sent.
   * `instanceIds`: for a scale set, the instances found otherwise.
   */
  z.object({ status: z.literal("changed"), state: PowerStateSchema, instanceIds: z.array(z.string()).optional() }),
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
