/**
 * Recovery from a stored state, as a restarted host finds it: pending work is rebuilt from the histories alone.
 * At-least-once: every scheduled activity without a recorded result runs again, with the same sequence id.
 *
 * Each instance's file is written atomically, but a crash can fall between the files of one write: a parent may
 * be on disk with a child's start and the child not yet, or a child finished and its parent not yet told. Both are
 * repaired here from what each side recorded, so any subset of one write's files resumes to the same outcome.
 */
import { createInstance } from "./instances";
import { deliver, type HostState } from "./hostState";
import { childNoticeRecorded } from "./commit";
import type { InstanceRecord } from "./store";
import { EventType, isTerminal, type HistoryEvent } from "./wire";

export function recoverFromStore(state: HostState): void {
  const live = [...state.store.instances.values()];
  for (const r of live) {
    if (isTerminal(r.runtimeStatus)) continue;
    if (r.inbox.length > 0) state.ready.add(r.instanceId);
    const completed = new Set<number>();
    const fired = new Set<number>();
    for (const e of [...r.history, ...r.inbox]) {
      if (
        (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed) &&
        e.TaskScheduledId !== undefined
      ) {
        completed.add(e.TaskScheduledId);
      }
      if (e.EventType === EventType.TimerFired && e.TimerId !== undefined) fired.add(e.TimerId);
    }
    for (const e of r.history) {
      if (e.EventType === EventType.TaskScheduled && !completed.has(e.EventId)) {
        state.activityQueue.push({
          instanceId: r.instanceId,
          executionId: r.executionId,
          taskScheduledId: e.EventId,
          name: e.Name ?? "",
          inputText: e.Input ?? "null",
          attempt: 0,
        });
      }
      if (e.EventType === EventType.TimerCreated && !fired.has(e.EventId)) {
        state.timers.push({
          instanceId: r.instanceId,
          executionId: r.executionId,
          timerId: e.EventId,
          fireAt: Date.parse(e.FireAt ?? ""),
        });
      }
    }
  }
  for (const r of live) if (!isTerminal(r.runtimeStatus)) repairChildren(state, r);
}

/** Children the parent started that are missing, and finished children whose outcome the parent has not heard. */
function repairChildren(state: HostState, parent: InstanceRecord): void {
  for (const e of [...parent.history]) {
    if (e.EventType !== EventType.SubOrchestrationInstanceCreated || e.InstanceId === undefined) continue;
    if (childNoticeRecorded(state, parent.instanceId, e.EventId)) continue;
    const child = state.store.peek(e.InstanceId);
    const link = child?.parent;
    const ours =
      link?.instanceId === parent.instanceId &&
      link.executionId === parent.executionId &&
      link.taskScheduledId === e.EventId;
    if (!ours || !child) {
      // A live instance of another parent keeps the id, as at the original start; otherwise the start never
      // reached the disk: make it again.
      if (child && !isTerminal(child.runtimeStatus)) continue;
      createInstance(
        state,
        e.Name ?? "",
        e.InstanceId,
        e.Input,
        { instanceId: parent.instanceId, taskScheduledId: e.EventId, executionId: parent.executionId },
        child,
        e.Version ?? "",
      );
      continue;
    }
    if (child.runtimeStatus !== "Completed" && child.runtimeStatus !== "Failed") continue;
    const record = state.store.get(e.InstanceId);
    const done = record?.history.find((h) => h.EventType === EventType.ExecutionCompleted);
    if (!record || !done) continue;
    const notice: Omit<HistoryEvent, "EventId" | "IsPlayed" | "Timestamp"> =
      child.runtimeStatus === "Completed"
        ? { EventType: EventType.SubOrchestrationInstanceCompleted, TaskScheduledId: e.EventId, Result: done.Result }
        : {
            EventType: EventType.SubOrchestrationInstanceFailed,
            TaskScheduledId: e.EventId,
            Reason: done.Result,
            Details: record.failureDetails?.details,
          };
    deliver(state, parent.instanceId, parent.executionId, notice);
  }
}
