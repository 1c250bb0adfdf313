/** Activity contract: delete the temporary subnet (absent already counts as done). */
import { z } from "zod";
import { defineActivity } from "../define";
import { OperationHandleSchema } from "../azure";
import { ArmResourceIdSchema } from "../ids";
import { TempSubnetNameSchema } from "./addTemporarySubnet";
import { ArmFailureSchema } from "./common";

export const RemoveTemporarySubnetInput = z.object({
  vnetId: ArmResourceIdSchema,
  subnetName: TempSubnetNameSchema,
});

export const RemoveTemporarySubnetOutput = z.discriminatedUnion("status", [
  z.object({ status: z.literal("started"), handle: OperationHandleSchema }),
  /** Already being deleted: nothing was sent. */
  z.object({ status: z.literal("deleting") }),
  /** No such subnet: nothing to do. */
  z.object({ status: z.literal("absent") }),
  ArmFailureSchema,
]);
export type RemoveTemporarySubnetResult = z.output<typeof RemoveTemporarySubnetOutput>;

export const removeTemporarySubnetActivity = defineActivity(
  "removeTemporarySubnet",
  RemoveTemporarySubnetInput,
  RemoveTemporarySubnetOutput,
);
