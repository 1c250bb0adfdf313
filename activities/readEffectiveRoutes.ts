/** Activity: start, or poll once, the read of a canary NIC's effective routes; the list once ARM says it has finished. */
import { bindActivity, type BoundActivity } from "./binding";
import { readEffectiveRoutesActivity } from "../src/contracts/durable/readEffectiveRoutes";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function readEffectiveRoutes({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(readEffectiveRoutesActivity, (input) =>
    callArm(gateway, async (arm) => {
      const handle = input.handle;
      if (handle === undefined) return arm.beginGetEffectiveRoutes(input.nicId);
      const operation = await arm.getOperationStatus(handle);
      if (operation.status === "InProgress") {
        return { status: "inProgress" as const, retryAfterSeconds: operation.retryAfterSeconds };
      }
      if (operation.status !== "Succeeded") {
        return {
          status: "readFailed" as const,
          code: operation.error?.code ?? operation.status,
          message: operation.error?.message ?? `the effective-routes read ended ${operation.status}`,
        };
      }
      return { status: "done" as const, routes: await arm.getEffectiveRoutesResult(handle) };
    }),
  );
}
