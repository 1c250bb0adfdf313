/**
 * Activity: tells the instance waiting for a run (its lane, a re-verification) that the run ended, with its output,
 * as an external event. A waiter that has ended (404, 410) is not an error: nobody is waiting any more.
 */
import * as df from "durable-functions";
import { bindActivity, type BoundActivity } from "./binding";
import { runEndedEvent, signalRunEndedActivity } from "../src/contracts/durable/runStart";
import { tryRaiseEvent } from "../src/durableClient";
import { clip, TEXT_LIMITS } from "../src/contracts/textLimits";

export function signalRunEnded(): BoundActivity {
  return bindActivity(
    signalRunEndedActivity,
    async ({ waiterInstanceId, runId, output }, context) => {
      const raised = await tryRaiseEvent(df.getClient(context), waiterInstanceId, runEndedEvent(runId), output);
      return raised.delivered ? raised : { delivered: false, detail: clip(raised.detail, TEXT_LIMITS.note) };
    },
    { durableClient: true },
  );
}
