/** Activity: every subscription under a management group, at any depth (Management Groups API, descendants). */
import { bindActivity, type BoundActivity } from "./binding";
import { listManagementGroupSubscriptionsActivity } from "../src/contracts/durable/campaign";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function listManagementGroupSubscriptions({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(listManagementGroupSubscriptionsActivity, (input) =>
    callArm(gateway, async (arm) => {
      const found = await arm.listManagementGroupSubscriptions(input.managementGroupId);
      const seen = new Set<string>();
      const subscriptions = found.flatMap((s) => {
        const id = s.subscriptionId.toLowerCase();
        if (seen.has(id)) return [];
        seen.add(id);
        return [{ subscriptionId: id, ...(s.displayName !== "" ? { displayName: s.displayName.slice(0, 256) } : {}) }];
      });
      return { status: "ok" as const, subscriptions };
    }),
  );
}
