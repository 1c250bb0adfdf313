/** Activity: the audit record of a run that has started (idempotent: a replay writes the same record). */
import type { BoundActivity } from "./binding";
import { recordRunStartedActivity } from "../src/contracts/durable/recordRunStarted";
import { auditWrite } from "./auditWrite";
import type { ActivityDeps } from "./deps";

export function recordRunStarted(deps: ActivityDeps): BoundActivity {
  return auditWrite(deps, recordRunStartedActivity, (store, input) => store.recordRunStarted(input));
}
