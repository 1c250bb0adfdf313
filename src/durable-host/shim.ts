/**
 * The extension side of a replay: a port of what the Durable extension's out-of-proc shim and the Durable Task
 * Framework do with the SDK's cumulative, id-less action list. Sequence ids are assigned in the order the .NET side
 * makes its scheduling calls; history events are matched against them (non-determinism check), and the .NET
 * semantics of Task.WhenAll (waits for every child), Task.WhenAny (never faults), retry interceptors and long timers
 * decide what is new. Everything runs synchronously: continuations run inline as each history event is applied.
 */
import {
  ActionType,
  EventType,
  ReplaySchema,
  type Action,
  type HistoryEvent,
  type OrchestratorState,
  type WireRetryOptions,
} from "./wire";
import { ExtensionError, FIRE_AND_FORGET, NetTask, whenAll, whenAny } from "./netTask";
import type { SdkFailure, ScheduledWork, ShimEnvironment, ShimResult } from "./shimTypes";
import { durableTimer, retried, type ScheduledTimer, type TimerScheduler } from "./timerChains";

class NonDeterminismError extends Error {
  override readonly name = "NonDeterministicOrchestrationException";
}

type WorkKind = ScheduledWork["kind"];

function describe(kind: WorkKind, name: string | undefined): string {
  if (kind === "timer") return "a durable timer";
  return `${kind === "activity" ? "activity" : "sub-orchestration"} '${name ?? "?"}'`;
}

class ExtensionReplay {
  private idCounter = 0;
  private nowMs = 0;
  private readonly pending = new Map<number, ScheduledWork>();
  private readonly open = new Map<number, NetTask>();
  private readonly waiters = new Map<string, NetTask[]>();
  private readonly buffered = new Map<string, number>();
  private continueAsNew: { input: unknown } | undefined;
  private programDone = false;
  private failure: Error | undefined;
  private readonly timers: TimerScheduler;

  constructor(
    private readonly env: ShimEnvironment,
    private readonly state: OrchestratorState,
  ) {
    this.timers = {
      schema: env.schema,
      maximumShortTimerMs: env.maximumShortTimerMs,
      longRunningTimerIntervalMs: env.longRunningTimerIntervalMs,
      now: () => this.nowMs,
      timer: (fireAt) => this.innerTimer(fireAt),
      cancel: (timer) => this.cancelTimer(timer),
    };
  }

  run(history: readonly HistoryEvent[], sdkFailure: SdkFailure | undefined): ShimResult {
    const customStatus = this.state.customStatus ?? undefined;
    try {
      for (const event of history) {
        this.apply(event);
        if (this.failure) break;
      }
    } catch (e) {
      if (!(e instanceof NonDeterminismError)) throw e;
      return {
        newWork: [],
        customStatus,
        outcome: {
          kind: "failed",
          errorType: e.name,
          message: `Non-Deterministic workflow detected: ${e.message}`,
          details: "",
        },
      };
    }
    const name = this.env.orchestrationName;
    if (this.failure) {
      return {
        newWork: [],
        customStatus,
        outcome: {
          kind: "failed",
          errorType: this.failure.name,
          message: `Orchestrator function '${name}' failed: ${this.failure.message}`,
          details: this.failure.stack ?? "",
        },
      };
    }
    const newWork = [...this.pending.values()].sort((a, b) => a.id - b.id);
    if (!this.programDone)
      return { newWork, customStatus, outcome: { kind: "running", waitingForEvents: this.eventNames() } };
    if (this.state.error !== undefined && this.state.error !== "") {
      return {
        newWork,
        customStatus,
        outcome: {
          kind: "failed",
          errorType: "OrchestrationFailureException",
          message: `Orchestrator function '${name}' failed: ${this.state.error}`,
          details: `Message: ${this.state.error}, StackTrace: ${sdkFailure?.stack ?? ""}`,
        },
      };
    }
    if (this.state.isDone) {
      if (this.continueAsNew)
        return { newWork, customStatus, outcome: { kind: "continuedAsNew", input: this.continueAsNew.input } };
      return { newWork, customStatus, outcome: { kind: "completed", output: this.state.output } };
    }
    return { newWork, customStatus, outcome: { kind: "running", waitingForEvents: this.eventNames() } };
  }

  private eventNames(): string[] {
    return [...this.waiters.entries()].filter(([, q]) => q.length > 0).map(([n]) => n);
  }

