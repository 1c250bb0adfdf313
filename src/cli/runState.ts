/**
 * The state folder of `port25 run` (default `.port25/` in the working folder): who holds it, the durable host's state
 * (`durable/`), the audit store's Azurite data (`audit/`) and what the run was started with (`run.json`). One process
 * at a time: `port25 run` and `port25 status|approve|cancel|audit --state DIR` each take the folder's lock first.
 */
import "../durable-host/register";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import {
  createDurableHost,
  createVirtualClock,
  type DurableHost,
  type DurableHostOptions,
  type VirtualClock,
} from "../durable-host";
import { startAzurite, type LocalAzurite } from "../audit/localAzurite";
import { parseConfig, type Config } from "../config";
import type { ActivityDeps } from "../../activities/deps";
import { appRootFrom } from "../root";
import { adoptWithActivities, appModules, appVersioning } from "./localApp";
import { openSendIntents } from "./sendIntents";
import { rewriteRecordedAudit } from "./auditCatchUp";
import { CLEAN_CLOSE_FILE, closedCleanly, removeCleanClose, writeCleanClose } from "./cleanClose";
import { AttestationSchema, ModeSchema } from "../contracts/remediation";
import { SubscriptionIdSchema } from "../contracts/ids";
import { ensureError, isPort25Error, Port25Error } from "../errors";

/** The folder is held by another live process (or the durable host says its state is). */
export class StateInUseError extends Port25Error {
  override readonly name = "StateInUseError";
  constructor(message: string, cause?: unknown) {
    super(message, { code: "StateInUse", cause });
  }
}

const LockSchema = z.object({ pid: z.number().int(), host: z.string(), since: z.string(), command: z.string() });
type Lock = z.output<typeof LockSchema>;

/** What the first `port25 run` on a folder was asked for: a later one resumes only the same run. */
const RunRecordSchema = z.object({
  version: z.literal(1),
  instanceId: z.string(),
  runId: z.string(),
  subscriptionId: SubscriptionIdSchema,
  attestation: AttestationSchema,
  mode: ModeSchema,
  armEndpoint: z.string(),
  /** The command line to type again to resume (printed on Ctrl+C and by status). */
  command: z.string(),
});
export type RunRecord = z.output<typeof RunRecordSchema>;

export function defaultStateDir(cwd: string = process.cwd()): string {
  return join(cwd, ".port25");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return ensureError(e).message.includes("EPERM");
  }
}

/** A state folder's lock, held. */
export interface StateLock {
  /** The last holder closed the folder cleanly (cleanClose.ts): the audit needs no catch-up. */
  readonly closedCleanly: boolean;
  /** Leaves the mark of a clean close, then releases the lock. */
  releaseClean(): void;
  /** Releases the lock and leaves no mark: the next holder catches the audit up. */
  release(): void;
}

/**
 * Takes the folder's lock: a file created exclusively (O_EXCL), naming the holder. A lock whose process is gone (it
 * was killed) is taken over; one held by a live process, or by another machine (a shared folder), is refused. The
 * mark of a clean close is read and removed once the lock is held: a holder killed from here on leaves none.
 */
export function acquireLock(dir: string, command: string): StateLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "lock");
  const mine: Lock = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  // A lock left by a dead process: that holder did not close the folder, whatever mark it may have left before.
  let tookOver = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify(mine));
      closeSync(fd);
      const clean = !tookOver && closedCleanly(dir);
      removeCleanClose(dir);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
      return {
        closedCleanly: clean,
        release,
        releaseClean() {
          if (released) return;
          try {
            writeCleanClose(dir, command);
          } catch {
            // No mark: the next holder catches the audit up, which is always safe.
          }
          release();
        },
      };
    } catch (e) {
      if (!ensureError(e).message.includes("EEXIST")) throw e;
    }
    let holder: Lock | undefined;
    try {
      const parsed = LockSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
      holder = parsed.success ? parsed.data : undefined;
    } catch {
      holder = undefined; // being written, or half written by a process that was killed: judged below
    }
    if (holder !== undefined && (holder.host !== hostname() || alive(holder.pid))) {
      throw new StateInUseError(
        `${dir} is in use by process ${holder.pid} on ${holder.host} (\`${holder.command}\`, since ${holder.since}): wait for it to end, or stop it with Ctrl+C`,
      );
    }
    rmSync(file, { force: true });
    tookOver = true;
  }
  throw new StateInUseError(`${dir}: could not take its lock (another process keeps taking it)`);
}

/** Writes a file whole or not at all (a kill mid-write leaves the previous version). */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function readRunRecord(dir: string): RunRecord | undefined {
  const file = join(dir, "run.json");
  if (!existsSync(file)) return undefined;
  const parsed = RunRecordSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success)
    throw new Port25Error(`${file} is not a run record of this version of port25: ${parsed.error.message}`, {
      code: "StateCorrupt",
    });
  return parsed.data;
}

export function writeRunRecord(dir: string, record: RunRecord): void {
  writeAtomic(join(dir, "run.json"), `${JSON.stringify(RunRecordSchema.parse(record), null, 2)}\n`);
}

/**
 * An Azurite left running by a killed `port25 run` still holds the audit data. It ends by itself once its parent is
 * gone, saving its tables first (src/audit/localAzurite.ts): it is given that time, since a SIGTERM during the save
 * would end it there (Azurite handles only the first). One still running after it is asked to stop (SIGTERM: it
 * saves its tables and exits) before a new one opens the folder. Only a process that is Azurite and was started on
 * this folder is signalled.
 */
