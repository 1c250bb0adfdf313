/** The shape every audit-writing activity shares: write through the audit store, or say that there is none. */
import type { z } from "zod";
import type { ActivityDefinition } from "../src/contracts/define";
import type { AuditWriteOutput } from "../src/contracts/functions/recordRunStarted";
import type { AuditStore } from "../src/audit/store";
import { bindActivity, type BoundActivity } from "../src/functions/registerActivity";
import { NO_AUDIT_TABLE, type ActivityDeps } from "./deps";

export function auditWrite<I extends z.ZodType>(
  { auditStore }: ActivityDeps,
  def: ActivityDefinition<I, typeof AuditWriteOutput>,
  write: (store: AuditStore, input: z.output<I>) => Promise<void>,
): BoundActivity {
  return bindActivity(def, async (input) => {
    if (auditStore === undefined) return { recorded: false, detail: NO_AUDIT_TABLE };
    await write(auditStore, input);
    return { recorded: true };
  });
}
