/**
 * Activity: the Activity Log's Succeeded deallocate and start events of the subscription's machines, in a window;
 * or one resource's power events with their caller (who changed it during a run).
 */
import { bindActivity, type BoundActivity } from "./binding";
import { readPowerEventsActivity } from "../src/contracts/durable/readPowerEvents";
import { relevantPowerEvents } from "../src/domain/stragglers";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function readPowerEvents({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(readPowerEventsActivity, (input) =>
    callArm(gateway, async (arm) => {
      if (input.resourceId !== undefined) {
        return {
          status: "ok" as const,
          from: input.from,
          to: input.to,
          events: await arm.listResourcePowerEvents(input.resourceId, input.from, input.to),
        };
      }
      const events = await arm.listPowerEvents(input.subscriptionId, input.from, input.to);
      return {
        status: "ok" as const,
        from: input.from,
        to: input.to,
        events: relevantPowerEvents(events, input.exemptionEffectiveAt ?? input.from),
      };
    }),
  );
}
