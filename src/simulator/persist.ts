/**
 * The simulator's world kept on disk (`port25 serve --state DIR`, under DIR/simulator), so that a restarted process
 * meets the world it left: the resources and their power states, the operations in flight with their virtual times,
 * the scenario's behaviours and other actors, the budgets spent, the faults taken and the request log.
 *
 * The world is not written as a picture of itself: it is the scenario and seed it was built from (`world.json`,
 * written once) and every request it answered, each with the clock readings it made (`requests.jsonl`, one line per
 * request). The simulator is a function of those (its randomness is seeded, its time comes only from the readings),
 * so building the world again from the scenario and taking the requests again in order rebuilds it as it was; every
 * replayed request must get the answer it got then, or the world is refused as unrebuildable. A line costs one
 * append, where a picture of the world costs its whole size at every change.
 *
 * Azure forgets nothing it answered, so neither does this: a request's line is on disk (fdatasync) before its answer
 * is sent. Requests answered together share one write and one fdatasync (group commit). A kill can leave at most a
 * last line cut short, which belongs to a request never answered: it is dropped. Anything else that does not parse
 * stops the start with an error naming the file and line; nothing is rewritten.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ensureError, Port25Error } from "../errors";
import type { Estate } from "./estate";
import { TenantThrottlingSchema } from "./estate";
import { OPERATION_NAMES } from "./faults";
import { ScenarioSchema } from "./scenario";
import { authorizationOf, type RecordedRequest, type RequestJournal } from "./recorded";
import { answerRequest, type FrontDoorDeps } from "./server";
import type { SimClock } from "./world/types";

export const SAVED_WORLD_FORMAT = 1;
export const WORLD_FILE = "world.json";
export const REQUESTS_FILE = "requests.jsonl";

/** The saved world is unreadable or cannot be rebuilt: the message names the file (and line). */
export class SimulatorStateError extends Port25Error {
  override readonly name = "SimulatorStateError";
  constructor(message: string, cause?: unknown) {
    super(message, { code: "StateCorrupt", cause });
  }
}

const SavedEstateSchema = z.object({
  kind: z.literal("estate"),
  tenantId: z.string().optional(),
  managementGroups: z.array(z.object({ id: z.string(), displayName: z.string(), parent: z.string().optional() })),
  subscriptions: z.array(z.object({ managementGroup: z.string().optional(), scenario: ScenarioSchema })).min(1),
  clock: z.object({ startTime: z.string().optional(), timeScale: z.number() }),
  tenantThrottling: TenantThrottlingSchema,
});

/** `world.json`: what the world was built from, and where it listens (operation URLs handed out name the port). */
export const SavedWorldSchema = z.object({
  formatVersion: z.literal(SAVED_WORLD_FORMAT),
  /** What the operator asked for (`--vms 20 (seed 1)`, a scenario file): a restart must ask for the same. */
  source: z.string(),
  seed: z.number().int(),
  port: z.number().int().min(1).max(65535),
  estate: SavedEstateSchema,
});
export type SavedWorld = Omit<z.output<typeof SavedWorldSchema>, "estate"> & { estate: Estate };

const RequestLogEntrySchema = z.object({
  method: z.string(),
  path: z.string(),
  apiVersion: z.string().optional(),
  status: z.number().int(),
  at: z.number(),
  realMs: z.number(),
  durationMs: z.number(),
  kind: z.enum(["read", "write", "delete"]),
  operation: z.enum([...OPERATION_NAMES, "listManagementGroupDescendants"]).optional(),
  subscriptionId: z.string().optional(),
  errorCode: z.string().optional(),
  throttledBy: z.enum(["subscription", "tenant", "compute"]).optional(),
});

/** One line of `requests.jsonl`. */
export const RecordedRequestSchema = z.object({
  method: z.string(),
  url: z.string(),
  raw: z.string(),
  authorization: z.enum(["valid", "missing", "invalid"]),
  reads: z.array(z.number()).min(1),
  entry: RequestLogEntrySchema,
});

export interface LoadedWorld {
  saved: SavedWorld;
  requests: RecordedRequest[];
}

function zodIssue(e: z.ZodError): string {
  const i = e.issues[0];
  return i === undefined ? e.message : `${i.path.join(".") || "(root)"}: ${i.message}`;
}

/** The estate as the simulator takes it, from its saved form (optional fields absent, never undefined). */
function estateOf(saved: z.output<typeof SavedEstateSchema>): Estate {
  return {
    kind: "estate",
    tenantId: saved.tenantId,
    managementGroups: saved.managementGroups.map((g) => ({
      id: g.id,
      displayName: g.displayName,
      ...(g.parent === undefined ? {} : { parent: g.parent }),
    })),
    subscriptions: saved.subscriptions.map((s) => ({ managementGroup: s.managementGroup, scenario: s.scenario })),
    clock: { startTime: saved.clock.startTime, timeScale: saved.clock.timeScale },
    tenantThrottling: saved.tenantThrottling,
  };
}

/** Reads `world.json` alone (what a restart must repeat), or undefined when the folder holds no world yet. */
export function readSavedWorld(dir: string): SavedWorld | undefined {
  const file = join(dir, WORLD_FILE);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SimulatorStateError(
      `${file}: the saved simulated world is not valid JSON (${text.length} bytes: ${e instanceof Error ? e.message : String(e)}); move the folder aside to start afresh`,
      e,
    );
  }
  const parsed = SavedWorldSchema.safeParse(raw);
  if (!parsed.success)
    throw new SimulatorStateError(
      `${file}: not a simulated world this version of port25 saved (${zodIssue(parsed.error)})`,
      parsed.error,
    );
  return { ...parsed.data, estate: estateOf(parsed.data.estate) };
}

