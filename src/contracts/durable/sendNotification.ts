/** Activity contract: one attempt at telling people of an event (App Insights trace, then the webhooks). */
import { z } from "zod";
import { defineActivity } from "../define";
import { NotificationEventSchema } from "../notification";

const SendNotificationInput = z.object({
  event: NotificationEventSchema,
  /** 1 for the first attempt, which also writes the App Insights trace; later attempts only retry webhooks. */
  attempt: z.number().int().min(1),
  /** Indexes of the configured webhooks to post to; absent = every one. */
  targets: z.array(z.number().int().min(0)).optional(),
});
export type SendNotificationInput = z.output<typeof SendNotificationInput>;

/**
 * A webhook named by its place in the setting, never by its address (the address embeds the receiver's token).
 * `error` is an HTTP status ("HTTP 500"), "timeout" or a network error code, never a message that could quote it.
 */
const WebhookResultSchema = z.object({
  index: z.number().int().min(0),
  delivered: z.boolean(),
  error: z.string().max(200).optional(),
});
export type WebhookResult = z.output<typeof WebhookResultSchema>;

export const SendNotificationOutput = z.object({
  /** How many webhooks are configured (0: the App Insights trace is the only channel). */
  configured: z.number().int().min(0),
  results: z.array(WebhookResultSchema),
});
export type SendNotificationOutput = z.output<typeof SendNotificationOutput>;

export const sendNotificationActivity = defineActivity(
  "sendNotification",
  SendNotificationInput,
  SendNotificationOutput,
);
