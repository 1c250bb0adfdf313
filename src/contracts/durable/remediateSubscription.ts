/** Orchestration contract: the whole run for one subscription (docs/architecture.md, "The workflow"). */
import { defineOrchestration } from "../define";
import { REMEDIATE_SUBSCRIPTION } from "../names";
import { RemediationInputSchema, RemediationOutputSchema } from "../remediation";

export const remediateSubscriptionOrchestration = defineOrchestration(
  REMEDIATE_SUBSCRIPTION,
  RemediationInputSchema,
  RemediationOutputSchema,
);
