/** What activities reach the outside world through; configured purely by app settings (src/config.ts). */
import type { ArmGateway } from "../src/azure/gateway";
import { getArmGateway } from "../src/azure/clients";
import { createAuditStore, type AuditStore } from "../src/audit/store";
import { getConfig, type Config } from "../src/config";
import type { NotifierDeps } from "../src/notify/webhooks";

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

/** What the notification activity sends with: the webhooks and their format, from the app settings. */
export function notifier(): NotifierDeps {
  return notifierFrom(getConfig());
}

export function notifierFrom(config: Config): NotifierDeps {
  const base = config.PORT25_PUBLIC_URL ?? (config.WEBSITE_HOSTNAME !== undefined ? `https://${config.WEBSITE_HOSTNAME}` : undefined);
  return { webhooks: config.PORT25_NOTIFY_WEBHOOKS, format: config.PORT25_NOTIFY_FORMAT, timeoutMs: config.PORT25_NOTIFY_TIMEOUT_MS, baseUrl: base };
}
