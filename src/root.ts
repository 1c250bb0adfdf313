/**
 * The composition root: everything the app's functions reach the outside world through, built once from the app
 * settings and handed in. The Functions app builds one from its environment (src/app.ts); a local stack builds its own
 * from its simulator, Azurite and virtual clock (src/cli/localStack.ts). Activities take their part of it
 * (activities/deps.ts), the HTTP and timer triggers theirs (src/functions/root.ts); nothing reads process-wide state,
 * so several roots live in one process.
 */
import { createAuditStore, type AuditStore } from "./audit/store";
import { createSendIntentTable } from "./audit/sendIntents";
import type { ArmGateway } from "./azure/gateway";
import { createArmGateway, type ArmClientDeps } from "./azure/clients";
import { auditTableConfigured, subnetGrantOf, type Config } from "./config";
import type { ClockKind } from "./contracts/clock";
import type { SubnetGrant } from "./contracts/discovery";
import type { NotifierDeps } from "./notify/webhooks";

/**
 * The clock the triggers stamp records with (requests, approvals, cancellations, refusals). On Azure it is the host's
 * wall clock; a local stack hands in its virtual clock, so a request, its approval and the run the orchestration stamps
 * with its own (virtual) time read in order on one time line.
 */
export interface AppClock {
  now(): Date;
  /** Recorded with what the triggers stamp, so a simulated run says so wherever its times are shown. */
  readonly kind: ClockKind;
}

export const WALL_CLOCK: AppClock = { now: () => new Date(), kind: "wall" };

/**
 * The first writes a worker is about to send, kept where a worker that takes over after a crash can read them: each
 * is added (and durable) before its request leaves, so a re-run that finds one knows the step it sees under way may be
 * its own (activities/beginPowerOperation.ts); one ARM refused is dropped again. Keys name the resource, the step and
 * when the run scheduled it.
 */
export interface SendIntents {
  /** Whether any attempt at the send `key` names is on record. */
  has(key: string): Promise<boolean>;
  /** Records one attempt at the send `key` names, before its request leaves; answers that record's own id. */
  add(key: string): Promise<string>;
  /**
   * Forgets one attempt's record (ARM refused its request: it never became an action on the resource). Another
   * attempt's record of the same send stays: a re-run refused (say, a conflict with the step an earlier attempt
   * started) must not erase that the earlier one may have been sent.
   */
  drop(key: string, id: string): Promise<void>;
}

export interface AppRoot {
  /** The app settings, parsed. */
  readonly config: Config;
  readonly gateway: ArmGateway;
  /** Undefined when no audit table is configured (a local run without Azurite): whoever needs it says so. */
  readonly auditStore: AuditStore | undefined;
  /** Where notifications go besides the log: the webhooks, their format and the links' base address. */
  readonly notifier: NotifierDeps;
  /** Who the subnet role is granted to and its name, for the command a `noSubnetPermission` skip names. */
  readonly subnetGrant: SubnetGrant;
  readonly clock: AppClock;
  /**
   * Where first writes are recorded before they are sent; without it only the worker's own memory knows them. With an
   * audit table configured, the table `<prefix>sends` beside it (src/audit/sendIntents.ts), which every worker reads.
   */
  readonly sendIntents?: SendIntents;
}

export interface AppRootParts {
  /** How the ARM clients are built (a credential, retry settings, a CA) beyond what the settings say. */
  readonly arm?: ArmClientDeps;
  /** Default: the wall clock. */
  readonly clock?: AppClock;
  /** Default: the table `<prefix>sends` on the audit tables' connection, when one is configured. */
  readonly sendIntents?: SendIntents;
}

/** The root the app settings in `config` describe. */
export function appRootFrom(config: Config, parts: AppRootParts = {}): AppRoot {
  const sendIntents = parts.sendIntents ?? (auditTableConfigured(config) ? createSendIntentTable(config) : undefined);
  return {
    config,
    gateway: createArmGateway(config, parts.arm ?? {}),
    auditStore: auditTableConfigured(config) ? createAuditStore(config) : undefined,
    notifier: notifierFrom(config),
    subnetGrant: subnetGrantOf(config),
    clock: parts.clock ?? WALL_CLOCK,
    ...(sendIntents === undefined ? {} : { sendIntents }),
  };
}

/** The webhooks and their format, from the app settings; links point to PORT25_PUBLIC_URL, else WEBSITE_HOSTNAME. */
export function notifierFrom(config: Config): NotifierDeps {
  const base =
    config.PORT25_PUBLIC_URL ??
    (config.WEBSITE_HOSTNAME !== undefined ? `https://${config.WEBSITE_HOSTNAME}` : undefined);
  return {
    webhooks: config.PORT25_NOTIFY_WEBHOOKS,
    format: config.PORT25_NOTIFY_FORMAT,
    timeoutMs: config.PORT25_NOTIFY_TIMEOUT_MS,
    baseUrl: base,
  };
}
