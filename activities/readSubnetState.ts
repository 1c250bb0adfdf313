/** Activity: one poll of a temporary subnet — its operation's status, then the subnet once that has ended. */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  readSubnetStateActivity,
  type ReadSubnetStateInput,
  type ReadSubnetStateOutput,
} from "../src/contracts/functions/readSubnetState";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function readSubnetState(
  input: z.output<typeof ReadSubnetStateInput>,
): Promise<z.input<typeof ReadSubnetStateOutput>> {
  try {
    const arm = gateway();
    if (input.handle !== undefined) {
      const operation = await arm.getOperationStatus(input.handle);
      if (operation.status === "InProgress") return { status: "ok", operation };
      return { status: "ok", operation, subnet: await arm.getSubnet(input.vnetId, input.subnetName) };
    }
    return { status: "ok", subnet: await arm.getSubnet(input.vnetId, input.subnetName) };
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

registerActivity(readSubnetStateActivity, readSubnetState);
