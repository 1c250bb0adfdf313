/** Activity contract: what re-verification needs from the last completed run, read from the audit store. */
import { z } from "zod";
import { defineActivity } from "../define";
import { CategorySchema } from "../classification";
import { SubscriptionIdSchema } from "../ids";
import { RemediationOptionsSchema } from "../options";
import { AttestationSchema } from "../remediation";

export const ReadLastRunInput = z.object({ runId: z.string().min(1).max(128) });

export const ReadLastRunOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("found"),
    runId: z.string(),
    subscriptionId: SubscriptionIdSchema,
    /** The exemption the run was made under; approvedAt is when it took effect. */
    attestation: AttestationSchema,
    options: RemediationOptionsSchema,
    probeHost: z.string(),
    category: CategorySchema.optional(),
    /** Every resource the run gave an outcome, whatever the outcome. */
    resourceIds: z.array(z.string()),
  }),
  /** No audit table is configured, or it has no such run. */
  z.object({ status: z.enum(["notConfigured", "notFound"]), detail: z.string() }),
]);
export type ReadLastRunResult = z.output<typeof ReadLastRunOutput>;

export const readLastRunActivity = defineActivity("readLastRun", ReadLastRunInput, ReadLastRunOutput);
