/**
 * Activity: raises a lane's "cancel" to its chains in flight (src/contracts/durable/relayCancel.ts). A chain that has
 * ended takes the event and ignores it; one that is not there is named, not an error.
 */
import * as df from "durable-functions";
import { bindActivity, type BoundActivity } from "./binding";
import { relayCancelActivity } from "../src/contracts/durable/relayCancel";
import { CANCEL_EVENT } from "../src/contracts/names";
import { tryRaiseEvent } from "../src/durableClient";

export function relayCancel(): BoundActivity {
  return bindActivity(
    relayCancelActivity,
    async ({ instanceIds, event }, context) => {
      const client = df.getClient(context);
      const delivered: string[] = [];
      const missing: string[] = [];
      for (const id of instanceIds) {
        const raised = await tryRaiseEvent(client, id, CANCEL_EVENT, event ?? null);
        (raised.delivered ? delivered : missing).push(id);
      }
      return { delivered, missing };
    },
    { durableClient: true },
  );
}
