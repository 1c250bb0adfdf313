/**
 * Recovery from a stored state, as a restarted host finds it: pending work is rebuilt from the histories alone.
 * At-least-once: every scheduled activity without a recorded result runs again.
 */
import type { HostState } from "./hostState";
import { EventType, isTerminal } from "./wire";

export function recoverFromStore(state: HostState): void {
  for (const r of state.store.all()) {
    if (isTerminal(r.runtimeStatus)) continue;
    if (r.inbox.length > 0) state.ready.add(r.instanceId);
    const completed = new Set<number>();
    const fired = new Set<number>();
    for (const e of [...r.history, ...r.inbox]) {
      if ((e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed) && e.TaskScheduledId !== undefined) {
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
        state.timers.push({ instanceId: r.instanceId, executionId: r.executionId, timerId: e.EventId, fireAt: Date.parse(e.FireAt ?? "") });
      }
    }
  }
}
