/**
 * The mark a command leaves in a state folder when it closed it cleanly: the durable host's state written and its
 * Azurite stopped after saving its tables. The audit catch-up (auditCatchUp.ts) is needed only after an unclean stop
 * (a killed holder: Azurite saves its tables on an interval, so a kill can take the writes of its last seconds), and
 * it grows with the folder's whole history, so a command that opens a folder runs it only when the mark is missing.
 *
 * The mark is removed as soon as a command takes the folder's lock (runState.ts), so a command killed after that
 * leaves none; one found together with a lock left by a dead process is not trusted either (the process was killed
 * between taking the lock and removing the mark). A folder written by a version without the mark has none: it is
 * caught up, the safe default. Written whole or not at all, and durably: temp file, fsync, rename, fsync of the
 * folder (fsync(2): the file's data alone does not make its directory entry durable).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";

export const CLEAN_CLOSE_FILE = "closed.json";

const CleanCloseSchema = z.object({
  version: z.literal(1),
  closedAt: z.string(),
  pid: z.number().int(),
  host: z.string(),
  command: z.string(),
});

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory: its rename is durable once it returns (MoveFileEx).
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether the folder holds a mark of a clean close this version can read. */
export function closedCleanly(dir: string): boolean {
  const file = join(dir, CLEAN_CLOSE_FILE);
  if (!existsSync(file)) return false;
  try {
    return CleanCloseSchema.safeParse(JSON.parse(readFileSync(file, "utf8"))).success;
  } catch {
    return false;
  }
}

/** Removes the mark (durably): from now on the folder's holder has not closed it. */
export function removeCleanClose(dir: string): void {
  const file = join(dir, CLEAN_CLOSE_FILE);
  if (!existsSync(file)) return;
  rmSync(file, { force: true });
  fsyncDir(dir);
}

/** Leaves the mark: the caller closed the folder cleanly and still holds its lock. */
export function writeCleanClose(dir: string, command: string): void {
  const file = join(dir, CLEAN_CLOSE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const mark: z.input<typeof CleanCloseSchema> = {
    version: 1,
    closedAt: new Date().toISOString(),
    pid: process.pid,
    host: hostname(),
    command,
  };
  try {
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, `${JSON.stringify(mark)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}
