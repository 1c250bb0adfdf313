/** Activity: create the temporary subnet; an existing subnet of that name (a re-run) is reused, not re-sent. */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  addTemporarySubnetActivity,
  type AddTemporarySubnetInput,
  type AddTemporarySubnetOutput,
} from "../src/contracts/functions/addTemporarySubnet";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function addTemporarySubnet(
  input: z.output<typeof AddTemporarySubnetInput>,
): Promise<z.input<typeof AddTemporarySubnetOutput>> {
  try {
    const arm = gateway();
    const existing = await arm.getSubnet(input.vnetId, input.subnetName);
    if (existing.exists) {
      return {
        status: "exists",
        ...(existing.provisioningState !== undefined ? { provisioningState: existing.provisioningState } : {}),
        ...(existing.addressPrefix !== undefined ? { addressPrefix: existing.addressPrefix } : {}),
      };
    }
    return { status: "started", handle: await arm.beginCreateSubnet(input.vnetId, input.subnetName, input.addressPrefix) };
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

registerActivity(addTemporarySubnetActivity, addTemporarySubnet);
