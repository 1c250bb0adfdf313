/**
 * Committing an episode: the new events and the scheduled work become history, the work is queued (activities,
 * timers, child instances), and the outcome sets the status, the output and what the parent is told.
 */
import { createInstance } from "./instances";
import { deliver, setStatus, type HostState } from "./hostState";
import type { ScheduledWork, ShimOutcome } from "./shimTypes";
import type { InstanceRecord } from "./store";
import { instanceVersion } from "./versioning";
import {
  EventType,
  OrchestrationStatusCode,
  isTerminal,
  iso,
  parseJsonText,
  toJsonText,
  type HistoryEvent,
} from "./wire";

/** A termination: the execution ends without running the orchestrator; the reason is its output. */
export function commitTerminated(
  state: HostState,
  record: InstanceRecord,
  started: HistoryEvent,
  terminated: HistoryEvent,
): void {
  const ts = started.Timestamp;
  record.history.push(
    { ...started, IsPlayed: true },
    { ...terminated, IsPlayed: true },
    {
      EventType: EventType.ExecutionCompleted,
      EventId: -1,
      IsPlayed: true,
      Timestamp: ts,
      OrchestrationStatus: OrchestrationStatusCode.Terminated,
      ...(terminated.Input === undefined ? {} : { Result: terminated.Input }),
    },
  );
  record.output = parseJsonText(terminated.Input);
  record.waitingForEvents = [];
  state.store.touch(record.instanceId);
  // A terminated sub-orchestration does not notify its parent (as with the real extension).
  setStatus(state, record, "Terminated");
}

export function commit(
  state: HostState,
  record: InstanceRecord,
  newEvents: readonly HistoryEvent[],
  work: readonly ScheduledWork[],
  outcome: ShimOutcome,
): void {
  const now = state.clock.now();
  const ts = iso(now);
  const history = record.history;
  for (const e of newEvents) history.push({ ...e, IsPlayed: true });
  for (const w of work) {
    switch (w.kind) {
      case "activity":
        history.push({
          EventType: EventType.TaskScheduled,
          EventId: w.id,
          IsPlayed: true,
          Timestamp: ts,
          Name: w.name,
          Version: "",
          Input: toJsonText(w.input),
        });
        break;
      case "timer":
        history.push({
          EventType: EventType.TimerCreated,
          EventId: w.id,
          IsPlayed: true,
          Timestamp: ts,
          FireAt: iso(w.fireAt),
        });
        break;
      case "subOrchestration":
        history.push({
          EventType: EventType.SubOrchestrationInstanceCreated,
          EventId: w.id,
          IsPlayed: true,
          Timestamp: ts,
          Name: w.name,
          InstanceId: w.instanceId,
          Version: w.version ?? state.versioning.defaultVersion,
          Input: toJsonText(w.input),
        });
        break;
    }
  }
  history.push({ EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: true, Timestamp: ts });
  record.lastUpdatedTime = now;
  state.store.touch(record.instanceId);

  for (const w of work) schedule(state, record, w);

  switch (outcome.kind) {
    case "running":
      record.waitingForEvents = [...outcome.waitingForEvents];
      state.progress.stateChanged();
      return;
    case "completed": {
      const resultText = toJsonText(outcome.output);
      history.push({
        EventType: EventType.ExecutionCompleted,
        EventId: -1,
        IsPlayed: true,
        Timestamp: ts,
        OrchestrationStatus: OrchestrationStatusCode.Completed,
        Result: resultText,
      });
      record.output = JSON.parse(resultText) as unknown;
      record.waitingForEvents = [];
      setStatus(state, record, "Completed");
      notifyParent(state, record, { EventType: EventType.SubOrchestrationInstanceCompleted, Result: resultText });
      return;
    }
    case "failed":
      history.push({
        EventType: EventType.ExecutionCompleted,
        EventId: -1,
        IsPlayed: true,
        Timestamp: ts,
        OrchestrationStatus: OrchestrationStatusCode.Failed,
        Result: outcome.message,
        FailureDetails: { ErrorType: outcome.errorType, ErrorMessage: outcome.message },
      });
      record.output = outcome.message;
      record.failureDetails = {
        errorType: outcome.errorType,
        errorMessage: outcome.message,
        ...(outcome.details ? { details: outcome.details } : {}),
      };
      record.waitingForEvents = [];
      setStatus(state, record, "Failed");
      notifyParent(state, record, {
        EventType: EventType.SubOrchestrationInstanceFailed,
        Reason: outcome.message,
        Details: outcome.details,
      });
      return;
    case "continuedAsNew": {
      // A new execution: fresh history, the new input, unprocessed events dropped.
      const inputText = toJsonText(outcome.input);
      const version = instanceVersion(record);
      record.executionId += 1;
      record.input = inputText;
      record.history = [];
      record.waitingForEvents = [];
      record.inbox = [
        // The new execution keeps the instance's version.
        {
          EventType: EventType.ExecutionStarted,
          EventId: -1,
          IsPlayed: false,
          Timestamp: ts,
          Name: record.name,
          Version: version,
          Input: inputText,
        },
      ];
      state.ready.add(record.instanceId);
      setStatus(state, record, "ContinuedAsNew");
      setStatus(state, record, "Running");
      return;
    }
  }
}

