/** Activity contract: start a Network Watcher connectivity check from a VM to host:25 over TCP. */
import { z } from "zod";
import { defineActivity } from "../define";
import { ConnectivityResultSchema, OperationHandleSchema } from "../azure";
import { NetworkWatcherInfoSchema } from "../discovery";
import { ArmResourceIdSchema } from "../ids";
import { ArmFailureSchema } from "./common";

export const SMTP_PORT = 25;

export const BeginSmtpProbeInput = z.object({
  vmId: ArmResourceIdSchema,
  /** The Network Watcher of the VM's region. */
  watcher: NetworkWatcherInfoSchema,
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(SMTP_PORT),
});

export const BeginSmtpProbeOutput = z.discriminatedUnion("status", [
  z.object({ status: z.literal("started"), handle: OperationHandleSchema }),
  /** ARM answered with the result at once (200). */
  z.object({ status: z.literal("done"), result: ConnectivityResultSchema }),
  ArmFailureSchema,
]);
export type BeginSmtpProbeResult = z.output<typeof BeginSmtpProbeOutput>;

export const beginSmtpProbeActivity = defineActivity("beginSmtpProbe", BeginSmtpProbeInput, BeginSmtpProbeOutput);
