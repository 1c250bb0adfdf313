/**
 * Activity contract: a lane hands the "cancel" it heard on to its chains in flight (orchestrations/cycleBatch.ts), so
 * that a chain starts no further resource. An instance that has ended is not an error: it has nothing left to start.
 */
import { z } from "zod";
import { defineActivity } from "../define";
import { CancelEventSchema } from "../events";

const RelayCancelInput = z.object({
  instanceIds: z.array(z.string().min(1)).min(1),
  /** The canceller's event as the lane heard it; absent when what it heard did not read as one. */
  event: CancelEventSchema.optional(),
});
const RelayCancelOutput = z.object({
  /** The instances the event was raised to. */
  delivered: z.array(z.string()),
  /** The instances no longer there (ended and purged, or never created). */
  missing: z.array(z.string()),
});

export const relayCancelActivity = defineActivity("relayCancel", RelayCancelInput, RelayCancelOutput);
