/** Activity contract: what re-verification needs from the last completed run, read from the audit store. */
import { z } from "zod";
import { defineActivity } from "../define";
import { CategorySchema } from "../classification";
import { SubscriptionIdSchema } from "../ids";
import { RemediationOptionsSchema } from "../options";
import { AttestationSchema } from "../remediation";
import { CycledResourceSchema } from "../reverify";
import { RecordedEgressSchema } from "../egress";

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
    /** Every resource the run, or any run of the subscription since the exemption, gave an outcome. */
    resourceIds: z.array(z.string()),
    /**
     * What the runs since the exemption took effect (every one, not only the last) deallocated: each resource a run
     * cycled, with the time its cycle began (at or after the exemption) and, for a scale set, the instances.
     */
    cycled: z.array(CycledResourceSchema).default([]),
    /** Runs whose outcomes were read for `cycled` (this one included). */
    runsRead: z.number().int().min(0).default(1),
    /** The egress path of each VM and scale set as the last run recorded it (runs before paths were read: none). */
    egress: z.array(RecordedEgressSchema).default([]),
  }),
  /** No audit table is configured, or it has no such run. */
  z.object({ status: z.enum(["notConfigured", "notFound"]), detail: z.string() }),
]);
export type ReadLastRunResult = z.output<typeof ReadLastRunOutput>;

export const readLastRunActivity = defineActivity("readLastRun", ReadLastRunInput, ReadLastRunOutput);
