/** Orchestration contract: the whole run for one subscription (DESIGN.md §1). */
import { defineOrchestration } from "../define";
import { REMEDIATE_SUBSCRIPTION } from "../names";
import { RemediationInputSchema, RemediationOutputSchema } from "../remediation";

export const remediateSubscriptionOrchestration = defineOrchestration(
  REMEDIATE_SUBSCRIPTION,
  RemediationInputSchema,
  RemediationOutputSchema,
);
