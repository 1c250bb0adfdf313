/**
 * Activity contract: one poll of a VM's power step through the fleet's shared status listing
 * (src/azure/fleetObserver.ts), falling back to the VM's own reads (readPowerState) whenever the listing does not
 * settle the question: listing would cost more than reading, the VM is missing from it, its power state is unknown,
 * its provisioning failed, or it shows no sign of the step.
 */
import { z } from "zod";
import { SubscriptionVmsSchema } from "./common";
import { defineActivity } from "../define";
import { PowerStepSchema } from "../plan";
import { ReadPowerStateInput, ReadPowerStateOutput } from "./readPowerState";
import { BeginPowerOperationOutput } from "./beginPowerOperation";

export const ObservePowerStateInput = ReadPowerStateInput.extend({
  /** The step being watched; absent for a plain read of the state (before a VM's first step). */
  step: PowerStepSchema.optional(),
  /** The orchestration's current time: how recent a shared listing must be. */
  asOf: z.iso.datetime(),
  /** A listing taken before this time (the step's begin) cannot show the step, and is not used. */
  notBefore: z.iso.datetime(),
  /**
   * The VM's next step, sent by this very poll when it shows the watched step (`after`) ended in a stable state (the rule of
   * `pollEndState`), on the state it saw — what the orchestration would otherwise send in the next episode, with that
   * state as `knownState`. `requestedAt` plays the same part as beginPowerOperation's: a re-run after a lost
   * completion on the same worker answers as the first run did.
   */
  thenSend: z.object({ after: PowerStepSchema, step: PowerStepSchema, requestedAt: z.iso.datetime() }).optional(),
  /** See SubscriptionVmsSchema. */
  subscriptionVms: SubscriptionVmsSchema,
});
export type ObservePowerStateInput = z.output<typeof ObservePowerStateInput>;

const [ReadOk, ReadFailure] = ReadPowerStateOutput.options;

export const ObservePowerStateOutput = z.discriminatedUnion("status", [
  ReadOk.extend({
    /** "listing": from the shared listing (no operation status read); "resource": the VM's own reads. */
    observedBy: z.enum(["listing", "resource"]).default("resource"),
    /** Seconds until the shared listing is renewed: polling sooner sees the same states. */
    freshForSeconds: z.number().int().min(0).max(600).optional(),
    /** With `thenSend`, when the poll showed the step ended: the next step's send, as beginPowerOperation answers it. */
    next: BeginPowerOperationOutput.optional(),
  }),
  ReadFailure,
]);
export type ObservePowerStateResult = z.output<typeof ObservePowerStateOutput>;

export const observePowerStateActivity = defineActivity(
  "observePowerState",
  ObservePowerStateInput,
  ObservePowerStateOutput,
);
