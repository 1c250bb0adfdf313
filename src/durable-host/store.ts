/** Durable state of the local host: one record per orchestration instance (history plus undelivered messages). */
import { z } from "zod";
import { RuntimeStatusSchema, type HistoryEvent, type RuntimeStatus } from "./wire";

// Only the fields the host relies on are checked; history events keep every other field as stored.
const StoredEventSchema = z.looseObject({
  EventType: z.number().int(),
  EventId: z.number().int(),
  IsPlayed: z.boolean(),
  Timestamp: z.string(),
});

const StoredRecordSchema = z.looseObject({
  instanceId: z.string(),
  name: z.string(),
  executionId: z.number().int(),
  input: z.string().optional(),
  runtimeStatus: RuntimeStatusSchema,
  createdTime: z.number(),
  lastUpdatedTime: z.number(),
  history: z.array(StoredEventSchema),
  inbox: z.array(StoredEventSchema),
  waitingForEvents: z.array(z.string()),
  replays: z.number().int(),
  orchestratorCpuMs: z.number(),
});

export interface FailureDetails {
  errorType: string;
  errorMessage: string;
  details?: string;
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

/** The instance table. Hand the same store (or a `clone()`) to a new host to resume every instance from it. */
export class InstanceStore {
  readonly instances = new Map<string, InstanceRecord>();

  get(instanceId: string): InstanceRecord | undefined {
    return this.instances.get(instanceId);
  }

  set(record: InstanceRecord): void {
    this.instances.set(record.instanceId, record);
  }

  delete(instanceId: string): boolean {
    return this.instances.delete(instanceId);
  }

  all(): IterableIterator<InstanceRecord> {
    return this.instances.values();
  }

  /** A deep copy, as if the state had been written to storage and read back by another process. */
  clone(): InstanceStore {
    return InstanceStore.fromJSON(this.toJSON());
  }

  toJSON(): string {
    return JSON.stringify([...this.instances.values()]);
  }

  static fromJSON(text: string): InstanceStore {
    const store = new InstanceStore();
    const records = z.array(StoredRecordSchema).parse(JSON.parse(text));
    // The schema checked the shape the host depends on; the rest is the host's own serialized record.
    for (const r of records) store.set(r as unknown as InstanceRecord);
    return store;
  }
}
