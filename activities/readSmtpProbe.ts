/** Activity: one poll of a connectivity check; reads its result once ARM says it has finished. */
import { bindActivity, type BoundActivity } from "./binding";
import { readSmtpProbeActivity } from "../src/contracts/durable/readSmtpProbe";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function readSmtpProbe({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(readSmtpProbeActivity, (input) =>
    callArm(gateway, async (arm) => {
      const operation = await arm.getOperationStatus(input.handle);
      if (operation.status === "InProgress") {
        return {
          status: "inProgress" as const,
          ...(operation.retryAfterSeconds !== undefined ? { retryAfterSeconds: operation.retryAfterSeconds } : {}),
        };
      }
      if (operation.status !== "Succeeded") {
        return {
          status: "checkFailed" as const,
          code: operation.error?.code ?? operation.status,
          message: operation.error?.message ?? `the connectivity check ended ${operation.status}`,
        };
      }
      return { status: "done" as const, result: await arm.getConnectivityResult(input.handle) };
    }),
  );
}
