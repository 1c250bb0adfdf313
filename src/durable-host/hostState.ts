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
import { InstanceStore, type InstanceRecord } from "./store";
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
}

const SCHEMAS: Record<SchemaName, ReplaySchemaVersion> = { V1: ReplaySchema.V1, V2: ReplaySchema.V2, V3: ReplaySchema.V3 };

export function createHostState(options: DurableHostOptions): HostState {
  const progress = new Progress(options.log);
  if (options.onProgress) progress.on(options.onProgress);
  return {
    options,
    clock: options.clock ?? createVirtualClock(options.startTime),
    store: options.store ?? new InstanceStore(),
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
  };
}

export function assertOpen(state: HostState): void {
  if (state.closed) throw new DurableHostError("The durable host is closed", { code: "HostClosed", statusCode: 503 });
}

/** Whether work for this execution still matters: the instance exists, has not moved on, and has not finished. */
export function isCurrent(state: HostState, instanceId: string, executionId: number): boolean {
  const r = state.store.get(instanceId);
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
  const target = state.store.get(instanceId);
  if (!target) return;
  target.inbox.push({ EventId: -1, IsPlayed: false, Timestamp: iso(state.clock.now()), ...event });
  state.ready.add(instanceId);
}

export function setStatus(state: HostState, record: InstanceRecord, status: RuntimeStatus): void {
  const previous = record.runtimeStatus;
  record.runtimeStatus = status;
  record.lastUpdatedTime = state.clock.now();
  if (previous !== status) {
    state.progress.emit({ type: "statusChanged", instanceId: record.instanceId, name: record.name, runtimeStatus: status, previous });
  }
  state.progress.stateChanged();
}
