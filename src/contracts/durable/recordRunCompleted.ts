/** Activity contract: write the audit record of a finished run (idempotent by run id). */
import { defineActivity } from "../define";
import { RemediationResultSchema } from "../remediation";
import { AuditWriteOutput } from "./recordRunStarted";

export const recordRunCompletedActivity = defineActivity(
  "recordRunCompleted",
  RemediationResultSchema,
  AuditWriteOutput,
);
