/**
 * What activities reach the outside world through, handed in by whoever registers them: the Functions app builds
 * them once from its app settings (activities/register.ts), a local stack from its own simulator and Azurite
 * (src/cli/localStack.ts).
 */
import type { ArmGateway } from "../src/azure/gateway";
import { createArmGateway, type ArmClientDeps } from "../src/azure/clients";
import { createAuditStore, type AuditStore } from "../src/audit/store";
import { auditTableConfigured, subnetGrantOf, type Config } from "../src/config";
import type { SubnetGrant } from "../src/contracts/discovery";
import type { NotifierDeps } from "../src/notify/webhooks";

export interface ActivityDeps {
  readonly gateway: ArmGateway;
  /** Undefined when no audit table is configured (a local run without Azurite): the audit activities say so. */
  readonly auditStore: AuditStore | undefined;
  /** Where notifications go besides the log: the webhooks, their format and the links' base address. */
  readonly notifier: NotifierDeps;
  /** Who the subnet role is granted to and its name, for the command a `noSubnetPermission` skip names. */
  readonly subnetGrant?: SubnetGrant;
}

/** The dependencies the app settings in `config` describe. */
export function activityDepsFrom(config: Config, arm: ArmClientDeps = {}): ActivityDeps {
  return {
    gateway: createArmGateway(config, arm),
    auditStore: auditTableConfigured(config) ? createAuditStore(config) : undefined,
    notifier: notifierFrom(config),
    subnetGrant: subnetGrantOf(config),
  };
}

/** The webhooks and their format, from the app settings; links point to PORT25_PUBLIC_URL, else WEBSITE_HOSTNAME. */
function notifierFrom(config: Config): NotifierDeps {
  const base = config.PORT25_PUBLIC_URL ?? (config.WEBSITE_HOSTNAME !== undefined ? `https://${config.WEBSITE_HOSTNAME}` : undefined);
  return { webhooks: config.PORT25_NOTIFY_WEBHOOKS, format: config.PORT25_NOTIFY_FORMAT, timeoutMs: config.PORT25_NOTIFY_TIMEOUT_MS, baseUrl: base };
}

/** What an audit activity answers when there is no audit table to write to or read from. */
export const NO_AUDIT_TABLE = "no audit table is configured (PORT25_AUDIT_TABLE_CONNECTION or PORT25_AUDIT_TABLE_ENDPOINT)";
