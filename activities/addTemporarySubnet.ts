/** Activity: create the temporary subnet; an existing subnet of that name (a re-run) is reused, not re-sent. */
import { bindActivity, type BoundActivity } from "./binding";
import { addTemporarySubnetActivity } from "../src/contracts/durable/addTemporarySubnet";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function addTemporarySubnet({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(addTemporarySubnetActivity, (input) =>
    callArm(gateway, async (arm) => {
      const existing = await arm.getSubnet(input.vnetId, input.subnetName);
      if (existing.exists) {
        return {
          status: "exists" as const,
          provisioningState: existing.provisioningState,
          addressPrefix: existing.addressPrefix,
        };
      }
      return {
        status: "started" as const,
        handle: await arm.beginCreateSubnet(
          input.vnetId,
          input.subnetName,
          input.addressPrefix,
          input.networkSecurityGroupId,
        ),
      };
    }),
  );
}
