/** Orchestration contract: deliver one notification, retrying failed webhooks with backoff, and record how it went. */
import { z } from "zod";
import { defineOrchestration } from "../define";
import {
  NotificationEventSchema,
  NotificationRecordSchema,
  notificationKey,
  type NotificationEvent,
} from "../notification";

export const DeliverNotificationInput = z.object({ event: NotificationEventSchema });
export type DeliverNotificationInput = z.output<typeof DeliverNotificationInput>;

export const deliverNotificationOrchestration = defineOrchestration(
  "deliverNotification",
  DeliverNotificationInput,
  NotificationRecordSchema,
);

/** The instance id of a notification: one per run and notificationKey, so a replay never sends it twice. */
export function notificationInstanceId(parentInstanceId: string, event: NotificationEvent): string {
  return `${parentInstanceId}:${event.runId}:notify:${notificationKey(event)}`;
}
