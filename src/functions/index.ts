/**
 * The app's HTTP and timer triggers, bound to the composition root they are handed (as activities/index.ts binds the
 * activities): nothing here reads app settings or keeps process-wide state, so two sets can live in one process.
 */
import { bindTrigger, type BoundTrigger, type TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import { approveCampaignTrigger } from "./approveCampaign";
import { approveRemediationTrigger } from "./approveRemediation";
import { cancelCampaignTrigger } from "./cancelCampaign";
import { cancelRemediationTrigger } from "./cancelRemediation";
import { getAuditCampaignTrigger } from "./getAuditCampaign";
import { getAuditRunTrigger } from "./getAuditRun";
import { getCampaignTrigger } from "./getCampaign";
import { getRemediationTrigger } from "./getRemediation";
import { listAuditCampaignsTrigger } from "./listAuditCampaigns";
import { listAuditRunsTrigger } from "./listAuditRuns";
import { reverifySubscriptionsTrigger } from "./reverifySubscriptions";
import { startCampaignTrigger } from "./startCampaign";
import { startRemediationTrigger } from "./startRemediation";
import { verifyAuditTrigger } from "./verifyAudit";

export const TRIGGERS: readonly TriggerDefinition[] = [
  approveCampaignTrigger,
  approveRemediationTrigger,
  cancelCampaignTrigger,
  cancelRemediationTrigger,
  getAuditCampaignTrigger,
  getAuditRunTrigger,
  getCampaignTrigger,
  getRemediationTrigger,
  listAuditCampaignsTrigger,
  listAuditRunsTrigger,
  reverifySubscriptionsTrigger,
  startCampaignTrigger,
  startRemediationTrigger,
  verifyAuditTrigger,
];

export function createTriggers(root: TriggerRoot): readonly BoundTrigger[] {
  return TRIGGERS.map((def) => bindTrigger(def, root));
}
