/** Durable state of the local host: one record per orchestration instance (history plus undelivered messages). */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { z } from "zod";
import { RuntimeStatusSchema, type HistoryEvent, type RuntimeStatus } from "./wire";

// Only the fields the host relies on are checked; history events keep every other field as stored.
const StoredEventSchema = z.looseObject({
  EventType: z.number().int(),
  EventId: z.number().int(),
  IsPlayed: z.boolean(),
  Timestamp: z.string(),
});

const StoredParentSchema = z.object({
  instanceId: z.string(),
  taskScheduledId: z.number().int(),
  executionId: z.number().int(),
});

export const StoredRecordSchema = z.looseObject({
  instanceId: z.string(),
  name: z.string(),
  executionId: z.number().int(),
  input: z.string().optional(),
  runtimeStatus: RuntimeStatusSchema,
  createdTime: z.number(),
  lastUpdatedTime: z.number(),
  output: z.unknown().optional(),
  customStatus: z.unknown().optional(),
  failureDetails: z
    .object({ errorType: z.string(), errorMessage: z.string(), details: z.string().optional() })
    .optional(),
  history: z.array(StoredEventSchema),
  inbox: z.array(StoredEventSchema),
  parent: StoredParentSchema.optional(),
  waitingForEvents: z.array(z.string()),
  replays: z.number().int(),
  orchestratorCpuMs: z.number(),
});

/** A stored record back as the host's record: the schema checked what the host relies on, the rest is its own. */
export function recordFromStored(stored: z.infer<typeof StoredRecordSchema>): InstanceRecord {
  const r = stored as unknown as InstanceRecord;
  return {
    ...r,
    input: stored.input,
    output: stored.output ?? null,
    customStatus: stored.customStatus ?? null,
    failureDetails: stored.failureDetails,
    parent: stored.parent,
  };
}

export interface FailureDetails {
  errorType: string;
  errorMessage: string;
  details?: string | undefined;
}

export interface ParentLink {
  instanceId: string;
  /** Sequence id of the SubOrchestrationInstanceCreated event in the parent. */
  taskScheduledId: number;
  executionId: number;
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  /** Bumped by continueAsNew and by a restart with the same id, so stale completions are recognised. */
  executionId: number;
  /** JSON text of the current execution's input; undefined when started without one. */
  input: string | undefined;
  runtimeStatus: RuntimeStatus;
  createdTime: number;
  lastUpdatedTime: number;
  output: unknown;
  customStatus: unknown;
  failureDetails: FailureDetails | undefined;
  /** Committed history of the current execution. */
  history: HistoryEvent[];
  /** Messages delivered but not yet seen by the orchestrator: the next episode's new events. */
  inbox: HistoryEvent[];
  parent: ParentLink | undefined;
  /** External events the orchestration was waiting for after its last episode. */
  waitingForEvents: string[];
  /** Episodes (replays) run for this instance, across executions. */
  replays: number;
  orchestratorCpuMs: number;
}

/** What the host keeps in memory of an instance that left memory: enough to list it, count it and find its parent. */
export interface InstanceSummaryEntry {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTime: number;
  readonly lastUpdatedTime: number;
  readonly executionId: number;
  readonly parent: ParentLink | undefined;
  readonly replays: number;
  readonly historyLength: number;
  readonly orchestratorCpuMs: number;
}

export function summaryOf(r: InstanceRecord): InstanceSummaryEntry {
  return {
    instanceId: r.instanceId,
    name: r.name,
    runtimeStatus: r.runtimeStatus,
    createdTime: r.createdTime,
    lastUpdatedTime: r.lastUpdatedTime,
    executionId: r.executionId,
    parent: r.parent,
    replays: r.replays,
    historyLength: r.history.length,
    orchestratorCpuMs: r.orchestratorCpuMs,
  };
}

/** Where finished instances go when they leave memory, and how they come back when someone asks for them. */
export interface FinishedArchive {
  put(record: InstanceRecord): void;
  load(instanceId: string): InstanceRecord;
  delete(instanceId: string): void;
  /** Bytes of finished records the archive holds in memory (none for one on disk). */
  bytesInMemory?(): number;
}

