/** Activity contract: read the subscription and its billing property, and classify it. */
import { z } from "zod";
import { defineActivity } from "../define";
import { ClassificationSchema } from "../classification";
import { BillingReadSchema, SubscriptionInfoSchema } from "../discovery";
import { SubscriptionIdSchema } from "../ids";

export const ClassifySubscriptionInput = z.object({ subscriptionId: SubscriptionIdSchema });
export const ClassifySubscriptionOutput = z.object({
  classification: ClassificationSchema,
  subscription: SubscriptionInfoSchema,
  billing: BillingReadSchema,
});

export const classifySubscriptionActivity = defineActivity(
  "classifySubscription",
  ClassifySubscriptionInput,
  ClassifySubscriptionOutput,
);
