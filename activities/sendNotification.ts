/**
 * Activity: one attempt at telling people of an event. The first attempt writes the event to the log as one
 * structured trace line (Application Insights' `traces`, which the alert rules query); every attempt posts to the
 * webhooks it is given. A webhook that fails is reported as data, so the orchestration retries only those.
 */
import type { InvocationContext } from "@azure/functions";
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import { sendNotificationActivity, type SendNotificationInput, type SendNotificationOutput } from "../src/contracts/functions/sendNotification";
import { EVENT_TRACE_PREFIX } from "../src/contracts/notification";
import { messageOf } from "../src/notify/format";
import { postToWebhooks, type NotifierDeps } from "../src/notify/webhooks";
import { notifier } from "./deps";

export async function sendNotificationWith(
  deps: NotifierDeps,
  input: SendNotificationInput,
  context: InvocationContext,
): Promise<z.input<typeof SendNotificationOutput>> {
  const message = messageOf(input.event, deps.baseUrl);
  if (input.attempt === 1) context.log(`${EVENT_TRACE_PREFIX}${JSON.stringify(message)}`);
  const results = await postToWebhooks(deps, message, input.targets);
  return { configured: deps.webhooks.length, results };
}

registerActivity(sendNotificationActivity, (input, context) => sendNotificationWith(notifier(), input, context));
