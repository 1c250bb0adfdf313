/**
 * What activities reach the outside world through, handed in by whoever registers them: the Functions app builds
 * them once from its app settings (activities/register.ts), a local stack from its own simulator and Azurite
 * (src/cli/localStack.ts).
 */
import type { ArmGateway } from "../src/azure/gateway";
import { createArmGateway, type ArmClientDeps } from "../src/azure/clients";
import { createAuditStore, type AuditStore } from "../src/audit/store";
import { auditTableConfigured, type Config } from "../src/config";

export interface ActivityDeps {
  readonly gateway: ArmGateway;
  /** Undefined when no audit table is configured (a local run without Azurite): the audit activities say so. */
  readonly auditStore: AuditStore | undefined;
}

/** The dependencies the app settings in `config` describe. */
export function activityDepsFrom(config: Config, arm: ArmClientDeps = {}): ActivityDeps {
  return {
    gateway: createArmGateway(config, arm),
    auditStore: auditTableConfigured(config) ? createAuditStore(config) : undefined,
  };
}

/** What an audit activity answers when there is no audit table to write to or read from. */
export const NO_AUDIT_TABLE = "no audit table is configured (PORT25_AUDIT_TABLE_CONNECTION or PORT25_AUDIT_TABLE_ENDPOINT)";
