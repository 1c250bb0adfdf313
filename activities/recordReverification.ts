/** Activity: the audit record of one re-verification (a replay writes the same record; a different one is refused). */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import type { AuditWriteOutput } from "../src/contracts/functions/recordRunStarted";
import { recordReverificationActivity } from "../src/contracts/functions/recordReverification";
import type { ReverificationRecordSchema } from "../src/contracts/reverify";
import { auditStore } from "./deps";

export async function recordReverification(
  input: z.output<typeof ReverificationRecordSchema>,
): Promise<z.input<typeof AuditWriteOutput>> {
  const store = auditStore();
  if (store === undefined) return { recorded: false, detail: "no audit table is configured (PORT25_AUDIT_TABLE_CONNECTION or PORT25_AUDIT_TABLE_ENDPOINT)" };
  await store.recordReverification(input);
  return { recorded: true };
}

registerActivity(recordReverificationActivity, recordReverification);
