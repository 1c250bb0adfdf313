/**
 * Replays an orchestrator function through the durable-functions SDK's own handler over a history written by the
 * test, as azure-functions-durable-js's tests do (test/integration/orchestrator-spec.ts: a TestHistories history, the
 * orchestrator's returned state checked): no host, no store, no scheduler. `drive` plays the extension's part in
 * the smallest way: each action the orchestrator asks for that the history does not hold yet is written into it
 * with the answer the test gives, until the orchestrator ends or waits on something the test does not answer.
 */
import "../../../src/durable-host/register";
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { registeredFunctions } from "../../../src/durable-host/functionsCore";
import { invocationContext } from "../../../src/durable-host/registry";
import {
  ActionType,
  EventType,
  OrchestratorStateSchema,
  OUT_OF_PROC_DATA_LABEL,
  ReplaySchema,
  tryJsonParse,
  type Action,
  type HistoryEvent,
} from "../../../src/durable-host/wire";

export type Orchestrator = (context: OrchestrationContext) => Generator<Task, unknown, unknown>;

export const START_MS = Date.UTC(2026, 2, 3, 8, 0, 0);

let registered = 0;

/** Registers `fn` under a fresh name and returns that name. */
export function register(fn: Orchestrator): string {
  const name = `toolkitProbe${++registered}`;
  df.app.orchestration(name, fn);
  return name;
}

export interface Replayed {
  /** Every action of the orchestrator so far, in order (the SDK's cumulative list, compound actions opened). */
  actions: Action[];
  isDone: boolean;
  output: unknown;
  error: string | undefined;
  customStatus: unknown;
}

function flatten(actions: readonly Action[]): Action[] {
  return actions.flatMap((a) => (a.compoundActions !== undefined ? flatten(a.compoundActions) : [a]));
}

/** One replay of `name` over `history`. */
export async function replay(name: string, history: readonly HistoryEvent[], input: unknown = null): Promise<Replayed> {
  const registration = registeredFunctions().get(name.toLowerCase());
  if (registration === undefined) throw new Error(`${name} is not registered`);
  const payload: unknown = JSON.parse(
    JSON.stringify({
      history,
      input,
      instanceId: "probe-instance",
      isReplaying: false,
      parentInstanceId: null,
      upperSchemaVersion: ReplaySchema.V1,
      upperSchemaVersionNew: ReplaySchema.V1,
      longRunningTimerIntervalDuration: "3.00:00:00",
      maximumShortTimerDuration: "6.00:00:00",
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    }),
  );
  let returned: unknown;
  try {
    returned = await registration.handler(payload, invocationContext(registration, undefined));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = message.indexOf(OUT_OF_PROC_DATA_LABEL);
    if (at < 0) throw e;
    returned = tryJsonParse(message.slice(at + OUT_OF_PROC_DATA_LABEL.length));
  }
  const state = OrchestratorStateSchema.parse(JSON.parse(JSON.stringify(returned)));
  return {
    actions: flatten(state.actions.flat()),
    isDone: state.isDone,
    output: state.output,
    error: state.error,
    customStatus: state.customStatus,
  };
}

/** How the test answers one scheduled piece of work: a result, a failure, or nothing yet. */
export type Answer = { result: unknown } | { failure: string } | "pending";

export interface Driven extends Replayed {
  history: HistoryEvent[];
  /** The scheduled work (activities, sub-orchestrations, timers) in the order it was scheduled. */
  scheduled: Action[];
}

const SCHEDULED = new Set<number>([
  ActionType.CallActivity,
  ActionType.CallActivityWithRetry,
  ActionType.CallSubOrchestrator,
  ActionType.CallSubOrchestratorWithRetry,
  ActionType.CreateTimer,
]);

/**
 * Plays the orchestrator to its end (or until it waits on work the test leaves pending): each new action gets its
 * scheduled event and, unless pending, its answer (timers fire when scheduled). `events` are raised, each after
 * the episode whose number it gives (0: with the start).
 */
