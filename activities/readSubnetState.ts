/** Activity: one poll of a temporary subnet — its operation's status, then the subnet once that has ended. */
import { bindActivity, type BoundActivity } from "./binding";
import { readSubnetStateActivity } from "../src/contracts/durable/readSubnetState";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function readSubnetState({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(readSubnetStateActivity, (input) =>
    callArm(gateway, async (arm) => {
      if (input.handle !== undefined) {
        const operation = await arm.getOperationStatus(input.handle);
        if (operation.status === "InProgress") return { status: "ok" as const, operation };
        return { status: "ok" as const, operation, subnet: await arm.getSubnet(input.vnetId, input.subnetName) };
      }
      return { status: "ok" as const, subnet: await arm.getSubnet(input.vnetId, input.subnetName) };
    }),
  );
}
