/**
 * The host's state directory: one file per instance, a meta file with the virtual clock, and a lock naming the
 * process that holds it. Every file is replaced atomically (temp file, fsync, rename, fsync of the directory), so a
 * kill -9 leaves the old or the new version of a file, never half of one. POSIX rename(2) replaces the target
 * atomically; the directory fsync makes the rename itself durable (fsync(2), "Calling fsync() does not necessarily
 * ensure that the entry in the directory containing the file has also reached disk").
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { DurableHostError } from "./hostError";
import { StoredRecordSchema, recordFromStored, type FinishedArchive, type InstanceRecord } from "./store";
import type { HostLogger } from "./types";

/** The layout's version: a directory written by another version is refused rather than misread. */
export const STATE_FORMAT_VERSION = 1;

const META_FILE = "meta.json";
const LOCK_FILE = "lock.json";
const INSTANCES_DIR = "instances";
const TEMP_MARK = ".tmp-";

const MetaSchema = z.object({ formatVersion: z.number().int(), now: z.number() });
const InstanceFileSchema = z.object({ formatVersion: z.number().int(), record: StoredRecordSchema });
const LockSchema = z.object({ pid: z.number().int(), startedAt: z.string(), hostname: z.string(), dir: z.string() });
type Lock = z.infer<typeof LockSchema>;

/**
 * A file name for an instance id that is safe on every file system: lower-case letters, digits and `-` stay, every
 * other byte (upper case too, so ids differing only in case never share a file on a case-insensitive disk) becomes
 * `_` and two hex digits. Long ids keep a readable prefix and a hash.
 */