  private apply(event: HistoryEvent): void {
    switch (event.EventType) {
      case EventType.OrchestratorStarted:
        this.nowMs = Date.parse(event.Timestamp);
        return;
      case EventType.ExecutionStarted:
        this.guard(() => this.startProgram());
        return;
      case EventType.TaskScheduled:
        this.match(event.EventId, "activity", event.Name);
        return;
      case EventType.TimerCreated:
        this.match(event.EventId, "timer", undefined);
        return;
      case EventType.SubOrchestrationInstanceCreated:
        this.match(event.EventId, "subOrchestration", event.Name);
        return;
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted:
        this.settle(event.TaskScheduledId, (t) => t.resolve());
        return;
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed:
        this.settle(event.TaskScheduledId, (t) => t.reject(new Error(event.Reason ?? "task failed")));
        return;
      case EventType.TimerFired:
        this.settle(event.TimerId, (t) => t.resolve());
        return;
      case EventType.EventRaised:
        this.raise(event.Name ?? "");
        return;
      default:
        return;
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof NonDeterminismError) throw e;
      this.failure ??= e instanceof Error ? e : new Error(String(e));
    }
  }

  private settle(id: number | undefined, fn: (task: NetTask) => void): void {
    if (id === undefined) return;
    const task = this.open.get(id);
    // A completion nobody waits for (a canceled timer, a duplicate delivery) is ignored, as DTFx does.
    if (!task) return;
    this.open.delete(id);
    this.guard(() => fn(task));
  }

  private match(id: number, kind: WorkKind, name: string | undefined): void {
    const scheduled = this.pending.get(id);
    const advice =
      "Was the orchestrator changed while instances were running, or does it branch on the clock, randomness, I/O or the environment?";
    if (!scheduled) {
      throw new NonDeterminismError(
        `the history of '${this.env.instanceId}' has ${describe(kind, name)} with sequence id ${id}, but replaying the orchestrator did not schedule anything with that id. ${advice}`,
      );
    }
    const scheduledName = scheduled.kind === "timer" ? undefined : scheduled.name;
    if (scheduled.kind !== kind || scheduledName !== name) {
      throw new NonDeterminismError(
        `the history of '${this.env.instanceId}' has ${describe(kind, name)} with sequence id ${id}, but replaying the orchestrator scheduled ${describe(scheduled.kind, scheduledName)} with that id. ${advice}`,
      );
    }
    this.pending.delete(id);
  }

  private raise(name: string): void {
    const queue = this.waiters.get(name);
    const waiter = queue?.shift();
    if (waiter) {
      this.guard(() => waiter.resolve());
      return;
    }
    this.buffered.set(name, (this.buffered.get(name) ?? 0) + 1);
  }

  private startProgram(): void {
    const actions = this.state.actions;
    if (this.env.schema >= ReplaySchema.V2) {
      if (actions.length !== 1) {
        throw new ExtensionError(
          `With replay schema V2+, the actions array must have exactly one outer entry, got ${actions.length}`,
        );
      }
      this.runSequential(actions[0] ?? [], 0);
    } else {
      this.runSets(actions, 0);
    }
  }

  /** V2/V3: await each top-level action in turn; a faulted action does not stop the loop. */
  private runSequential(list: readonly Action[], start: number): void {
    for (let i = start; i < list.length; i++) {
      const action = list[i];
      if (!action) continue;
      const task = this.invoke(action);
      if (!task.done) {
        task.whenDone(() => this.guard(() => this.runSequential(list, i + 1)));
        return;
      }
    }
    this.programDone = true;
  }

  /** V1: start every action of a yield, then await the first of them to finish. */
  private runSets(sets: readonly (readonly Action[])[], start: number): void {
    for (let s = start; s < sets.length; s++) {
      const tasks = (sets[s] ?? []).map((a) => this.invoke(a)).filter((t) => t !== FIRE_AND_FORGET);
      if (tasks.length === 0) continue;
      const first = whenAny(tasks);
      if (!first.done) {
        first.whenDone(() => this.guard(() => this.runSets(sets, s + 1)));
        return;
      }
    }
    this.programDone = true;
  }

  private invoke(action: Action): NetTask {
    switch (action.actionType) {
      case ActionType.CallActivity:
        return this.callActivity(requireName(action), action.input);
      case ActionType.CallActivityWithRetry:
        return retried(requireRetry(action), () => this.callActivity(requireName(action), action.input), this.timers);
      case ActionType.CallSubOrchestrator:
        return this.callSubOrchestration(requireName(action), action.instanceId, action.input, action.version);
      case ActionType.CallSubOrchestratorWithRetry:
        return retried(
          requireRetry(action),
          () => this.callSubOrchestration(requireName(action), action.instanceId, action.input, action.version),
          this.timers,
        );
      case ActionType.ContinueAsNew:
        this.continueAsNew = { input: action.input };
        return FIRE_AND_FORGET;
      case ActionType.CreateTimer:
        return durableTimer(action, this.timers);
      case ActionType.WaitForExternalEvent:
        return this.waitForEvent(action.externalEventName ?? "");
      case ActionType.WhenAll:
        return whenAll((action.compoundActions ?? []).map((a) => this.invoke(a)));
      case ActionType.WhenAny:
        return whenAny((action.compoundActions ?? []).map((a) => this.invoke(a)));
      case ActionType.CallEntity:
      case ActionType.SignalEntity:
      case ActionType.ScheduledSignalEntity:
      case ActionType.LockEntities:
      case ActionType.ReleaseEntities:
        throw new ExtensionError("Durable entities are not supported by the local durable host.");
      case ActionType.CallHttp:
        throw new ExtensionError("callHttp is not supported by the local durable host.");
      default:
        throw new ExtensionError(`Received an unexpected action type from the orchestrator: ${action.actionType}`);
    }
  }

  private callActivity(name: string, input: unknown): NetTask {
    if (!this.env.isActivity(name)) {
      throw new ExtensionError(`The function '${name}' is not registered as an activity function in this app.`);
    }
    const id = this.idCounter++;
    this.pending.set(id, { kind: "activity", id, name, input });
    return this.openTask(id);
  }

  private callSubOrchestration(
    name: string,
    instanceId: string | undefined,
    input: unknown,
    version: string | undefined,
  ): NetTask {
    if (!this.env.isOrchestration(name)) {
      throw new ExtensionError(`The function '${name}' is not registered as an orchestrator function in this app.`);
    }
    if (instanceId !== undefined && instanceId === this.env.instanceId) {
      throw new ExtensionError("A sub-orchestration cannot have the same instance ID as its parent.");
    }
    const id = this.idCounter++;
    const childId = instanceId !== undefined && instanceId !== "" ? instanceId : `${this.env.instanceId}:${id}`;
    this.pending.set(id, {
      kind: "subOrchestration",
      id,
      name,
      instanceId: childId,
      input,
      version: version === "" ? undefined : version,
    });
    return this.openTask(id);
  }

  private openTask(id: number): NetTask {
    const task = new NetTask();
    this.open.set(id, task);
    return task;
  }

  private innerTimer(fireAt: number): ScheduledTimer {
    const id = this.idCounter++;
    this.pending.set(id, { kind: "timer", id, fireAt });
    return { id, task: this.openTask(id) };
  }

  private cancelTimer(timer: ScheduledTimer): void {
    // DTFx forgets a canceled timer's task, but the timer itself stays scheduled and still fires later.
    this.open.delete(timer.id);
    timer.task.cancel();
  }

  private waitForEvent(name: string): NetTask {
    const task = new NetTask();
    const buffered = this.buffered.get(name) ?? 0;
    if (buffered > 0) {
      this.buffered.set(name, buffered - 1);
      task.resolve();
      return task;
    }
    const queue = this.waiters.get(name);
    if (queue) queue.push(task);
    else this.waiters.set(name, [task]);
    return task;
  }
}

function requireName(action: Action): string {
  if (action.functionName === undefined || action.functionName === "") {
    throw new ExtensionError(`Action of type ${action.actionType} has no function name`);
  }
  return action.functionName;
}

function requireRetry(action: Action): WireRetryOptions {
  if (!action.retryOptions) throw new ExtensionError(`Action of type ${action.actionType} has no retry options`);
  return action.retryOptions;
}

/**
 * Replays `history` (past events followed by this episode's new ones) against the SDK's reported state, the way the
 * extension does, and says what is new and how the orchestration stands.
 */
export function replayExtensionSide(
  history: readonly HistoryEvent[],
  state: OrchestratorState,
  env: ShimEnvironment,
  sdkFailure?: SdkFailure,
): ShimResult {
  return new ExtensionReplay(env, state).run(history, sdkFailure);
}
