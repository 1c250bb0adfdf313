/** Activity: delete the temporary subnet; absent counts as done and one already being deleted is left to finish. */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  removeTemporarySubnetActivity,
  type RemoveTemporarySubnetInput,
  type RemoveTemporarySubnetOutput,
} from "../src/contracts/functions/removeTemporarySubnet";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function removeTemporarySubnet(
  input: z.output<typeof RemoveTemporarySubnetInput>,
): Promise<z.input<typeof RemoveTemporarySubnetOutput>> {
  try {
    const arm = gateway();
    const existing = await arm.getSubnet(input.vnetId, input.subnetName);
    if (!existing.exists) return { status: "absent" };
    if (existing.provisioningState?.toLowerCase() === "deleting") return { status: "deleting" };
    return { status: "started", handle: await arm.beginDeleteSubnet(input.vnetId, input.subnetName) };
  } catch (e) {
    const failure = toArmFailure(ensureError(e));
    // Deleted between our read and our request: the goal is met.
    return failure.status === "notFound" ? { status: "absent" } : failure;
  }
}

registerActivity(removeTemporarySubnetActivity, removeTemporarySubnet);
