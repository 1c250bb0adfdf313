/** Activity: read the subscription and its billing property, then classify it (domain rules). */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  classifySubscriptionActivity,
  type ClassifySubscriptionInput,
  type ClassifySubscriptionOutput,
} from "../src/contracts/functions/classifySubscription";
import { classifySubscription as classify } from "../src/domain/classify";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function classifySubscription(
  input: z.output<typeof ClassifySubscriptionInput>,
): Promise<z.input<typeof ClassifySubscriptionOutput>> {
  const arm = gateway();
  try {
    const subscription = await arm.getSubscription(input.subscriptionId);
    // Never throws for 401/403/404: an unreadable property is itself a verdict (unknown, permission named).
    const billing = await arm.getBillingProperty(input.subscriptionId);
    return { status: "ok", classification: classify(billing, subscription), subscription, billing };
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

registerActivity(classifySubscriptionActivity, classifySubscription);
