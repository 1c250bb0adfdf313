/** Activity contract: one poll of a connectivity check; its result once it has finished. */
import { z } from "zod";
import { defineActivity } from "../define";
import { ConnectivityResultSchema, OperationHandleSchema } from "../azure";
import { ArmFailureSchema } from "./common";

export const ReadSmtpProbeInput = z.object({ handle: OperationHandleSchema });

export const ReadSmtpProbeOutput = z.discriminatedUnion("status", [
  z.object({ status: z.literal("inProgress"), retryAfterSeconds: z.number().min(0).optional() }),
  z.object({ status: z.literal("done"), result: ConnectivityResultSchema }),
  /** The check itself failed (e.g. the agent is missing on the VM): no verdict on port 25. */
  z.object({ status: z.literal("checkFailed"), code: z.string(), message: z.string() }),
  ArmFailureSchema,
]);
export type ReadSmtpProbeResult = z.output<typeof ReadSmtpProbeOutput>;

export const readSmtpProbeActivity = defineActivity("readSmtpProbe", ReadSmtpProbeInput, ReadSmtpProbeOutput);
