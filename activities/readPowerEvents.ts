/** Activity: the Activity Log's Succeeded deallocate and start events of the subscription's machines, in a window. */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import { readPowerEventsActivity, type ReadPowerEventsInput, type ReadPowerEventsOutput } from "../src/contracts/functions/readPowerEvents";
import { relevantPowerEvents } from "../src/domain/stragglers";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function readPowerEvents(input: z.output<typeof ReadPowerEventsInput>): Promise<z.input<typeof ReadPowerEventsOutput>> {
  try {
    const events = await gateway().listPowerEvents(input.subscriptionId, input.from, input.to);
    return { status: "ok", from: input.from, to: input.to, events: relevantPowerEvents(events, input.exemptionEffectiveAt) };
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

registerActivity(readPowerEventsActivity, readPowerEvents);