export async function stopOrphanAzurite(auditDir: string): Promise<void> {
  const pidFile = join(auditDir, "azurite.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return;
  const args = readFileSync(cmdline, "utf8").split("\0");
  if (!args.some((a) => a.includes("azurite")) || !args.includes(auditDir)) return;
  for (let i = 0; i < 240 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

export interface OpenedState {
  dir: string;
  host: DurableHost;
  clock: VirtualClock;
  azurite: LocalAzurite | undefined;
  deps: ActivityDeps | undefined;
  /** Audit writes sent again from the durable state as the folder opened: 0 when its last holder closed it cleanly. */
  auditWritesSent: number;
  /**
   * Stops the host and Azurite and releases the folder, marking it closed cleanly when it is (cleanClose.ts).
   * `discardCreated`: the command started nothing, so what this open created in the folder (the folder itself, if it
   * made it) is removed, leaving it as it was.
   */
  close(opts?: { discardCreated?: boolean }): Promise<void>;
}

interface OpenStateOptions {
  /** The command line that holds the folder (named to a second process). */
  command: string;
  /** Start the audit store's Azurite on `DIR/audit`. */
  audit: boolean;
  /** App settings for the activities (ARM endpoint, CA, …); without them the host runs no activity. */
  settings?: Record<string, string | undefined>;
  /** Virtual epoch ms the clock starts at (default now); a host with stored state keeps its own when later. */
  now?: number;
}

/** The folder's lock, its Azurite, and the durable host on `DIR/durable` with the app's orchestrations (and activities). */
export async function openState(dirGiven: string, opts: OpenStateOptions): Promise<OpenedState> {
  const dir = resolve(dirGiven);
  const existed = existsSync(dir);
  const lock = acquireLock(dir, opts.command);
  // What the folder held when this command took it, the mark of a clean close (removed as the lock was taken) included.
  const found = new Set(readdirSync(dir));
  if (lock.closedCleanly) found.add(CLEAN_CLOSE_FILE);
  const auditDir = join(dir, "audit");
  let azurite: LocalAzurite | undefined;
  let host: DurableHost | undefined;
  try {
    if (opts.audit) {
      await stopOrphanAzurite(auditDir);
      azurite = await startAzurite({ location: auditDir });
      writeFileSync(join(auditDir, "azurite.pid"), String(azurite.pid));
    }
    const config: Config | undefined =
      opts.settings === undefined
        ? undefined
        : parseConfig({
            ...opts.settings,
            ...(azurite ? { PORT25_AUDIT_TABLE_CONNECTION: azurite.connectionString } : {}),
          });
    // First writes are recorded in the folder before they are sent: a run resumed after a kill knows its own (sendIntents.ts).
    const deps =
      config === undefined
        ? undefined
        : appRootFrom(config, { sendIntents: openSendIntents(join(dir, "sends.jsonl")) });
    const clock = createVirtualClock(opts.now ?? Date.now());
    const durableDir = join(dir, "durable");
    mkdirSync(durableDir, { recursive: true });
    // The host keeps every instance and its clock under stateDir before acting on them, and takes the folder's own lock.
    const hostOptions: DurableHostOptions & { stateDir: string } = {
      versioning: appVersioning(),
      clock,
      stateDir: durableDir,
    };
    try {
      host = createDurableHost(hostOptions);
    } catch (e) {
      if (isPort25Error(e) && e.code === "StateInUse")
        throw new StateInUseError(`${dir} is in use: ${ensureError(e).message}`, e);
      throw e;
    }
    await host.importApp(appModules());
    const activities = deps === undefined ? [] : adoptWithActivities(host, deps);
    // Azurite may have lost the last writes before a kill: the durable state says which were made (auditCatchUp.ts).
    // Until they are written again the folder owes them, and a close that did not write them leaves no mark.
    let auditWhole = lock.closedCleanly;
    let auditWritesSent = 0;
    if (!auditWhole && azurite !== undefined && deps?.auditStore !== undefined) {
      auditWritesSent = await rewriteRecordedAudit(host, deps.auditStore, activities);
      auditWhole = true;
    }
    const opened = host;
    return {
      dir,
      host: opened,
      clock: opened.clock,
      azurite,
      deps,
      auditWritesSent,
      async close({ discardCreated = false } = {}) {
        try {
          await opened.close();
        } catch (e) {
          await azurite?.stop();
          lock.release();
          throw e;
        }
        const stopped = await azurite?.stop();
        rmSync(join(auditDir, "azurite.pid"), { force: true });
        if (discardCreated) {
          for (const entry of readdirSync(dir))
            if (entry !== "lock" && !found.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
        }
        if (discardCreated && !existed) {
          lock.release();
          try {
            rmdirSync(dir); // only if empty: another command may have taken the folder since
          } catch {
            // not empty: left as it is
          }
          return;
        }
        // Clean: the durable state is written (host.close), the tables saved, and the audit owes nothing. A folder
        // left as it was found gets the mark back only if it had it.
        const clean = auditWhole && (stopped === undefined || stopped.tablesSaved);
        if (clean && (!discardCreated || found.has(CLEAN_CLOSE_FILE))) lock.releaseClean();
        else lock.release();
      },
    };
  } catch (e) {
    await host?.close();
    await azurite?.stop();
    lock.release();
    throw e;
  }
}
