/** The shape every audit-writing activity shares: write through the audit store, or say that there is none. */
import type { z } from "zod";
import type { ActivityDefinition } from "../src/contracts/define";
import type { AuditWriteOutput } from "../src/contracts/durable/recordRunStarted";
import { AUDIT_TRACE_PREFIX } from "../src/contracts/audit";
import type { AuditStore } from "../src/audit/store";
import { AuditLinkSchema } from "../src/audit/ledger";
import { bindActivity, type BoundActivity } from "./binding";
import { NO_AUDIT_TABLE, type ActivityDeps } from "./deps";

export function auditWrite<I extends z.ZodType>(
  { auditStore }: ActivityDeps,
  def: ActivityDefinition<I, typeof AuditWriteOutput>,
  write: (store: AuditStore, input: z.output<I>) => Promise<unknown>,
): BoundActivity {
  return bindActivity(def, async (input, context) => {
    if (auditStore === undefined) return { recorded: false, detail: NO_AUDIT_TABLE };
    const written = await write(auditStore, input);
    // A chained record's link goes to Application Insights too: a copy of the chain the tables' writers cannot edit.
    const link = AuditLinkSchema.safeParse(written);
    if (link.success) context.log(`${AUDIT_TRACE_PREFIX}${JSON.stringify(link.data)}`);
    return { recorded: true };
  });
}