export function instanceFileName(instanceId: string): string {
  let safe = "";
  for (const byte of Buffer.from(instanceId, "utf8")) {
    const c = String.fromCharCode(byte);
    safe += /[a-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, "0")}`;
  }
  if (safe.length > 180)
    safe = `${safe.slice(0, 120)}~${createHash("sha256").update(instanceId).digest("hex").slice(0, 32)}`;
  return `${safe}.json`;
}

function corrupt(file: string, what: string): DurableHostError {
  return new DurableHostError(
    `The durable state file ${file} is corrupt: ${what}. Nothing was changed; inspect or move the file, then start again.`,
    { code: "StateCorrupt", statusCode: 500 },
  );
}

/** JSON text parsed, or a StateCorrupt error naming the file and where the text breaks. */
function parseJsonFile(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // A file cut short fails where the text ends: "Unexpected end of JSON input", or an unterminated string or
    // value reported at the last position.
    const position = /position (\d+)/.exec(message)?.[1];
    const truncated =
      /end of JSON input/i.test(message) || (position !== undefined && Number(position) >= text.trimEnd().length - 1);
    throw corrupt(
      file,
      truncated
        ? `the JSON ends early (truncated at byte ${Buffer.byteLength(text)}): ${message}`
        : `not valid JSON: ${message}`,
    );
  }
}

function checked<T>(file: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)";
  throw corrupt(file, `at ${where}: ${issue?.message ?? parsed.error.message}`);
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch (e) {
    // Windows cannot open or fsync a directory; its rename is already durable once it returns (MoveFileEx).
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL") throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes the temp file next to `file` and fsyncs it; the caller renames it into place. */
function writeTemp(file: string, text: string): string {
  const temp = `${file}${TEMP_MARK}${process.pid}`;
  const fd = fs.openSync(temp, "w");
  try {
    fs.writeSync(fd, text);
    // fdatasync flushes the data and the size, all a rename-into-place needs, without the other metadata.
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return temp;
}

/** What a state directory held when the host opened it. */
export interface LoadedState {
  readonly records: InstanceRecord[];
  /** The virtual clock when the state was last written; undefined for a fresh directory. */
  readonly now: number | undefined;
}

export class StateDirectory implements FinishedArchive {
  private readonly instancesDir: string;
  private readonly lockFile: string;
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly lock: Lock,
  ) {
    this.instancesDir = path.join(dir, INSTANCES_DIR);
    this.lockFile = path.join(dir, LOCK_FILE);
  }

  /**
   * Opens (creating it if needed) and locks the directory. A lock held by a live process, this one included, is a
   * StateInUse refusal naming the holder; a lock left by a process that no longer exists is taken over and logged.
   */
  static open(dir: string, log: HostLogger | undefined): StateDirectory {
    const abs = path.resolve(dir);
    fs.mkdirSync(path.join(abs, INSTANCES_DIR), { recursive: true });
    const lock: Lock = {
      pid: process.pid,
      startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
      hostname: hostname(),
      dir: abs,
    };
    const lockFile = path.join(abs, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // O_EXCL: exactly one opener creates the lock file.
        const fd = fs.openSync(lockFile, "wx");
        try {
          fs.writeSync(fd, JSON.stringify(lock));
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        fsyncDir(abs);
        return new StateDirectory(abs, lock);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const text = readIfExists(lockFile);
      if (text === undefined) continue;
      const holder = LockSchema.safeParse(tryParse(text));
      if (!holder.success) {
        throw new DurableHostError(
          `The durable state directory ${abs} has a lock file (${lockFile}) that is not a valid lock; remove it if no process uses the directory`,
          { code: "StateInUse", statusCode: 409 },
        );
      }
      const h = holder.data;
      if (h.hostname !== lock.hostname || processAlive(h.pid)) {
        throw new DurableHostError(
          `The durable state directory ${abs} is in use by process ${h.pid} on ${h.hostname}, started at ${h.startedAt}; ` +
            `stop that process first (or remove ${lockFile} if it no longer runs)`,
          { code: "StateInUse", statusCode: 409 },
        );
      }
      // The holder is gone. Move its lock aside under a name of our own; if what moved is not the dead holder's
      // lock, another process took over first: put it back and refuse.
      const aside = `${lockFile}.stale-${process.pid}`;
      try {
        fs.renameSync(lockFile, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw e;
      }
      if (readIfExists(aside) !== text) {
        fs.renameSync(aside, lockFile);
        continue;
      }
      fs.unlinkSync(aside);
      log?.(
        "warn",
        "durable-host",
        `Took over the durable state directory ${abs}: its lock was held by process ${h.pid} (started at ${h.startedAt}), which no longer runs`,
      );
    }
    throw new DurableHostError(`The durable state directory ${abs} is being taken over by another process`, {
      code: "StateInUse",
      statusCode: 409,
    });
  }

  /** Reads every instance file and the meta file; the first bad file stops the load with StateCorrupt. */
  loadAll(): LoadedState {
    const metaFile = path.join(this.dir, META_FILE);
    const metaText = readIfExists(metaFile);
    let now: number | undefined;
    if (metaText !== undefined) {
      const meta = checked(metaFile, MetaSchema, parseJsonFile(metaFile, metaText));
      this.checkVersion(metaFile, meta.formatVersion);
      now = meta.now;
    }
    const records: InstanceRecord[] = [];
    for (const name of fs.readdirSync(this.instancesDir).sort()) {
      if (name.includes(TEMP_MARK)) {
        // A temp file is a write that never reached its rename: the file it was meant to replace is still whole.
        fs.unlinkSync(path.join(this.instancesDir, name));
        continue;
      }
      if (!name.endsWith(".json")) continue;
      records.push(this.readFile(path.join(this.instancesDir, name)));
    }
    // The clock never reads back earlier than the newest time an instance recorded (an episode must not see time
    // go back from its history).
    for (const r of records) {
      now = Math.max(now ?? r.lastUpdatedTime, r.lastUpdatedTime, lastTimestamp(r.history), lastTimestamp(r.inbox));
    }
    return { records, now };
  }

  /**
   * Writes the changed records, drops the purged ones, and records the clock, as one batch: every file goes to its
   * temp name and is fsynced, then every rename, then one fsync of each directory.
   */
  write(records: readonly InstanceRecord[], removed: readonly string[], now: number | undefined): void {
    this.assertHeld();
    const renames: [string, string][] = [];
    if (now !== undefined) {
      const metaFile = path.join(this.dir, META_FILE);
      renames.push([writeTemp(metaFile, JSON.stringify({ formatVersion: STATE_FORMAT_VERSION, now })), metaFile]);
    }
    for (const r of records) {
      const file = this.fileOf(r.instanceId);
      renames.push([writeTemp(file, JSON.stringify({ formatVersion: STATE_FORMAT_VERSION, record: r })), file]);
    }
    for (const [from, to] of renames) fs.renameSync(from, to);
    for (const id of removed) {
      try {
        fs.unlinkSync(this.fileOf(id));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    // meta.json's rename is not fsynced on its own: an older clock read back is moved forward to the newest time the
    // instance files hold (see `loadAll`), so it costs no directory fsync of its own.
    if (records.length > 0 || removed.length > 0) fsyncDir(this.instancesDir);
  }

  // FinishedArchive: a finished instance's file is already on disk when it leaves memory.
  put(): void {}

  load(instanceId: string): InstanceRecord {
    return this.readFile(this.fileOf(instanceId));
  }

  delete(): void {}

  /** Releases the lock if this process still holds it. */
  close(): void {
    if (this.released) return;
    this.released = true;
    const text = readIfExists(this.lockFile);
    const holder = text === undefined ? undefined : LockSchema.safeParse(tryParse(text));
    if (
      holder?.success === true &&
      holder.data.pid === this.lock.pid &&
      holder.data.startedAt === this.lock.startedAt
    ) {
      fs.unlinkSync(this.lockFile);
      fsyncDir(this.dir);
    }
  }

  private assertHeld(): void {
    if (this.released)
      throw new DurableHostError(`The durable state directory ${this.dir} was closed`, {
        code: "HostClosed",
        statusCode: 503,
      });
  }

  private fileOf(instanceId: string): string {
    return path.join(this.instancesDir, instanceFileName(instanceId));
  }

  private checkVersion(file: string, version: number): void {
    if (version !== STATE_FORMAT_VERSION)
      throw corrupt(file, `format version ${version}, this host reads version ${STATE_FORMAT_VERSION}`);
  }

  private readFile(file: string): InstanceRecord {
    const parsed = checked(file, InstanceFileSchema, parseJsonFile(file, fs.readFileSync(file, "utf8")));
    this.checkVersion(file, parsed.formatVersion);
    const record = recordFromStored(parsed.record);
    if (path.basename(file) !== instanceFileName(record.instanceId)) {
      throw corrupt(
        file,
        `it holds instance '${record.instanceId}', whose file would be ${instanceFileName(record.instanceId)}`,
      );
    }
    return record;
  }
}

function lastTimestamp(events: readonly { Timestamp: string }[]): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    const t = Date.parse(e.Timestamp);
    if (t > latest) latest = t;
  }
  return latest;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
