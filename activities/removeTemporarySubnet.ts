/** Activity: delete the temporary subnet; absent counts as done and one already being deleted is left to finish. */
import { bindActivity, type BoundActivity } from "./binding";
import { removeTemporarySubnetActivity } from "../src/contracts/durable/removeTemporarySubnet";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function removeTemporarySubnet({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(removeTemporarySubnetActivity, (input) =>
    callArm(
      gateway,
      async (arm) => {
        const existing = await arm.getSubnet(input.vnetId, input.subnetName);
        if (!existing.exists) return { status: "absent" as const };
        if (existing.provisioningState?.toLowerCase() === "deleting") return { status: "deleting" as const };
        return { status: "started" as const, handle: await arm.beginDeleteSubnet(input.vnetId, input.subnetName) };
      },
      // Deleted between our read and our request: the goal is met.
      (failure) => (failure.status === "notFound" ? { status: "absent" as const } : failure),
    ),
  );
}
