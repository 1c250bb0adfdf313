/** Activity: the audit record of a finished run, with every resource outcome (idempotent by run id). */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import type { AuditWriteOutput } from "../src/contracts/functions/recordRunStarted";
import { recordRunCompletedActivity } from "../src/contracts/functions/recordRunCompleted";
import type { RemediationResultSchema } from "../src/contracts/remediation";
import { auditStore } from "./deps";

export async function recordRunCompleted(
  input: z.output<typeof RemediationResultSchema>,
): Promise<z.input<typeof AuditWriteOutput>> {
  const store = auditStore();
  if (store === undefined) return { recorded: false, detail: "no audit table is configured (PORT25_AUDIT_TABLE_CONNECTION or PORT25_AUDIT_TABLE_ENDPOINT)" };
  await store.recordRunCompleted(input);
  return { recorded: true };
}

registerActivity(recordRunCompletedActivity, recordRunCompleted);