export async function drive(
  fn: Orchestrator,
  answer: (action: Action, index: number) => Answer,
  options: {
    input?: unknown;
    events?: readonly { afterEpisode: number; name: string; value: unknown }[];
    maxEpisodes?: number;
  } = {},
): Promise<Driven> {
  const name = register(fn);
  let now = START_MS;
  const at = (): string => new Date(now).toISOString();
  const history: HistoryEvent[] = [
    { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: at() },
    {
      EventType: EventType.ExecutionStarted,
      EventId: -1,
      IsPlayed: false,
      Timestamp: at(),
      Name: name,
      Input: JSON.stringify(options.input ?? null),
    },
  ];
  const scheduled: Action[] = [];
  // Answers are delivered one an episode, oldest first, as work finishing one by one wakes the orchestrator.
  const queue: HistoryEvent[] = [];
  let seen = 0;
  for (let episode = 0; episode < (options.maxEpisodes ?? 200); episode++) {
    for (const e of options.events ?? []) {
      if (e.afterEpisode === episode)
        history.push({
          EventType: EventType.EventRaised,
          EventId: -1,
          IsPlayed: false,
          Timestamp: at(),
          Name: e.name,
          Input: JSON.stringify(e.value),
        });
    }
    const state = await replay(
      name,
      history.map((e) => ({ ...e, IsPlayed: true })),
      options.input ?? null,
    );
    if (state.isDone) return { ...state, history, scheduled };
    const work = state.actions.filter((a) => SCHEDULED.has(a.actionType));
    for (const sent of work.slice(seen)) {
      // The SDK sends inputs as JSON text; the test reads them as values.
      const action = { ...sent, input: typeof sent.input === "string" ? tryJsonParse(sent.input) : sent.input };
      const id = scheduled.length;
      scheduled.push(action);
      if (action.actionType === ActionType.CreateTimer) {
        const fireAt = action.fireAt ?? at();
        history.push({
          EventType: EventType.TimerCreated,
          EventId: id,
          IsPlayed: false,
          Timestamp: at(),
          FireAt: fireAt,
        });
        queue.push({
          EventType: EventType.TimerFired,
          EventId: -1,
          IsPlayed: false,
          Timestamp: fireAt,
          TimerId: id,
          FireAt: fireAt,
        });
        continue;
      }
      const sub =
        action.actionType === ActionType.CallSubOrchestrator ||
        action.actionType === ActionType.CallSubOrchestratorWithRetry;
      history.push(
        sub
          ? {
              EventType: EventType.SubOrchestrationInstanceCreated,
              EventId: id,
              IsPlayed: false,
              Timestamp: at(),
              Name: action.functionName ?? "",
              InstanceId: action.instanceId ?? "",
            }
          : {
              EventType: EventType.TaskScheduled,
              EventId: id,
              IsPlayed: false,
              Timestamp: at(),
              Name: action.functionName ?? "",
            },
      );
      const a = answer(action, id);
      if (a === "pending") continue;
      queue.push(
        "result" in a
          ? {
              EventType: sub ? EventType.SubOrchestrationInstanceCompleted : EventType.TaskCompleted,
              EventId: -1,
              IsPlayed: false,
              Timestamp: at(),
              TaskScheduledId: id,
              Result: JSON.stringify(a.result),
            }
          : {
              EventType: sub ? EventType.SubOrchestrationInstanceFailed : EventType.TaskFailed,
              EventId: -1,
              IsPlayed: false,
              Timestamp: at(),
              TaskScheduledId: id,
              Reason: a.failure,
              Details: "",
            },
      );
    }
    seen = work.length;
    const next = queue.shift();
    const more = (options.events ?? []).some((e) => e.afterEpisode > episode);
    if (next === undefined && !more) return { ...state, history, scheduled };
    now = Math.max(now + 1000, next?.FireAt !== undefined ? Date.parse(next.FireAt) : 0);
    history.push({ EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: at() });
    if (next !== undefined) history.push({ ...next, Timestamp: at() });
  }
  throw new Error("the orchestrator did not settle");
}
