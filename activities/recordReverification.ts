/** Activity: the audit record of one re-verification (a replay writes the same record; a different one is refused). */
import type { BoundActivity } from "./binding";
import { recordReverificationActivity } from "../src/contracts/durable/recordReverification";
import { auditWrite } from "./auditWrite";
import type { ActivityDeps } from "./deps";

export function recordReverification(deps: ActivityDeps): BoundActivity {
  return auditWrite(deps, recordReverificationActivity, (store, input) => store.recordReverification(input));
}
