/** Activity: the audit record of a run that has started (idempotent: a replay writes the same record). */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import { recordRunStartedActivity, type AuditWriteOutput, type RecordRunStartedInput } from "../src/contracts/functions/recordRunStarted";
import { auditStore } from "./deps";

export async function recordRunStarted(input: z.output<typeof RecordRunStartedInput>): Promise<z.input<typeof AuditWriteOutput>> {
  const store = auditStore();
  if (store === undefined) return { recorded: false, detail: "no audit table is configured (PORT25_AUDIT_TABLE_CONNECTION or PORT25_AUDIT_TABLE_ENDPOINT)" };
  await store.recordRunStarted(input);
  return { recorded: true };
}

registerActivity(recordRunStartedActivity, recordRunStarted);
