/** Activity contract: the audit record of one notification, under its run (idempotent by run and event). */
import { defineActivity } from "../define";
import { NotificationRecordSchema } from "../notification";
import { AuditWriteOutput } from "./recordRunStarted";

export const recordNotificationActivity = defineActivity(
  "recordNotification",
  NotificationRecordSchema,
  AuditWriteOutput,
);
