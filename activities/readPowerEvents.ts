/** Activity: the Activity Log's Succeeded deallocate and start events of the subscription's machines, in a window. */
import { bindActivity, type BoundActivity } from "../src/functions/registerActivity";
import { readPowerEventsActivity } from "../src/contracts/functions/readPowerEvents";
import { relevantPowerEvents } from "../src/domain/stragglers";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function readPowerEvents({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(readPowerEventsActivity, (input) =>
    callArm(gateway, async (arm) => {
      const events = await arm.listPowerEvents(input.subscriptionId, input.from, input.to);
      return { status: "ok" as const, from: input.from, to: input.to, events: relevantPowerEvents(events, input.exemptionEffectiveAt) };
    }),
  );
}
