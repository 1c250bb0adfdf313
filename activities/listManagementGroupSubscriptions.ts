/** Activity: every subscription under a management group, at any depth (Management Groups API, descendants). */
import { bindActivity, type BoundActivity } from "./binding";
import { listManagementGroupSubscriptionsActivity } from "../src/contracts/durable/campaign";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";
import { clip, TEXT_LIMITS } from "../src/contracts/textLimits";

export function listManagementGroupSubscriptions({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(listManagementGroupSubscriptionsActivity, (input) =>
    callArm(gateway, async (arm) => {
      const found = await arm.listManagementGroupSubscriptions(input.managementGroupId);
      const seen = new Set<string>();
      const subscriptions = found.flatMap((s) => {
        const id = s.subscriptionId.toLowerCase();
        if (seen.has(id)) return [];
        seen.add(id);
        return [
          {
            subscriptionId: id,
            ...(s.displayName !== "" ? { displayName: clip(s.displayName, TEXT_LIMITS.name) } : {}),
          },
        ];
      });
      return { status: "ok" as const, subscriptions };
    }),
  );
}
