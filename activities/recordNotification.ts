/** Activity: the audit record of one notification, under its run (a replay writes the same record). */
import type { BoundActivity } from "./binding";
import { recordNotificationActivity } from "../src/contracts/durable/recordNotification";
import { auditWrite } from "./auditWrite";
import type { ActivityDeps } from "./deps";

export function recordNotification(deps: ActivityDeps): BoundActivity {
  return auditWrite(deps, recordNotificationActivity, (store, input) => store.recordNotification(input));
}
