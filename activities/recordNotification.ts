/** Activity: the audit record of one notification, under its run (idempotent by run and event type). */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import type { AuditWriteOutput } from "../src/contracts/functions/recordRunStarted";
import { recordNotificationActivity } from "../src/contracts/functions/recordNotification";
import type { NotificationRecord } from "../src/contracts/notification";
import { auditStore } from "./deps";

export async function recordNotification(input: NotificationRecord): Promise<z.input<typeof AuditWriteOutput>> {
  const store = auditStore();
  if (store === undefined) return { recorded: false, detail: "no audit table is configured (PORT25_AUDIT_TABLE_CONNECTION or PORT25_AUDIT_TABLE_ENDPOINT)" };
  await store.recordNotification(input);
  return { recorded: true };
}

registerActivity(recordNotificationActivity, recordNotification);