/**
 * The saved world and its requests. A last line without its newline was cut by a kill before its request was
 * answered: it is left out (and cut from the file when `repair`), never taken as an answer given.
 */
export function loadSavedWorld(dir: string, repair: boolean): LoadedWorld | undefined {
  const saved = readSavedWorld(dir);
  if (saved === undefined) return undefined;
  const file = join(dir, REQUESTS_FILE);
  if (!existsSync(file)) return { saved, requests: [] };
  const buf = readFileSync(file);
  const end = buf.lastIndexOf(0x0a) + 1;
  if (end < buf.length && repair) {
    const fd = openSync(file, "r+");
    try {
      ftruncateSync(fd, end);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  const lines = buf.subarray(0, end).toString("utf8").split("\n");
  lines.pop();
  const requests = lines.map((line, i) => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new SimulatorStateError(
        `${file} line ${i + 1}: not valid JSON (${e instanceof Error ? e.message : String(e)}); the simulated world cannot be rebuilt past it`,
        e,
      );
    }
    const parsed = RecordedRequestSchema.safeParse(raw);
    if (!parsed.success)
      throw new SimulatorStateError(
        `${file} line ${i + 1}: not a request this version of port25 recorded (${zodIssue(parsed.error)})`,
        parsed.error,
      );
    const { entry, ...rest } = parsed.data;
    const request: RecordedRequest = { ...rest, entry: { ...entry, apiVersion: entry.apiVersion } };
    return request;
  });
  return { saved, requests };
}

/** Writes a file whole or not at all, durably: temp file, fsync, rename, fsync of the folder. */
function writeDurably(file: string, dir: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const d = openSync(dir, "r");
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // A folder cannot be opened for fsync on Windows, where the rename is durable once it returns.
  }
}

/** Writes `world.json` for a new world. */
export function saveWorld(dir: string, world: SavedWorld): void {
  mkdirSync(dir, { recursive: true });
  writeDurably(join(dir, WORLD_FILE), dir, `${JSON.stringify(SavedWorldSchema.parse(world))}\n`);
}

/** What keeping the world has cost so far. */
export interface JournalStats {
  /** Requests recorded. */
  requests: number;
  /** Appends, each followed by one fdatasync (requests answered together share one). */
  writes: number;
  bytes: number;
  /** Milliseconds spent in fdatasync. */
  syncMs: number;
}

export interface WorldJournal extends RequestJournal {
  stats(): JournalStats;
  /** Waits for what is being written, then closes the file. */
  close(): Promise<void>;
}

/**
 * Appends each answered request to `requests.jsonl` before its answer goes out. Requests that arrive while a write is
 * under way wait for the next one, which takes them all: one append and one fdatasync per group, not per request.
 */
export async function openJournal(dir: string): Promise<WorldJournal> {
  mkdirSync(dir, { recursive: true });
  const handle: FileHandle = await open(join(dir, REQUESTS_FILE), "a");
  const stats: JournalStats = { requests: 0, writes: 0, bytes: 0, syncMs: 0 };
  let queue: { line: string; done: () => void; failed: (e: unknown) => void }[] = [];
  let writing: Promise<void> | undefined;
  let broken: unknown;

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const group = queue;
      queue = [];
      try {
        if (broken !== undefined) throw ensureError(broken);
        const text = group.map((g) => g.line).join("");
        await handle.write(text);
        const t0 = performance.now();
        await handle.datasync();
        stats.syncMs += performance.now() - t0;
        stats.writes += 1;
        stats.bytes += Buffer.byteLength(text);
        stats.requests += group.length;
        for (const g of group) g.done();
      } catch (e) {
        // What is in memory may now be ahead of the disk: nothing more is answered (createHandler drops the answers).
        broken = e;
        for (const g of group) g.failed(e);
      }
    }
    writing = undefined;
  };

  return {
    record(request: RecordedRequest): Promise<void> {
      const line = `${JSON.stringify(request)}\n`;
      return new Promise<void>((done, failed) => {
        queue.push({ line, done, failed });
        // The first request of a group waits one turn, so that answers made in the same turn join it.
        writing ??= new Promise<void>((r) => setImmediate(r)).then(drain);
      });
    },
    stats: () => ({ ...stats }),
    async close(): Promise<void> {
      while (writing !== undefined) await writing;
      await handle.close();
    },
  };
}

/**
 * Takes a recorded request again, with its own clock readings and without waiting out latency spikes, and checks
 * that it gets the answer it got then: the world it leaves is the one the request left. The recorded log entry (with
 * the real times of the first answer) goes to the request log.
 */
export async function replayRequest(
  d: FrontDoorDeps,
  r: RecordedRequest,
): Promise<{ status: number; errorCode: string | undefined }> {
  let i = 0;
  const clock: SimClock = {
    now: () => {
      // A replay that reads the clock more often than the first answer did has already gone another way: it keeps the
      // last reading, and the status check below tells.
      const t = r.reads[Math.min(i, r.reads.length - 1)] ?? r.entry.at;
      i += 1;
      return t;
    },
  };
  const at = clock.now();
  const answer = await answerRequest(
    { ...d, clock, journal: undefined, sleep: () => Promise.resolve() },
    {
      method: r.method,
      url: r.url,
      raw: r.raw,
      authorization: authorizationOf(r.authorization, d.token),
      clientRequestId: undefined,
    },
    at,
    r.entry.realMs,
  );
  d.log.push(r.entry);
  return { status: i === r.reads.length ? answer.status : -1, errorCode: answer.entry.errorCode };
}
