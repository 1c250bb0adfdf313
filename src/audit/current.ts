/** The process's audit store, built from the app settings and rebuilt when they change (resetConfig). */
import { auditTableConfigured, getConfig, type Config } from "../config";
import { ConfigError } from "../errors";
import { createAuditStore, type AuditStore } from "./store";

let cached: { config: Config; store: AuditStore } | undefined;

/** The audit store, or undefined when no audit table is configured. */
export function auditStoreIfConfigured(): AuditStore | undefined {
  const config = getConfig();
  if (!auditTableConfigured(config)) return undefined;
  if (cached?.config !== config) cached = { config, store: createAuditStore(config) };
  return cached.store;
}

/** The audit store; a ConfigError naming the settings when none is configured. */
export function requireAuditStore(): AuditStore {
  const store = auditStoreIfConfigured();
  if (!store) {
    throw new ConfigError([
      { path: "PORT25_AUDIT_TABLE_ENDPOINT", message: "set it (or PORT25_AUDIT_TABLE_CONNECTION locally) to use the audit store" },
    ]);
  }
  return store;
}
