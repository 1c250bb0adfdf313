/**
 * What every job of one host shares: its options, clock, store, functions, pending work, totals and listeners, and
 * the two changes they all make to an instance: delivering it a message and setting its status.
 */
import type { DurableClientData } from "./clientRpc";
import { createVirtualClock, type VirtualClock } from "./clock";
import { DurableHostError } from "./hostError";
import { Progress } from "./progress";
import { FunctionRegistry } from "./registry";
import { createTotals, type Totals } from "./stats";
import type { StateDirectory } from "./stateDir";
import { DeflatedArchive, type FinishedArchive, type InstanceStore, type InstanceRecord } from "./store";
import type { DurableHostOptions, SchemaName } from "./types";
import { VersioningSettingsSchema, type VersioningSettings } from "./versioning";
import { ReplaySchema, isTerminal, iso, type HistoryEvent, type ReplaySchemaVersion, type RuntimeStatus } from "./wire";

/** A scheduled activity waiting for the next round. */
export interface ActivityItem {
  readonly instanceId: string;
  readonly executionId: number;
  readonly taskScheduledId: number;
  readonly name: string;
  /** JSON text of the activity's input, as in TaskScheduled.Input. */
  readonly inputText: string;
  readonly attempt: number;
}

/** A durable timer that has not fired. */
export interface TimerItem {
  readonly instanceId: string;
  readonly executionId: number;
  readonly timerId: number;
  readonly fireAt: number;
}

export interface HostState {
  readonly options: DurableHostOptions;
  readonly clock: VirtualClock;
  readonly store: InstanceStore;
  readonly schema: ReplaySchemaVersion;
  readonly versioning: VersioningSettings;
  readonly registry: FunctionRegistry;
  readonly progress: Progress;
  readonly totals: Totals;
  /** Instances with undelivered messages, in the order they became ready. */
  readonly ready: Set<string>;
  /** Activities scheduled and not yet run: the next round's batch. */
  activityQueue: ActivityItem[];
  timers: TimerItem[];
  closed: boolean;
  /** The `durableClient` binding's data, for activities that declare one (set by the triggers' owner). */
  durableClient: (() => Promise<DurableClientData>) | undefined;
  /** The state directory the host writes before acting, when it has one. */
  readonly disk: StateDirectory | undefined;
  /** The clock value last written to the state directory. */
  writtenNow: number | undefined;
  /** The instance whose episode is running, with the messages it took from its inbox (not yet history). */
  episodeInFlight: { readonly instanceId: string; readonly inbox: readonly HistoryEvent[] } | undefined;
  /** Resumed from stored state: messages may arrive twice (a sender re-ran an episode its receiver already recorded). */
  readonly resumed: boolean;
}

const SCHEMAS: Record<SchemaName, ReplaySchemaVersion> = {
  V1: ReplaySchema.V1,
  V2: ReplaySchema.V2,
  V3: ReplaySchema.V3,
};

export function createHostState(
  options: DurableHostOptions,
  disk: StateDirectory | undefined,
  store: InstanceStore,
  resumed: boolean,
): HostState {
  const progress = new Progress(options.log);
  if (options.onProgress) progress.on(options.onProgress);
  return {
    options,
    clock: options.clock ?? createVirtualClock(options.startTime),
    store,
    schema: SCHEMAS[options.schema ?? "V3"],
    versioning: VersioningSettingsSchema.parse(options.versioning ?? {}),
    registry: new FunctionRegistry(),
    progress,
    totals: createTotals(),
    ready: new Set(),
    activityQueue: [],
    timers: [],
    closed: false,
    durableClient: undefined,
    disk,
    writtenNow: undefined,
    episodeInFlight: undefined,
    resumed,
  };
}

/**
 * Writes what changed since the last write (each changed instance once, and the clock) to the state directory, then
 * lets finished instances leave memory: their parents were told when they finished, and their records are on disk
 * (or deflated in memory without a state directory). Called before the host acts on what changed: before a round's
 * activities run, after their results are delivered, at the end of a run, and before an API call answers.
 */
export function persist(state: HostState, final = false): void {
  const store = state.store;
  const { changed, removed } = store.takeChanges();
  const now = state.clock.now();
  const disk = state.disk;
  if (disk) {
    const records: InstanceRecord[] = [];
    for (const id of changed) {
      const r = store.live(id);
      if (!r) continue;
      const inFlight = state.episodeInFlight;
      // An episode in flight has taken its messages out of the inbox; until its commit they belong there.
      records.push(inFlight?.instanceId === id ? { ...r, inbox: [...inFlight.inbox, ...r.inbox] } : r);
    }
    // The clock goes with the instances written: a clock that moved with nothing else changed acts on nothing (the
    // timers it reached fire again at the same times after a restart), and `close` writes it at the end.
    const clockMoved = now !== state.writtenNow;
    if (records.length > 0 || removed.length > 0 || (clockMoved && final)) {
      try {
        disk.write(records, removed, clockMoved ? now : undefined);
      } catch (e) {
        for (const id of changed) store.touch(id);
        throw e;
      }
      state.writtenNow = now;
    }
  }
  for (const id of changed) {
    const r = store.live(id);
    if (r && isTerminal(r.runtimeStatus) && state.episodeInFlight?.instanceId !== id && !state.ready.has(id))
      store.evict(id);
  }
}

/**
 * The archive finished instances leave memory for: the state directory, else the caller's archive (a scratch file),
 * else deflated JSON in memory.
 */
export function archiveFor(store: InstanceStore, disk: StateDirectory | undefined, given?: FinishedArchive): void {
  // A store handed from one host to the next keeps the archive its finished instances went to.
  if (disk) store.useArchive(disk);
  else if (!store.hasArchive()) store.useArchive(given ?? new DeflatedArchive());
}

export function assertOpen(state: HostState): void {
  if (state.closed) throw new DurableHostError("The durable host is closed", { code: "HostClosed", statusCode: 503 });
}

/** Whether work for this execution still matters: the instance exists, has not moved on, and has not finished. */
export function isCurrent(state: HostState, instanceId: string, executionId: number): boolean {
  const r = state.store.peek(instanceId);
  return r !== undefined && r.executionId === executionId && !isTerminal(r.runtimeStatus);
}

/** Queues a message for the instance's next episode; a message for a finished or replaced execution is dropped. */
export function deliver(
  state: HostState,
  instanceId: string,
  executionId: number,
  event: Omit<HistoryEvent, "EventId" | "IsPlayed" | "Timestamp">,
): void {
  if (!isCurrent(state, instanceId, executionId)) return;
  const target = state.store.live(instanceId);
  if (!target) return;
  state.store.touch(instanceId);
  target.inbox.push({ EventId: -1, IsPlayed: false, Timestamp: iso(state.clock.now()), ...event });
  state.ready.add(instanceId);
}

export function setStatus(state: HostState, record: InstanceRecord, status: RuntimeStatus): void {
  const previous = record.runtimeStatus;
  record.runtimeStatus = status;
  record.lastUpdatedTime = state.clock.now();
  state.store.touch(record.instanceId);
  if (previous !== status) {
    state.progress.emit({
      type: "statusChanged",
      instanceId: record.instanceId,
      name: record.name,
      runtimeStatus: status,
      previous,
    });
  }
  state.progress.stateChanged();
}
