/** Activity contract: create the temporary subnet in a VNet (reusing it if it already exists). */
import { z } from "zod";
import { defineActivity } from "../define";
import { OperationHandleSchema } from "../azure";
import { ArmResourceIdSchema } from "../ids";
import { TEMP_SUBNET_PREFIX } from "../options";
import { ArmFailureSchema } from "./common";

/** Only subnets named with the product's prefix may be created or deleted (leak detection relies on it). */
export const TempSubnetNameSchema = z
  .string()
  .min(TEMP_SUBNET_PREFIX.length + 1)
  .max(80)
  .refine((n) => n.startsWith(TEMP_SUBNET_PREFIX), `must start with ${TEMP_SUBNET_PREFIX}`);

const AddTemporarySubnetInput = z.object({
  vnetId: ArmResourceIdSchema,
  subnetName: TempSubnetNameSchema,
  addressPrefix: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR"),
  /** The network security group the subnet carries (a landing zone's policy may deny a subnet without one). */
  networkSecurityGroupId: ArmResourceIdSchema.optional(),
});

const AddTemporarySubnetOutput = z.discriminatedUnion("status", [
  z.object({ status: z.literal("started"), handle: OperationHandleSchema }),
  /** A subnet with this name already exists (a re-run): nothing was sent. */
  z.object({
    status: z.literal("exists"),
    provisioningState: z.string().optional(),
    addressPrefix: z.string().optional(),
  }),
  ArmFailureSchema,
]);

export const addTemporarySubnetActivity = defineActivity(
  "addTemporarySubnet",
  AddTemporarySubnetInput,
  AddTemporarySubnetOutput,
);
