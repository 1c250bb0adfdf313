/** Activity: the audit record of a campaign that has started (idempotent: a replay writes the same record). */
import type { BoundActivity } from "./binding";
import { recordCampaignStartedActivity } from "../src/contracts/durable/campaign";
import { auditWrite } from "./auditWrite";
import type { ActivityDeps } from "./deps";

export function recordCampaignStarted(deps: ActivityDeps): BoundActivity {
  return auditWrite(deps, recordCampaignStartedActivity, (store, input) => store.recordCampaignStarted(input));
}