/** An archive in memory: each finished record as deflated JSON, a few kilobytes instead of its object graph. */
export class DeflatedArchive implements FinishedArchive {
  private readonly records = new Map<string, Buffer>();
  put(record: InstanceRecord): void {
    // zlib's sync output is a view of a 16 KiB chunk it allocated; kept as it is, each record would hold the whole
    // chunk (16 KiB for 1 to 3 KiB of data, measured: 16 KiB of array buffers per finished instance). A copy of the
    // exact length lets the chunk go.
    this.records.set(record.instanceId, Buffer.from(deflateRawSync(JSON.stringify(record))));
  }
  load(instanceId: string): InstanceRecord {
    const data = this.records.get(instanceId);
    if (!data) throw new Error(`no archived record for instance '${instanceId}'`);
    return recordFromStored(StoredRecordSchema.parse(JSON.parse(inflateRawSync(data).toString("utf8"))));
  }
  delete(instanceId: string): void {
    this.records.delete(instanceId);
  }
  bytesInMemory(): number {
    let n = 0;
    for (const b of this.records.values()) n += b.byteLength;
    return n;
  }
}

/**
 * The instance table. Live instances are records in memory; finished ones may leave memory for an archive (the state
 * directory, or deflated JSON) and keep only a summary here. Hand the same store (or a `clone()`) to a new host to
 * resume every instance from it.
 */
export class InstanceStore {
  /** Records held in memory: every live instance, and finished ones not yet archived. */
  readonly instances = new Map<string, InstanceRecord>();
  private readonly archived = new Map<string, InstanceSummaryEntry>();
  private archive: FinishedArchive | undefined;
  /** Instances changed since the host last wrote its state, and instances purged since then. */
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();

  /** Where finished instances go when `evict` is called; without one they stay in memory. */
  useArchive(archive: FinishedArchive): void {
    this.archive = archive;
  }

  hasArchive(): boolean {
    return this.archive !== undefined;
  }

  /** Bytes of finished records kept in memory by the archive: 0 when they went to disk. */
  archivedBytesInMemory(): number {
    return this.archive?.bytesInMemory?.() ?? 0;
  }

  /** The full record: from memory, or read back from the archive (a copy: changing it changes nothing). */
  get(instanceId: string): InstanceRecord | undefined {
    const live = this.instances.get(instanceId);
    if (live) return live;
    if (!this.archived.has(instanceId) || !this.archive) return undefined;
    return this.archive.load(instanceId);
  }

  /** What the host needs to decide about an instance without its history. */
  peek(instanceId: string): InstanceSummaryEntry | undefined {
    const live = this.instances.get(instanceId);
    return live ? summaryOf(live) : this.archived.get(instanceId);
  }

  /** The record if it is held in memory (live instances always are). */
  live(instanceId: string): InstanceRecord | undefined {
    return this.instances.get(instanceId);
  }

  set(record: InstanceRecord): void {
    this.instances.set(record.instanceId, record);
    if (this.archived.delete(record.instanceId)) this.archive?.delete(record.instanceId);
    this.touch(record.instanceId);
  }

  /** Adds a finished instance that is already in the archive (a host opening its state directory). */
  addArchived(entry: InstanceSummaryEntry): void {
    this.archived.set(entry.instanceId, entry);
  }

  /** Marks the instance changed: the host writes it before acting on the change. */
  touch(instanceId: string): void {
    this.dirty.add(instanceId);
  }

  /** The instances changed and purged since the last call. */
  takeChanges(): { changed: string[]; removed: string[] } {
    const changed = [...this.dirty];
    const removed = [...this.removed];
    this.dirty.clear();
    this.removed.clear();
    return { changed, removed };
  }

  /** Moves a finished record out of memory into the archive, keeping its summary. */
  evict(instanceId: string): void {
    const record = this.instances.get(instanceId);
    if (!record || !this.archive) return;
    this.archive.put(record);
    this.archived.set(instanceId, summaryOf(record));
    this.instances.delete(instanceId);
  }

  delete(instanceId: string): boolean {
    const had = this.instances.delete(instanceId) || this.archived.delete(instanceId);
    if (had) {
      this.archive?.delete(instanceId);
      this.dirty.delete(instanceId);
      this.removed.add(instanceId);
    }
    return had;
  }

  /** Every record, archived ones read back. */
  *all(): IterableIterator<InstanceRecord> {
    yield* this.instances.values();
    for (const id of [...this.archived.keys()]) {
      const r = this.get(id);
      if (r) yield r;
    }
  }

  /** Summaries of every instance, without reading archived histories. */
  *summaries(): IterableIterator<InstanceSummaryEntry> {
    for (const r of this.instances.values()) yield summaryOf(r);
    yield* this.archived.values();
  }

  /** A deep copy, as if the state had been written to storage and read back by another process. */
  clone(): InstanceStore {
    return InstanceStore.fromJSON(this.toJSON());
  }

  toJSON(): string {
    return JSON.stringify([...this.all()]);
  }

  static fromJSON(text: string): InstanceStore {
    const store = new InstanceStore();
    const records = z.array(StoredRecordSchema).parse(JSON.parse(text));
    for (const r of records) store.set(recordFromStored(r));
    store.takeChanges();
    return store;
  }
}
