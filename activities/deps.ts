/**
 * What activities reach the outside world through: their part of the composition root (src/root.ts), handed in by
 * whoever registers them — the Functions app builds it once from its app settings (src/app.ts), a local stack from
 * its own simulator and Azurite (src/cli/localStack.ts).
 */
import type { AppRoot } from "../src/root";

export type ActivityDeps = Pick<AppRoot, "gateway" | "auditStore" | "notifier"> &
  Partial<Pick<AppRoot, "subnetGrant" | "sendIntents">>;

/** What an audit activity answers when there is no audit table to write to or read from. */
export const NO_AUDIT_TABLE =
  "no audit table is configured (PORT25_AUDIT_TABLE_CONNECTION or PORT25_AUDIT_TABLE_ENDPOINT)";
