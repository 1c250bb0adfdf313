/** What activities reach the outside world through; configured purely by app settings (src/config.ts). */
import type { ArmGateway } from "../src/azure/gateway";
import { getArmGateway } from "../src/azure/clients";
import { createAuditStore, type AuditStore } from "../src/audit/store";
import { getConfig, type Config } from "../src/config";

/** The process's ARM gateway; rebuilt after resetConfig(), so a changed environment takes effect. */
export function gateway(): ArmGateway {
  return getArmGateway();
}

let cachedStore: { config: Config; store: AuditStore } | undefined;

/** The audit store, or undefined when no audit table is configured (a local run without Azurite). */
export function auditStore(): AuditStore | undefined {
  const config = getConfig();
  if (config.PORT25_AUDIT_TABLE_CONNECTION === undefined && config.PORT25_AUDIT_TABLE_ENDPOINT === undefined) return undefined;
  if (cachedStore?.config !== config) cachedStore = { config, store: createAuditStore(config) };
  return cachedStore.store;
}
