/** Activity: the audit record of a finished run, with every resource outcome (idempotent by run id). */
import type { BoundActivity } from "./binding";
import { recordRunCompletedActivity } from "../src/contracts/durable/recordRunCompleted";
import { auditWrite } from "./auditWrite";
import type { ActivityDeps } from "./deps";

export function recordRunCompleted(deps: ActivityDeps): BoundActivity {
  return auditWrite(deps, recordRunCompletedActivity, (store, input) => store.recordRunCompleted(input));
}
