/** Activity: one poll of a connectivity check; reads its result once ARM says it has finished. */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import { readSmtpProbeActivity, type ReadSmtpProbeInput, type ReadSmtpProbeOutput } from "../src/contracts/functions/readSmtpProbe";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function readSmtpProbe(input: z.output<typeof ReadSmtpProbeInput>): Promise<z.input<typeof ReadSmtpProbeOutput>> {
  try {
    const arm = gateway();
    const operation = await arm.getOperationStatus(input.handle);
    if (operation.status === "InProgress") {
      return { status: "inProgress", ...(operation.retryAfterSeconds !== undefined ? { retryAfterSeconds: operation.retryAfterSeconds } : {}) };
    }
    if (operation.status !== "Succeeded") {
      return {
        status: "checkFailed",
        code: operation.error?.code ?? operation.status,
        message: operation.error?.message ?? `the connectivity check ended ${operation.status}`,
      };
    }
    return { status: "done", result: await arm.getConnectivityResult(input.handle) };
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

registerActivity(readSmtpProbeActivity, readSmtpProbe);
