/** Activity contract: one poll of a temporary subnet (its operation's status, then the subnet itself). */
import { z } from "zod";
import { defineActivity } from "../define";
import { OperationHandleSchema, OperationStatusSchema, SubnetStateSchema } from "../azure";
import { ArmResourceIdSchema } from "../ids";
import { TempSubnetNameSchema } from "./addTemporarySubnet";
import { ArmFailureSchema } from "./common";

export const ReadSubnetStateInput = z.object({
  vnetId: ArmResourceIdSchema,
  subnetName: TempSubnetNameSchema,
  handle: OperationHandleSchema.optional(),
});

export const ReadSubnetStateOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    operation: OperationStatusSchema.optional(),
    /** Present unless the operation is still in progress. */
    subnet: SubnetStateSchema.optional(),
  }),
  ArmFailureSchema,
]);
export type ReadSubnetStateResult = z.output<typeof ReadSubnetStateOutput>;

export const readSubnetStateActivity = defineActivity("readSubnetState", ReadSubnetStateInput, ReadSubnetStateOutput);
