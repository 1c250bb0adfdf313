/**
 * Instance management, the durable client's side of the store: creating instances, queueing external events and
 * terminations, purging, and reading statuses. The loop runs whatever these queue.
 */
import { randomUUID } from "node:crypto";
import { DurableHostError } from "./hostError";
import type { HostState } from "./hostState";
import type { InstanceRecord, InstanceSummaryEntry } from "./store";
import type { InstanceQuery, InstanceStatus } from "./types";
import { instanceVersion } from "./versioning";
import { EventType, isTerminal, iso, parseJsonText, toJsonText, type HistoryEvent } from "./wire";

/** Creates an instance (replacing a finished one with the same id) with `ExecutionStarted` in its inbox. */
export function createInstance(
  state: HostState,
  name: string,
  instanceId: string,
  inputText: string | undefined,
  parent: InstanceRecord["parent"],
  previous: InstanceSummaryEntry | undefined,
  version: string,
): void {
  const now = state.clock.now();
  const started: HistoryEvent = {
    EventType: EventType.ExecutionStarted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: iso(now),
    Name: name,
    Version: version,
    ...(inputText === undefined ? {} : { Input: inputText }),
    ...(parent
      ? {
          ParentInstance: {
            Name: state.store.peek(parent.instanceId)?.name ?? "",
            OrchestrationInstance: { InstanceId: parent.instanceId },
            TaskScheduleId: parent.taskScheduledId,
          },
        }
      : {}),
  };
  const record: InstanceRecord = {
    instanceId,
    name,
    executionId: (previous?.executionId ?? 0) + 1,
    input: inputText,
    runtimeStatus: "Pending",
    createdTime: now,
    lastUpdatedTime: now,
    output: null,
    customStatus: null,
    failureDetails: undefined,
    history: [],
    inbox: [started],
    parent,
    waitingForEvents: [],
    replays: 0,
    orchestratorCpuMs: 0,
  };
  state.store.set(record);
  state.ready.add(instanceId);
  state.progress.emit({
    type: "statusChanged",
    instanceId,
    name,
    runtimeStatus: "Pending",
    previous: previous?.runtimeStatus,
  });
}

/**
 * Starts an orchestration: 400 if no orchestrator has that name, 409 if a live instance has that id. The client
 * refuses an explicit id whose instance is Running, Pending or Suspended, the extension's default
 * (`overridableExistingInstanceStates: NonRunningStates`, Azure/durabletask#325): the singleton rule the product's
 * one-live-run-per-target relies on. The instance's version is the start's, else the host's defaultVersion.
 */
export function startInstance(
  state: HostState,
  name: string,
  inputText: string | undefined,
  instanceId?: string,
  version?: string,
): string {
  const registration = state.registry.lookup(name, "orchestration");
  if (!registration) {
    throw new DurableHostError(`No orchestrator function named '${name}' is registered`, {
      code: "FunctionNotFound",
      statusCode: 400,
    });
  }
  const id = instanceId ?? randomUUID().replace(/-/g, "");
  const existing = state.store.peek(id);
  if (existing && !isTerminal(existing.runtimeStatus)) {
    throw new DurableHostError(`An instance with ID '${id}' already exists and is ${existing.runtimeStatus}`, {
      code: "InstanceExists",
      statusCode: 409,
    });
  }
  createInstance(
    state,
    registration.name,
    id,
    inputText,
    undefined,
    existing,
    version ?? state.versioning.defaultVersion,
  );
  return id;
}

function requireLive(state: HostState, instanceId: string): InstanceRecord {
  const summary = state.store.peek(instanceId);
  if (!summary) {
    throw new DurableHostError(`No instance with ID '${instanceId}'`, { code: "InstanceNotFound", statusCode: 404 });
  }
  const record = state.store.live(instanceId);
  if (!record || isTerminal(record.runtimeStatus)) {
    throw new DurableHostError(`Instance '${instanceId}' has already ${summary.runtimeStatus.toLowerCase()}`, {
      code: "InstanceGone",
      statusCode: 410,
    });
  }
  return record;
}

/** Puts a message in a live instance's inbox; 404 (unknown instance) or 410 (already finished). */
function queueMessage(
  state: HostState,
  instanceId: string,
  event: Omit<HistoryEvent, "EventId" | "IsPlayed" | "Timestamp">,
): void {
  const record = requireLive(state, instanceId);
  record.inbox.push({ EventId: -1, IsPlayed: false, Timestamp: iso(state.clock.now()), ...event });
  state.store.touch(instanceId);
  state.ready.add(instanceId);
}

/** Queues an external event whose data is JSON text. */
export function queueEvent(
  state: HostState,
  instanceId: string,
  eventName: string,
  dataText: string | undefined,
): void {
  queueMessage(state, instanceId, {
    EventType: EventType.EventRaised,
    Name: eventName,
    ...(dataText === undefined || dataText === "" ? {} : { Input: dataText }),
  });
}

/** Queues a termination, which takes effect at the instance's next episode. */
export function queueTermination(state: HostState, instanceId: string, reason: string): void {
  queueMessage(state, instanceId, { EventType: EventType.ExecutionTerminated, Input: toJsonText(reason) });
}

export function purgeInstance(state: HostState, instanceId: string): boolean {
  if (!state.store.delete(instanceId)) return false;
  state.ready.delete(instanceId);
  return true;
}

export function purgeInstances(state: HostState, query: InstanceQuery): number {
  const matches = matchingInstances(state, query);
  for (const id of matches) purgeInstance(state, id);
  return matches.length;
}

export function instanceStatus(state: HostState, instanceId: string): InstanceStatus | undefined {
  const record = state.store.get(instanceId);
  return record ? statusOf(record) : undefined;
}

/** What `getStatusAll` / `getStatusBy` return: every instance matching all the query's filters. */
export function listInstances(state: HostState, query: InstanceQuery): InstanceStatus[] {
  return matchingInstances(state, query).flatMap((id) => {
    const r = state.store.get(id);
    return r ? [statusOf(r)] : [];
  });
}

/** The ids of every instance matching all the query's filters, from the summaries (no archived history is read). */
export function matchingInstances(state: HostState, query: InstanceQuery): string[] {
  const from = query.createdTimeFrom === undefined ? undefined : new Date(query.createdTimeFrom).getTime();
  const to = query.createdTimeTo === undefined ? undefined : new Date(query.createdTimeTo).getTime();
  const out: string[] = [];
  for (const r of state.store.summaries()) {
    if (query.runtimeStatus && query.runtimeStatus.length > 0 && !query.runtimeStatus.includes(r.runtimeStatus))
      continue;
    if (from !== undefined && r.createdTime < from) continue;
    if (to !== undefined && r.createdTime > to) continue;
    if (query.name !== undefined && r.name.toLowerCase() !== query.name.toLowerCase()) continue;
    out.push(r.instanceId);
  }
  return out;
}

function statusOf(r: InstanceRecord): InstanceStatus {
  return {
    instanceId: r.instanceId,
    name: r.name,
    runtimeStatus: r.runtimeStatus,
    input: parseJsonText(r.input),
    output: r.output,
    customStatus: r.customStatus,
    failureDetails: r.failureDetails,
    createdTime: new Date(r.createdTime),
    lastUpdatedTime: new Date(r.lastUpdatedTime),
    parentInstanceId: r.parent?.instanceId,
    version: instanceVersion(r),
    history: r.history.map((e) => ({ ...e })),
    replays: r.replays,
  };
}
