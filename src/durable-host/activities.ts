/**
 * Running a round of activities: `activityConcurrency` at a time, each turned into `TaskCompleted` or `TaskFailed`
 * as the worker and the extension would, then delivered together in the configured order unless the
 * at-least-once switch loses a completion (the activity then runs again).
 */
import { ensureError } from "../errors";
import { deliver, isCurrent, type ActivityItem, type HostState } from "./hostState";
import { invocationContext } from "./registry";
import { EventType, iso, toJsonText, tryJsonParse, type HistoryEvent, type WireFailureDetails } from "./wire";

/** mulberry32: a tiny seeded generator, so a shuffled delivery order can be reproduced. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The failure details an exception-properties provider puts in the thrown message as JSON. */
function parseFailureDetailsJson(message: string): WireFailureDetails | undefined {
  if (!message.startsWith("{")) return undefined;
  const parsed = tryJsonParse(message);
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const p = parsed as Record<string, unknown>;
  if (typeof p.errorType !== "string" || typeof p.errorMessage !== "string") return undefined;
  return {
    ErrorType: p.errorType,
    ErrorMessage: p.errorMessage,
    ...(typeof p.stackTrace === "string" ? { StackTrace: p.stackTrace } : {}),
    IsNonRetriable: p.isNonRetriable === true,
    ...(typeof p.properties === "object" && p.properties !== null
      ? { Properties: p.properties as Record<string, unknown> }
      : {}),
  };
}

async function runActivity(state: HostState, item: ActivityItem): Promise<HistoryEvent | undefined> {
  if (!isCurrent(state, item.instanceId, item.executionId)) return undefined;
  const base = {
    EventId: -1,
    IsPlayed: false,
    Timestamp: iso(state.clock.now()),
    TaskScheduledId: item.taskScheduledId,
  };
  const registration = state.registry.lookup(item.name, "activity");
  state.totals.activitiesRun += 1;
  if (!registration) {
    return {
      ...base,
      EventType: EventType.TaskFailed,
      Reason: `Activity function '${item.name}' is not registered in this host`,
      Details: "",
    };
  }
  try {
    const raw = JSON.parse(item.inputText) as unknown;
    // The worker hands string inputs through tryJsonParse; the SDK stringified them once already.
    const input = typeof raw === "string" ? tryJsonParse(raw) : raw;
    const context = invocationContext(registration, state.options.log);
    // An activity may declare a durable client input, like every other kind of function (it then reads instances' statuses).
    if (registration.durableClientBinding !== undefined && state.durableClient !== undefined) {
      context.extraInputs.set(registration.durableClientBinding, await state.durableClient());
    }
    const output = await registration.handler(input, context);
    return { ...base, EventType: EventType.TaskCompleted, Result: toJsonText(output) };
  } catch (e) {
    const error = ensureError(e);
    const details = parseFailureDetailsJson(error.message);
    const message = details ? details.ErrorMessage : error.message;
    return {
      ...base,
      EventType: EventType.TaskFailed,
      Reason: `Activity function '${registration.name}' failed: ${message}`,
      Details: error.stack ?? message,
      ...(details ? { FailureDetails: details } : {}),
    };
  }
}

/** A runner of activity rounds for this host; a shuffled order draws from one seeded sequence across rounds. */
export function activityRunner(state: HostState): (batch: readonly ActivityItem[]) => Promise<void> {
  const random = seededRandom(state.options.shuffleSeed ?? 1);
  const order = (finished: { item: ActivityItem; event: HistoryEvent }[]): void => {
    if (state.options.completionOrder === "reversed") finished.reverse();
    if (state.options.completionOrder === "shuffled") {
      for (let i = finished.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const a = finished[i];
        const b = finished[j];
        if (a && b) {
          finished[i] = b;
          finished[j] = a;
        }
      }
    }
  };

  return async (batch) => {
    const finished: { item: ActivityItem; event: HistoryEvent }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const item = batch[next++];
        if (!item) continue;
        const event = await runActivity(state, item);
        if (event) finished.push({ item, event });
      }
    };
    const width = Math.max(1, Math.min(state.options.activityConcurrency ?? 32, batch.length));
    await Promise.all(Array.from({ length: width }, () => worker()));
    order(finished);
    for (const { item, event } of finished) {
      const succeeded = event.EventType === EventType.TaskCompleted;
      const drop = state.options.dropActivityCompletion?.({
        instanceId: item.instanceId,
        name: item.name,
        taskScheduledId: item.taskScheduledId,
        attempt: item.attempt,
        succeeded,
      });
      state.progress.emit({
        type: "activityCompleted",
        instanceId: item.instanceId,
        name: item.name,
        taskScheduledId: item.taskScheduledId,
        succeeded,
        completionDropped: drop === true,
      });
      if (drop === true) {
        state.totals.activityCompletionsDropped += 1;
        state.activityQueue.push({ ...item, attempt: item.attempt + 1 });
        continue;
      }
      deliver(state, item.instanceId, item.executionId, event);
    }
  };
}
