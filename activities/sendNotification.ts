/**
 * Activity: one attempt at telling people of an event. The first attempt writes the event to the log as one
 * structured trace line (Application Insights' `traces`, which the alert rules query); every attempt posts to the
 * webhooks it is given. A webhook that fails is reported as data, so the orchestration retries only those.
 */
import { bindActivity, type BoundActivity } from "./binding";
import { sendNotificationActivity } from "../src/contracts/durable/sendNotification";
import { EVENT_TRACE_PREFIX } from "../src/contracts/notification";
import { messageOf } from "../src/notify/format";
import { postToWebhooks } from "../src/notify/webhooks";
import type { ActivityDeps } from "./deps";

export function sendNotification({ notifier }: ActivityDeps): BoundActivity {
  return bindActivity(sendNotificationActivity, async (input, context) => {
    const message = messageOf(input.event, notifier.baseUrl);
    if (input.attempt === 1) context.log(`${EVENT_TRACE_PREFIX}${JSON.stringify(message)}`);
    const results = await postToWebhooks(notifier, message, input.targets);
    return { configured: notifier.webhooks.length, results };
  });
}
