/** Activity contract: write a re-verification record (idempotent by subscription and time). */
import { defineActivity } from "../define";
import { ReverificationRecordSchema } from "../reverify";
import { AuditWriteOutput } from "./recordRunStarted";

export const recordReverificationActivity = defineActivity(
  "recordReverification",
  ReverificationRecordSchema,
  AuditWriteOutput,
);
