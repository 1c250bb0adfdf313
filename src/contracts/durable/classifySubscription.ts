/** Activity contract: read the subscription and its billing property, and classify it. */
import { z } from "zod";
import { defineActivity } from "../define";
import { ClassificationSchema } from "../classification";
import { BillingReadSchema, SubscriptionInfoSchema } from "../discovery";
import { SubscriptionIdSchema } from "../ids";
import { ArmFailureSchema } from "./common";

export const ClassifySubscriptionInput = z.object({ subscriptionId: SubscriptionIdSchema });
/** Throttling (and a refused subscription read) come back as data; see discoverResources. */
export const ClassifySubscriptionOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    classification: ClassificationSchema,
    subscription: SubscriptionInfoSchema,
    billing: BillingReadSchema,
  }),
  ArmFailureSchema,
]);

export const classifySubscriptionActivity = defineActivity(
  "classifySubscription",
  ClassifySubscriptionInput,
  ClassifySubscriptionOutput,
);
