/**
 * The shape every audit-writing activity shares: write through the audit store, or say that there is none. The write
 * is stated once, here, and serves twice: as the activity, and as the same write sent again by a local state folder's
 * catch-up (src/cli/auditCatchUp.ts) after the audit store lost what it had not saved.
 */
import type { z } from "zod";
import type { ActivityDefinition } from "../src/contracts/define";
import type { AuditWriteOutput } from "../src/contracts/durable/recordRunStarted";
import { AUDIT_TRACE_PREFIX } from "../src/contracts/audit";
import type { AuditStore } from "../src/audit/store";
import { AuditLinkSchema } from "../src/audit/ledger";
import { parseWith } from "../src/contracts/parse";
import { bindActivity, type BoundActivity } from "./binding";
import { NO_AUDIT_TABLE, type ActivityDeps } from "./deps";

/** An audit-writing activity, with its store write on its own: the write the activity makes, on the store given. */
export interface RecordingActivity extends BoundActivity {
  /** Parses `input` (what an orchestration scheduled the activity with) and writes it to `store`, as the activity does. */
  readonly writeTo: (store: AuditStore, input: unknown) => Promise<unknown>;
}

export function isRecordingActivity(activity: BoundActivity): activity is RecordingActivity {
  return "writeTo" in activity && typeof activity.writeTo === "function";
}

export function auditWrite<I extends z.ZodType>(
  { auditStore }: ActivityDeps,
  def: ActivityDefinition<I, typeof AuditWriteOutput>,
  write: (store: AuditStore, input: z.output<I>) => Promise<unknown>,
): RecordingActivity {
  const bound = bindActivity(def, async (input, context) => {
    if (auditStore === undefined) return { recorded: false, detail: NO_AUDIT_TABLE };
    const written = await write(auditStore, input);
    // A chained record's link goes to Application Insights too: a copy of the chain the tables' writers cannot edit.
    const link = AuditLinkSchema.safeParse(written);
    if (link.success) context.log(`${AUDIT_TRACE_PREFIX}${JSON.stringify(link.data)}`);
    return { recorded: true };
  });
  return {
    ...bound,
    writeTo: (store, input) => write(store, parseWith(def.input, input, `input of ${def.name}`)),
  };
}
