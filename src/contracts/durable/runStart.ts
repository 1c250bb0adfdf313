/**
 * Contracts of starting a subscription's run from an orchestration (a campaign's lane, a re-verification) and
 * following it to its end. The run is started by the durable client under the subscription's own instance id, which
 * the engine refuses while an instance of that id is Running or Pending (the singleton rule); never as a
 * sub-orchestration, whose start under a live id the engine documents no answer for (docs/architecture.md).
 */
import { z } from "zod";
import { defineActivity } from "../define";
import { RemediationInputSchema, RemediationOutputSchema } from "../remediation";

/** Event a run raises to its waiter when it ends, carrying its output (one name per run). */
export function runEndedEvent(runId: string): string {
  return `runEnded-${runId}`;
}

const StartRunInput = z.object({ instanceId: z.string().min(1), input: RemediationInputSchema });
export const StartRunOutput = z.discriminatedUnion("status", [
  /** The run of this input is the instance's (started now, or by an earlier attempt of this activity). */
  z.object({ status: z.literal("started"), runtimeStatus: z.string() }),
  /** Another run of the subscription is live: it was not started twice. */
  z.object({
    status: z.literal("alreadyRunning"),
    runtimeStatus: z.string(),
    runId: z.string().optional(),
    requestedBy: z.string().optional(),
  }),
]);
export type StartRunOutput = z.output<typeof StartRunOutput>;
export const startRunActivity = defineActivity("startRun", StartRunInput, StartRunOutput);

const ReadRunInput = z.object({ instanceId: z.string().min(1), runId: z.string().min(1) });
export const ReadRunOutput = z.discriminatedUnion("state", [
  z.object({ state: z.literal("live"), runtimeStatus: z.string() }),
  z.object({ state: z.literal("completed"), output: RemediationOutputSchema }),
  /** Failed, terminated, or its instance no longer holds this run (purged, or replaced by a later run). */
  z.object({ state: z.literal("ended"), runtimeStatus: z.string(), message: z.string() }),
]);
export type ReadRunOutput = z.output<typeof ReadRunOutput>;
export const readRunActivity = defineActivity("readRun", ReadRunInput, ReadRunOutput);

const SignalRunEndedInput = z.object({
  waiterInstanceId: z.string().min(1),
  runId: z.string().min(1),
  output: RemediationOutputSchema,
});
const SignalRunEndedOutput = z.object({ delivered: z.boolean(), detail: z.string().optional() });
export const signalRunEndedActivity = defineActivity("signalRunEnded", SignalRunEndedInput, SignalRunEndedOutput);
