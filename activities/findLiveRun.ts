/**
 * Activity: whether a subscription has a live run (its remediationInstanceId is pending, running or suspended),
 * whoever started it. The campaign asks just before starting a subscription's run, so that a run started by hand
 * (or by another campaign) is reported rather than started twice.
 */
import * as df from "durable-functions";
import { z } from "zod";
import { bindActivity, type BoundActivity } from "../src/functions/registerActivity";
import { findLiveRunActivity } from "../src/contracts/functions/campaign";
import { remediationInstanceId } from "../src/contracts/remediation";
import { findLiveInstance } from "../src/functions/instances";

const StarterOfInput = z.object({ runId: z.string().optional(), requestedBy: z.string().optional() });

export function findLiveRun(): BoundActivity {
  return bindActivity(
    findLiveRunActivity,
    async (input, context) => {
      const instanceId = remediationInstanceId(input.subscriptionId);
      const status = await findLiveInstance(df.getClient(context), instanceId, true);
      if (status === undefined) return { live: false, instanceId };
      const starter = StarterOfInput.safeParse(status.input);
      return {
        live: true,
        instanceId,
        runtimeStatus: status.runtimeStatus,
        ...(starter.success && starter.data.runId !== undefined ? { runId: starter.data.runId } : {}),
        ...(starter.success && starter.data.requestedBy !== undefined ? { requestedBy: starter.data.requestedBy } : {}),
      };
    },
    { durableClient: true },
  );
}
