/** Activity contract: the Activity Log's deallocate and start events that re-verification needs. */
import { z } from "zod";
import { defineActivity } from "../define";
import { PowerEventSchema } from "../discovery";
import { ArmResourceIdSchema, SubscriptionIdSchema } from "../ids";
import { ArmFailureSchema } from "./common";

const ReadPowerEventsInput = z
  .object({
    subscriptionId: SubscriptionIdSchema,
    /** The window to read: at most the log's 90 days back from `to` (the orchestration's clock). */
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    /** When the exemption took effect: only the events that can tell a start since then from deallocated are kept. */
    exemptionEffectiveAt: z.iso.datetime({ offset: true }).optional(),
    /**
     * One resource instead of the subscription: its power events (powerOff, deallocate, start, delete, evictSpotVM),
     * Started or Succeeded, with the caller, unreduced: who changed it during a run, and when.
     */
    resourceId: ArmResourceIdSchema.optional(),
  })
  .refine((i) => (i.exemptionEffectiveAt === undefined) !== (i.resourceId === undefined), {
    message: "give exemptionEffectiveAt (the subscription's events) or resourceId (one resource's), not both",
    path: ["resourceId"],
  });

const ReadPowerEventsOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    /** Succeeded deallocate and start events, oldest first, reduced to those that matter (relevantPowerEvents). */
    events: z.array(PowerEventSchema),
  }),
  ArmFailureSchema,
]);

export const readPowerEventsActivity = defineActivity("readPowerEvents", ReadPowerEventsInput, ReadPowerEventsOutput);
