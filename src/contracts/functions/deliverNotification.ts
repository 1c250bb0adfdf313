/** Orchestration contract: deliver one notification, retrying failed webhooks with backoff, and record how it went. */
import { z } from "zod";
import { defineOrchestration } from "../define";
import { NotificationEventSchema, NotificationRecordSchema } from "../notification";

export const DeliverNotificationInput = z.object({ event: NotificationEventSchema });
export type DeliverNotificationInput = z.output<typeof DeliverNotificationInput>;

export const deliverNotificationOrchestration = defineOrchestration("deliverNotification", DeliverNotificationInput, NotificationRecordSchema);

/** The instance id of a run's notification: one per event type and run, so a replay or a retry never sends twice. */
export function notificationInstanceId(parentInstanceId: string, runId: string, type: string): string {
  return `${parentInstanceId}:${runId}:notify:${type}`;
}
