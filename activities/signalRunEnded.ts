/**
 * Activity: tells the instance waiting for a run (its lane, a re-verification) that the run ended, with its output,
 * as an external event. A waiter that has ended (404, 410) is not an error: nobody is waiting any more.
 */
import * as df from "durable-functions";
import { bindActivity, type BoundActivity } from "./binding";
import { runEndedEvent, signalRunEndedActivity } from "../src/contracts/durable/runStart";
import { ensureError } from "../src/errors";
import { clip, TEXT_LIMITS } from "../src/contracts/textLimits";

export function signalRunEnded(): BoundActivity {
  return bindActivity(
    signalRunEndedActivity,
    async ({ waiterInstanceId, runId, output }, context) => {
      try {
        await df.getClient(context).raiseEvent(waiterInstanceId, runEndedEvent(runId), output);
        return { delivered: true };
      } catch (e) {
        const message = ensureError(e).message;
        if (/No instance with ID|\b404\b/i.test(message))
          return { delivered: false, detail: clip(message, TEXT_LIMITS.note) };
        throw e;
      }
    },
    { durableClient: true },
  );
}
