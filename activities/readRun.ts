/**
 * Activity: where a run started by startRun stands, read from its instance: live, completed with its output, or ended
 * otherwise (failed, terminated, purged, or its instance since taken by a later run). The waiter's safety net when the
 * run's runEnded event does not come (a run that failed or was terminated sends none).
 */
import * as df from "durable-functions";
import { z } from "zod";
import { bindActivity, type BoundActivity } from "./binding";
import { readRunActivity, type ReadRunOutput } from "../src/contracts/durable/runStart";
import { RemediationOutputSchema } from "../src/contracts/remediation";
import { tryGetStatus } from "../src/durableClient";
import { isLive } from "../src/domain/campaignMembers";
import { clip, TEXT_LIMITS } from "../src/contracts/textLimits";

const RunOfInput = z.object({ runId: z.string().optional() });

export function readRun(): BoundActivity {
  return bindActivity(
    readRunActivity,
    async ({ instanceId, runId }, context): Promise<ReadRunOutput> => {
      const status = await tryGetStatus(df.getClient(context), instanceId, true);
      if (status === undefined)
        return {
          state: "ended",
          runtimeStatus: "Unknown",
          message: `instance ${instanceId} no longer exists (purged)`,
        };
      const held = RunOfInput.safeParse(status.input);
      if (!held.success || held.data.runId !== runId) {
        return {
          state: "ended",
          runtimeStatus: status.runtimeStatus,
          message: `instance ${instanceId} now holds another run (${held.success ? (held.data.runId ?? "?") : "?"}); see run ${runId}'s audit record`,
        };
      }
      if (isLive(status)) return { state: "live", runtimeStatus: status.runtimeStatus };
      const output = RemediationOutputSchema.safeParse(status.output);
      if (status.runtimeStatus === df.OrchestrationRuntimeStatus.Completed && output.success)
        return { state: "completed", output: output.data };
      const said = typeof status.output === "string" ? status.output : JSON.stringify(status.output ?? null);
      return {
        state: "ended",
        runtimeStatus: status.runtimeStatus,
        message: `the run ended ${status.runtimeStatus.toLowerCase()}: ${clip(said, TEXT_LIMITS.detail)}`,
      };
    },
    { durableClient: true },
  );
}
