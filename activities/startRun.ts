/**
 * Activity: starts a subscription's run under its own instance id through the durable client, the way Microsoft
 * documents singletons (Learn, "Singleton orchestrators in Durable Functions"): the live check right before the start,
 * and the start itself refused by the engine while an instance of that id is Running or Pending
 * (`overridableExistingInstanceStates: NonRunningStates`, the default since Durable Functions 2.x, Azure/durabletask#325).
 * Idempotent: an activity may run more than once, so a run of the same run id already on the instance is ours.
 */
import * as df from "durable-functions";
import { z } from "zod";
import { bindActivity, type BoundActivity } from "./binding";
import { startRunActivity, type StartRunOutput } from "../src/contracts/durable/runStart";
import { REMEDIATE_SUBSCRIPTION } from "../src/contracts/names";
import { tryGetStatus } from "../src/durableClient";
import { isLive } from "../src/domain/campaignMembers";

const RunOfInput = z.object({ runId: z.string().optional(), requestedBy: z.string().optional() });

/** What the instance holds now, from our start's point of view; undefined when it holds no live run and not ours. */
async function holder(
  client: df.DurableClient,
  instanceId: string,
  runId: string,
): Promise<StartRunOutput | undefined> {
  const status = await tryGetStatus(client, instanceId, true);
  if (status === undefined) return undefined;
  const run = RunOfInput.safeParse(status.input);
  const heldRunId = run.success ? run.data.runId : undefined;
  if (heldRunId === runId) return { status: "started", runtimeStatus: status.runtimeStatus };
  if (!isLive(status)) return undefined;
  return {
    status: "alreadyRunning",
    runtimeStatus: status.runtimeStatus,
    runId: heldRunId,
    ...(run.success && run.data.requestedBy !== undefined ? { requestedBy: run.data.requestedBy } : {}),
  };
}

export function startRun(): BoundActivity {
  return bindActivity(
    startRunActivity,
    async ({ instanceId, input }, context): Promise<StartRunOutput> => {
      const client = df.getClient(context);
      const before = await holder(client, instanceId, input.runId);
      if (before !== undefined) return before;
      try {
        await client.startNew(REMEDIATE_SUBSCRIPTION, { instanceId, input });
      } catch (e) {
        // Refused: a start of the same subscription came between the check and ours. Whatever words the engine
        // refuses in, the instance tells who holds it.
        const after = await holder(client, instanceId, input.runId);
        if (after === undefined) throw e;
        return after;
      }
      return { status: "started", runtimeStatus: "Pending" };
    },
    { durableClient: true },
  );
}
