/** Activity: the audit record of a finished campaign, its summary and input (idempotent by campaign id). */
import type { BoundActivity } from "./binding";
import { recordCampaignCompletedActivity } from "../src/contracts/durable/campaign";
import { auditWrite } from "./auditWrite";
import type { ActivityDeps } from "./deps";

export function recordCampaignCompleted(deps: ActivityDeps): BoundActivity {
  return auditWrite(deps, recordCampaignCompletedActivity, (store, input) => store.recordCampaignCompleted(input));
}
