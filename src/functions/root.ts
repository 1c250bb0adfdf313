/** What the HTTP and timer triggers are handed: their part of the composition root (src/root.ts). */
import type { AuditStore } from "../audit/store";
import { ConfigError } from "../errors";
import type { AppRoot } from "../root";

export type TriggerRoot = Pick<AppRoot, "config" | "auditStore" | "clock">;

/** The audit store; a ConfigError naming the settings when none is configured. */
export function requireAuditStore(root: TriggerRoot): AuditStore {
  if (root.auditStore === undefined) {
    throw new ConfigError([
      {
        path: "PORT25_AUDIT_TABLE_ENDPOINT",
        message: "set it (or PORT25_AUDIT_TABLE_CONNECTION locally) to use the audit store",
      },
    ]);
  }
  return root.auditStore;
}
