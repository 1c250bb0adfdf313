/** Activity: a lane's outcomes, written to its run's audit record by the lane (idempotent by run and resource). */
import type { BoundActivity } from "./binding";
import { recordLaneOutcomesActivity } from "../src/contracts/durable/recordLaneOutcomes";
import { auditWrite } from "./auditWrite";
import type { ActivityDeps } from "./deps";

export function recordLaneOutcomes(deps: ActivityDeps): BoundActivity {
  return auditWrite(deps, recordLaneOutcomesActivity, (store, input) => store.recordLaneOutcomes(input));
}
