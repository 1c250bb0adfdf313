/** Activity: read the subscription and its billing property, then classify it (domain rules). */
import { bindActivity, type BoundActivity } from "./binding";
import { classifySubscriptionActivity } from "../src/contracts/durable/classifySubscription";
import { classifySubscription as classify } from "../src/domain/classify";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function classifySubscription({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(classifySubscriptionActivity, (input) =>
    callArm(gateway, async (arm) => {
      const subscription = await arm.getSubscription(input.subscriptionId);
      // Never throws for 401/403/404: an unreadable property is itself a verdict (unknown, permission named).
      const billing = await arm.getBillingProperty(input.subscriptionId);
      return { status: "ok" as const, classification: classify(billing, subscription), subscription, billing };
    }),
  );
}