function schedule(state: HostState, record: InstanceRecord, work: ScheduledWork): void {
  switch (work.kind) {
    case "activity":
      state.activityQueue.push({
        instanceId: record.instanceId,
        executionId: record.executionId,
        taskScheduledId: work.id,
        name: work.name,
        inputText: toJsonText(work.input),
        attempt: 0,
      });
      return;
    case "timer":
      state.timers.push({
        instanceId: record.instanceId,
        executionId: record.executionId,
        timerId: work.id,
        fireAt: work.fireAt,
      });
      return;
    case "subOrchestration": {
      const existing = state.store.peek(work.instanceId);
      const p = existing?.parent;
      // The same start seen again: the parent re-ran an episode whose child was already written before a crash.
      if (
        existing &&
        p?.instanceId === record.instanceId &&
        p.executionId === record.executionId &&
        p.taskScheduledId === work.id
      )
        return;
      if (existing && !isTerminal(existing.runtimeStatus)) {
        // The extension documents no failure for this start: the message to the live instance is dropped and the
        // parent has been reported to wait forever (azure-functions-durable-extension#746); an opt-in guard that
        // fails the parent's task instead is proposed in durabletask#1402. "ignored" plays the first, "failed" the
        // second; the live instance is left as it is either way.
        if (state.options.subOrchestrationIdInUse !== "failed") return;
        deliver(state, record.instanceId, record.executionId, {
          EventType: EventType.SubOrchestrationInstanceFailed,
          TaskScheduledId: work.id,
          Reason: `An orchestration with instance ID '${work.instanceId}' already exists and is ${existing.runtimeStatus}`,
          Details: "",
        });
        return;
      }
      createInstance(
        state,
        work.name,
        work.instanceId,
        toJsonText(work.input),
        { instanceId: record.instanceId, taskScheduledId: work.id, executionId: record.executionId },
        existing,
        // Sub-orchestrations get the version asked for, else the worker's defaultVersion (as new instances do).
        work.version ?? state.versioning.defaultVersion,
      );
      return;
    }
  }
}

function notifyParent(
  state: HostState,
  record: InstanceRecord,
  event: Omit<HistoryEvent, "EventId" | "IsPlayed" | "Timestamp">,
): void {
  const parent = record.parent;
  if (!parent) return;
  // After a crash a child may finish again an episode whose notice its parent already recorded: say it once.
  if (state.resumed && childNoticeRecorded(state, parent.instanceId, parent.taskScheduledId)) return;
  deliver(state, parent.instanceId, parent.executionId, { ...event, TaskScheduledId: parent.taskScheduledId });
}

/** Whether the parent already holds the outcome of its sub-orchestration with this sequence id. */
export function childNoticeRecorded(state: HostState, parentId: string, taskScheduledId: number): boolean {
  const parent = state.store.live(parentId);
  if (!parent) return false;
  const isNotice = (e: HistoryEvent): boolean =>
    (e.EventType === EventType.SubOrchestrationInstanceCompleted ||
      e.EventType === EventType.SubOrchestrationInstanceFailed) &&
    e.TaskScheduledId === taskScheduledId;
  return parent.inbox.some(isNotice) || parent.history.some(isNotice);
}
