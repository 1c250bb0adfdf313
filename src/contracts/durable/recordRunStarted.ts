/** Activity contract: write the audit record of a run that has started. */
import { z } from "zod";
import { defineActivity } from "../define";
import { RemediationInputSchema } from "../remediation";

export const RecordRunStartedInput = RemediationInputSchema;
/** `recorded: false` with a reason when no audit store is configured; a failing store throws. */
export const AuditWriteOutput = z.object({ recorded: z.boolean(), detail: z.string().optional() });

export const recordRunStartedActivity = defineActivity("recordRunStarted", RecordRunStartedInput, AuditWriteOutput);
