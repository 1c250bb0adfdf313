/**
 * Activity contract: a canary NIC's effective routes (NetworkInterfaces_GetEffectiveRouteTable, a long-running POST).
 * Without a handle it starts the read; with one it polls it once and reads the list once ARM says it has finished.
 */
import { z } from "zod";
import { defineActivity } from "../define";
import { EffectiveRouteSchema } from "../egress";
import { OperationHandleSchema } from "../azure";
import { ArmResourceIdSchema } from "../ids";
import { ArmFailureSchema } from "./common";

const ReadEffectiveRoutesInput = z.object({
  nicId: ArmResourceIdSchema,
  handle: OperationHandleSchema.optional(),
});

const ReadEffectiveRoutesOutput = z.discriminatedUnion("status", [
  z.object({ status: z.literal("started"), handle: OperationHandleSchema }),
  z.object({ status: z.literal("inProgress"), retryAfterSeconds: z.number().min(0).optional() }),
  z.object({ status: z.literal("done"), routes: z.array(EffectiveRouteSchema) }),
  /** The operation itself ended Failed or Canceled: no list to read. */
  z.object({ status: z.literal("readFailed"), code: z.string(), message: z.string() }),
  ArmFailureSchema,
]);
export type ReadEffectiveRoutesResult = z.output<typeof ReadEffectiveRoutesOutput>;

export const readEffectiveRoutesActivity = defineActivity(
  "readEffectiveRoutes",
  ReadEffectiveRoutesInput,
  ReadEffectiveRoutesOutput,
);
