/** Activity: start a Network Watcher connectivity check from the canary VM to the probe host on TCP 25. */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  beginSmtpProbeActivity,
  type BeginSmtpProbeInput,
  type BeginSmtpProbeOutput,
} from "../src/contracts/functions/beginSmtpProbe";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function beginSmtpProbe(
  input: z.output<typeof BeginSmtpProbeInput>,
): Promise<z.input<typeof BeginSmtpProbeOutput>> {
  try {
    return await gateway().beginConnectivityCheck(input.watcher, input.vmId, input.host, input.port);
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

registerActivity(beginSmtpProbeActivity, beginSmtpProbe);
