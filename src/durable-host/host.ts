/**
 * The local durable host: plays the Durable Task extension for the real `durable-functions` package, in process.
 * Orchestrator episodes replay through the SDK's own handler, the extension side is emulated by `shim.ts`,
 * activities run concurrently in rounds, and durable timers run on a virtual clock.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  HttpRequest,
  HttpResponse,
  InvocationContext,
  type FunctionInput,
  type FunctionOutput,
  type FunctionTrigger,
  type HttpRequestInit,
} from "@azure/functions";
import { ensureError } from "../errors";
import { createVirtualClock, type VirtualClock } from "./clock";
import { ClientRpcServer, type DurableClientData } from "./clientRpc";
import { DurableHostError } from "./hostError";
import { installFunctionsCore, registeredFunctions, type FunctionKind, type Registration } from "./functionsCore";
import { replayExtensionSide, type ScheduledWork, type ShimOutcome } from "./shim";
import { InstanceStore, type FailureDetails, type InstanceRecord } from "./store";
import {
  EventType,
  OUT_OF_PROC_DATA_LABEL,
  OrchestrationStatusCode,
  OrchestratorStateSchema,
  ReplaySchema,
  isTerminal,
  toJsonText,
  tryJsonParse,
  type HistoryEvent,
  type OrchestratorState,
  type ReplaySchemaVersion,
  type RuntimeStatus,
  type WireFailureDetails,
} from "./wire";

export type SchemaName = "V1" | "V2" | "V3";

export interface ActivityCompletionInfo {
  readonly instanceId: string;
  readonly name: string;
  readonly taskScheduledId: number;
  /** 0 for the first run of this scheduled activity, 1 after one lost completion, … */
  readonly attempt: number;
  readonly succeeded: boolean;
}

export type HostProgressEvent =
  | {
      readonly type: "episode";
      readonly instanceId: string;
      readonly name: string;
      readonly runtimeStatus: RuntimeStatus;
      readonly replays: number;
      readonly historyLength: number;
      readonly newWork: number;
    }
  | {
      readonly type: "statusChanged";
      readonly instanceId: string;
      readonly name: string;
      readonly runtimeStatus: RuntimeStatus;
      /** Undefined when the instance was just created. */
      readonly previous: RuntimeStatus | undefined;
    }
  | {
      readonly type: "activityCompleted";
      readonly instanceId: string;
      readonly name: string;
      readonly taskScheduledId: number;
      readonly succeeded: boolean;
      readonly completionDropped: boolean;
    }
  | { readonly type: "timerFired"; readonly instanceId: string; readonly timerId: number; readonly fireAt: number }
  | { readonly type: "clockAdvanced"; readonly from: number; readonly to: number };

export type HostLogger = (level: string, functionName: string, ...args: unknown[]) => void;

export interface DurableHostOptions {
  /** Replay schema the emulated extension offers. Default V3 (what current extensions send). */
  schema?: SchemaName;
  /** Share a clock (e.g. with the Azure simulator); otherwise one is created at `startTime`. */
  clock?: VirtualClock;
  startTime?: Date | number | string;
  /** Activities run at once per round. Default 32. */
  activityConcurrency?: number;
  /** Virtual time added at the start of each episode. Default 0: only timers move time. */
  episodeTickMs?: number;
  /** Defaults match Azure Storage: 6 days and 3 days. */
  maximumShortTimerMs?: number;
  longRunningTimerIntervalMs?: number;
  taskHubName?: string;
  /** Resume from this store (every instance continues from its stored history). */
  store?: InstanceStore;
  /**
   * At-least-once switch: return true to lose this activity's completion after it ran. The host then runs the
   * activity again, as the real host does when a work item's result is never recorded.
   */
  dropActivityCompletion?: (info: ActivityCompletionInfo) => boolean;
  /**
   * Called before each orchestrator episode replays its history. A test drops in-process caches here to replay
   * every episode as a worker that has never seen the instance would (the real host moves instances between
   * workers at will).
   */
  beforeReplay?: (info: { instanceId: string; name: string }) => void;
  /**
   * Order in which a round's completions reach the orchestrator: as they finished (default), reversed, or shuffled
   * (seeded). Orchestrations must not depend on it; the real host guarantees no order either.
   */
  completionOrder?: "finished" | "reversed" | "shuffled";
  shuffleSeed?: number;
  onProgress?: (event: HostProgressEvent) => void;
  /** Receives `context.log` output of every function. Default: discarded. */
  log?: HostLogger;
}

export interface RunOptions {
  /** Stop after this many episodes (a safety valve); the report says `stoppedBy: "maxEpisodes"`. */
  maxEpisodes?: number;
  /** Fire timers only up to this virtual time; the clock stops there so a test can act before a deadline. */
  advanceTimersUpTo?: Date | number;
}

export interface InstanceSummary {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: RuntimeStatus;
}

export interface RunReport {
  readonly stoppedBy: "idle" | "maxEpisodes" | "closed";
  readonly episodes: number;
  readonly activitiesRun: number;
  readonly timersFired: number;
  readonly virtualTime: number;
  /** Running instances waiting for an external event (possibly racing a timer). */
  readonly waitingForEvents: readonly (InstanceSummary & { readonly events: readonly string[] })[];
  /** Running instances with nothing pending at all: they can never finish (e.g. a retry timeout, upstream bug #629). */
  readonly stuck: readonly InstanceSummary[];
}

export interface InstanceStatus {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly input: unknown;
  readonly output: unknown;
  readonly customStatus: unknown;
  readonly failureDetails: FailureDetails | undefined;
  readonly createdTime: Date;
  readonly lastUpdatedTime: Date;
  readonly parentInstanceId: string | undefined;
  readonly history: readonly HistoryEvent[];
  readonly replays: number;
}

export interface InstanceQuery {
  runtimeStatus?: readonly RuntimeStatus[];
  createdTimeFrom?: Date | number;
  createdTimeTo?: Date | number;
  name?: string;
}

export interface HostStats {
  readonly virtualTime: number;
  readonly episodes: number;
  readonly activitiesRun: number;
  readonly activityCompletionsDropped: number;
  readonly timersFired: number;
  /** process CPU time spent inside orchestrator handler calls (the SDK replaying user code). */
  readonly orchestratorCpuMs: number;
  /** Elapsed time inside orchestrator handler calls. */
  readonly orchestratorHandlerMs: number;
  /** Elapsed time of whole episodes (payload, SDK, extension emulation, commit). */
  readonly episodeMs: number;
  readonly instances: readonly {
    readonly instanceId: string;
    readonly name: string;
    readonly runtimeStatus: RuntimeStatus;
    readonly replays: number;
    readonly historyLength: number;
    readonly orchestratorCpuMs: number;
  }[];
}

interface ActivityItem {
  readonly instanceId: string;
  readonly executionId: number;
  readonly taskScheduledId: number;
  readonly name: string;
  /** JSON text of the activity's input, as in TaskScheduled.Input. */
  readonly inputText: string;
  readonly attempt: number;
}

interface TimerItem {
  readonly instanceId: string;
  readonly executionId: number;
  readonly timerId: number;
  readonly fireAt: number;
}

const SCHEMAS: Record<SchemaName, ReplaySchemaVersion> = { V1: ReplaySchema.V1, V2: ReplaySchema.V2, V3: ReplaySchema.V3 };
const DAY_MS = 86_400_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** .NET TimeSpan text ("d.hh:mm:ss") the extension sends for timer settings. */
function timeSpan(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  return `${days}.${new Date(ms % DAY_MS).toISOString().slice(11, 19)}`;
}

function parseJsonText(text: string | undefined): unknown {
  if (text === undefined) return null;
  return JSON.parse(text) as unknown;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

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

function optionsOf(registration: Registration): {
  trigger: FunctionTrigger;
  extraInputs: FunctionInput[];
  extraOutputs: FunctionOutput[];
  return: FunctionOutput | undefined;
} {
  let trigger: FunctionTrigger | undefined;
  let ret: FunctionOutput | undefined;
  const extraInputs: FunctionInput[] = [];
  const extraOutputs: FunctionOutput[] = [];
  for (const [name, binding] of Object.entries(registration.metadata.bindings)) {
    const described = { ...binding, name, type: binding.type };
    if (binding.type === registration.triggerType) trigger = described;
    else if (name === "$return") ret = described;
    else if (binding.direction === "out") extraOutputs.push(described);
    else extraInputs.push(described);
  }
  return { trigger: trigger ?? { name: "trigger", type: registration.triggerType }, extraInputs, extraOutputs, return: ret };
}

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

export class DurableHost {
  readonly clock: VirtualClock;
  readonly store: InstanceStore;
  private readonly schema: ReplaySchemaVersion;
  private readonly registry = new Map<string, Registration>();
  private readonly ready = new Set<string>();
  private activityQueue: ActivityItem[] = [];
  private timers: TimerItem[] = [];
  private readonly listeners = new Set<(event: HostProgressEvent) => void>();
  private readonly statusWaiters = new Set<() => void>();
  private readonly random: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private rpc: ClientRpcServer | undefined;
  private closed = false;
  private background: { stopRequested: boolean; loop: Promise<void> } | undefined;
  private wake: (() => void) | undefined;
  private dirty = false;
  private readonly totals = {
    episodes: 0,
    activitiesRun: 0,
    activityCompletionsDropped: 0,
    timersFired: 0,
    orchestratorCpuMs: 0,
    orchestratorHandlerMs: 0,
    episodeMs: 0,
  };

  constructor(private readonly options: DurableHostOptions = {}) {
    installFunctionsCore();
    this.clock = options.clock ?? createVirtualClock(options.startTime);
    this.store = options.store ?? new InstanceStore();
    this.schema = SCHEMAS[options.schema ?? "V3"];
    this.random = seededRandom(options.shuffleSeed ?? 1);
    if (options.onProgress) this.listeners.add(options.onProgress);
    this.recoverFromStore();
  }

  // ---------------------------------------------------------------- registration

  /**
   * Loads the app's modules (their `app.*` / `df.app.*` calls register functions through the fake core) and takes
   * every function registered in this process into this host.
   */
  async importApp(modulePaths: readonly string[]): Promise<readonly string[]> {
    installFunctionsCore();
    for (const path of modulePaths) {
      await import(path);
    }
    this.adoptRegistrations();
    if (this.registry.size === 0) {
      throw new DurableHostError(
        "No functions were registered. If @azure/functions was used before the host was created, it is in test mode: " +
          "import 'src/durable-host/register' before any module that calls app.*.",
        { code: "NoRegistrations", statusCode: 500 },
      );
    }
    return [...this.registry.values()].map((r) => r.name);
  }

  /** Takes every function registered in this process so far (for apps imported by the caller). */
  adoptRegistrations(): void {
    for (const [key, registration] of registeredFunctions()) this.registry.set(key, registration);
  }

  functions(): readonly { name: string; kind: FunctionKind }[] {
    return [...this.registry.values()].map((r) => ({ name: r.name, kind: r.kind }));
  }

  private lookup(name: string, kind: FunctionKind): Registration | undefined {
    const r = this.registry.get(name.toLowerCase());
    return r && r.kind === kind ? r : undefined;
  }

  // ---------------------------------------------------------------- instance management

  startOrchestration(name: string, input?: unknown, opts: { instanceId?: string } = {}): string {
    return this.startWithInputText(name, input === undefined ? undefined : toJsonText(input), opts.instanceId);
  }

  /** Starts an instance from the JSON text of its input (what the client API receives). */
  startWithInputText(name: string, inputText: string | undefined, instanceId?: string): string {
    this.assertOpen();
    const registration = this.lookup(name, "orchestration");
    if (!registration) {
      throw new DurableHostError(`No orchestrator function named '${name}' is registered`, {
        code: "FunctionNotFound",
        statusCode: 400,
      });
    }
    const id = instanceId ?? randomUUID().replace(/-/g, "");
    const existing = this.store.get(id);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      throw new DurableHostError(`An instance with ID '${id}' already exists and is ${existing.runtimeStatus}`, {
        code: "InstanceExists",
        statusCode: 409,
      });
    }
    this.createInstance(registration.name, id, inputText, undefined, existing);
    this.notifyWork();
    return id;
  }

  private createInstance(
    name: string,
    instanceId: string,
    inputText: string | undefined,
    parent: InstanceRecord["parent"],
    previous: InstanceRecord | undefined,
  ): void {
    const now = this.clock.now();
    const started: HistoryEvent = {
      EventType: EventType.ExecutionStarted,
      EventId: -1,
      IsPlayed: false,
      Timestamp: iso(now),
      Name: name,
      Version: "",
      ...(inputText === undefined ? {} : { Input: inputText }),
      ...(parent
        ? {
            ParentInstance: {
              Name: this.store.get(parent.instanceId)?.name ?? "",
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
    this.store.set(record);
    this.ready.add(instanceId);
    this.emit({ type: "statusChanged", instanceId, name, runtimeStatus: "Pending", previous: previous?.runtimeStatus });
  }

  private requireLive(instanceId: string): InstanceRecord {
    const record = this.store.get(instanceId);
    if (!record) {
      throw new DurableHostError(`No instance with ID '${instanceId}'`, { code: "InstanceNotFound", statusCode: 404 });
    }
    if (isTerminal(record.runtimeStatus)) {
      throw new DurableHostError(`Instance '${instanceId}' has already ${record.runtimeStatus.toLowerCase()}`, {
        code: "InstanceGone",
        statusCode: 410,
      });
    }
    return record;
  }

  /** Delivers an external event. Throws DurableHostError 404 (unknown instance) or 410 (already finished). */
  raiseEvent(instanceId: string, eventName: string, data?: unknown): void {
    this.raiseEventText(instanceId, eventName, data === undefined ? undefined : toJsonText(data));
  }

  raiseEventText(instanceId: string, eventName: string, dataText: string | undefined): void {
    this.assertOpen();
    const record = this.requireLive(instanceId);
    record.inbox.push({
      EventType: EventType.EventRaised,
      EventId: -1,
      IsPlayed: false,
      Timestamp: iso(this.clock.now()),
      Name: eventName,
      ...(dataText === undefined || dataText === "" ? {} : { Input: dataText }),
    });
    this.ready.add(instanceId);
    this.notifyWork();
  }

  /** Terminates at the instance's next episode. Throws 404 / 410 like raiseEvent. */
  terminate(instanceId: string, reason = ""): void {
    this.assertOpen();
    const record = this.requireLive(instanceId);
    record.inbox.push({
      EventType: EventType.ExecutionTerminated,
      EventId: -1,
      IsPlayed: false,
      Timestamp: iso(this.clock.now()),
      Input: toJsonText(reason),
    });
    this.ready.add(instanceId);
    this.notifyWork();
  }

  purge(instanceId: string): boolean {
    const record = this.store.get(instanceId);
    if (!record) return false;
    this.store.delete(instanceId);
    this.ready.delete(instanceId);
    return true;
  }

  purgeBy(query: InstanceQuery): number {
    const matches = this.listInstances(query);
    for (const m of matches) this.purge(m.instanceId);
    return matches.length;
  }

  getStatus(instanceId: string): InstanceStatus | undefined {
    const record = this.store.get(instanceId);
    return record ? this.statusOf(record) : undefined;
  }

  listInstances(query: InstanceQuery = {}): InstanceStatus[] {
    const from = query.createdTimeFrom === undefined ? undefined : new Date(query.createdTimeFrom).getTime();
    const to = query.createdTimeTo === undefined ? undefined : new Date(query.createdTimeTo).getTime();
    const out: InstanceStatus[] = [];
    for (const r of this.store.all()) {
      if (query.runtimeStatus && query.runtimeStatus.length > 0 && !query.runtimeStatus.includes(r.runtimeStatus)) continue;
      if (from !== undefined && r.createdTime < from) continue;
      if (to !== undefined && r.createdTime > to) continue;
      if (query.name !== undefined && r.name.toLowerCase() !== query.name.toLowerCase()) continue;
      out.push(this.statusOf(r));
    }
    return out;
  }

  private statusOf(r: InstanceRecord): InstanceStatus {
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
      history: r.history.map((e) => ({ ...e })),
      replays: r.replays,
    };
  }

  /** Resolves once `predicate` holds for the instance (checked after every state change). */
  waitFor(instanceId: string, predicate: (s: InstanceStatus) => boolean = (s) => isTerminal(s.runtimeStatus)): Promise<InstanceStatus> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const s = this.getStatus(instanceId);
        if (s && predicate(s)) {
          this.statusWaiters.delete(check);
          resolve(s);
          return true;
        }
        return false;
      };
      if (!check()) this.statusWaiters.add(check);
    });
  }

  on(listener: (event: HostProgressEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): HostStats {
    return {
      virtualTime: this.clock.now(),
      ...this.totals,
      instances: [...this.store.all()].map((r) => ({
        instanceId: r.instanceId,
        name: r.name,
        runtimeStatus: r.runtimeStatus,
        replays: r.replays,
        historyLength: r.history.length,
        orchestratorCpuMs: r.orchestratorCpuMs,
      })),
    };
  }

  // ---------------------------------------------------------------- the loop

  /**
   * Runs episodes, activities and due timers until nothing can happen without the outside world, advancing the
   * virtual clock to the next timer whenever only timers remain. Calls are serialized, so it is safe to call while
   * the background loop runs.
   */
  runUntilIdle(opts: RunOptions = {}): Promise<RunReport> {
    return this.exclusive(() => this.runLoop(opts));
  }

  /** Runs the loop in the background, picking up work as it arrives (e.g. starts through the client API). */
  start(opts: RunOptions = {}): void {
    this.assertOpen();
    if (this.background) return;
    const state = { stopRequested: false, loop: Promise.resolve() };
    this.background = state;
    state.loop = (async () => {
      while (!state.stopRequested && !this.closed) {
        await this.runUntilIdle(opts);
        if (state.stopRequested || this.closed) break;
        await this.waitForWork();
      }
    })();
  }

  async stop(): Promise<void> {
    const bg = this.background;
    if (!bg) return;
    bg.stopRequested = true;
    this.notifyWork();
    await bg.loop;
    this.background = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.exclusive(() => Promise.resolve());
    this.closed = true;
    await this.rpc?.close();
    this.rpc = undefined;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private notifyWork(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private waitForWork(): Promise<void> {
    if (this.dirty) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private async runLoop(opts: RunOptions): Promise<RunReport> {
    this.dirty = false;
    const start = { ...this.totals };
    const limit = opts.advanceTimersUpTo === undefined ? undefined : new Date(opts.advanceTimersUpTo).getTime();
    const budget = opts.maxEpisodes === undefined ? Number.POSITIVE_INFINITY : start.episodes + opts.maxEpisodes;
    let stoppedBy: RunReport["stoppedBy"] = "idle";
    for (;;) {
      if (this.closed) {
        stoppedBy = "closed";
        break;
      }
      const step = await this.runRound(limit, budget);
      if (step === "idle") break;
      if (step === "budget") {
        stoppedBy = "maxEpisodes";
        break;
      }
    }
    return {
      stoppedBy,
      episodes: this.totals.episodes - start.episodes,
      activitiesRun: this.totals.activitiesRun - start.activitiesRun,
      timersFired: this.totals.timersFired - start.timersFired,
      virtualTime: this.clock.now(),
      ...this.idleReport(),
    };
  }

  private async runRound(limit: number | undefined, budget: number): Promise<"progress" | "idle" | "budget"> {
    this.fireDueTimers();
    while (this.ready.size > 0) {
      if (this.totals.episodes >= budget) return "budget";
      const next = this.ready.values().next();
      if (next.done === true) break;
      const id = next.value;
      this.ready.delete(id);
      const record = this.store.get(id);
      if (!record || record.inbox.length === 0) continue;
      await this.runEpisode(record);
    }
    if (this.activityQueue.length > 0) {
      const batch = this.activityQueue;
      this.activityQueue = [];
      await this.runActivities(batch);
      return "progress";
    }
    this.timers = this.timers.filter((t) => this.isCurrent(t.instanceId, t.executionId));
    if (this.timers.length === 0) return "idle";
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of this.timers) earliest = Math.min(earliest, t.fireAt);
    if (limit !== undefined && earliest > limit) {
      this.advanceClock(limit);
      return "idle";
    }
    this.advanceClock(earliest);
    return "progress";
  }

  private advanceClock(to: number): void {
    const from = this.clock.now();
    if (to <= from) return;
    this.clock.advanceTo(to);
    this.emit({ type: "clockAdvanced", from, to: this.clock.now() });
  }

  private isCurrent(instanceId: string, executionId: number): boolean {
    const r = this.store.get(instanceId);
    return r !== undefined && r.executionId === executionId && !isTerminal(r.runtimeStatus);
  }

  private fireDueTimers(): void {
    const now = this.clock.now();
    const keep: TimerItem[] = [];
    for (const t of this.timers) {
      if (t.fireAt > now) {
        keep.push(t);
        continue;
      }
      const record = this.store.get(t.instanceId);
      if (!record || record.executionId !== t.executionId || isTerminal(record.runtimeStatus)) continue;
      record.inbox.push({
        EventType: EventType.TimerFired,
        EventId: -1,
        IsPlayed: false,
        Timestamp: iso(now),
        TimerId: t.timerId,
        FireAt: iso(t.fireAt),
      });
      this.ready.add(t.instanceId);
      this.totals.timersFired += 1;
      this.emit({ type: "timerFired", instanceId: t.instanceId, timerId: t.timerId, fireAt: t.fireAt });
    }
    this.timers = keep;
  }

  private idleReport(): Pick<RunReport, "waitingForEvents" | "stuck"> {
    const busy = new Set<string>();
    for (const id of this.ready) busy.add(id);
    for (const a of this.activityQueue) busy.add(a.instanceId);
    for (const t of this.timers) busy.add(t.instanceId);
    const records = [...this.store.all()];
    for (const r of records) {
      if (r.inbox.length > 0) busy.add(r.instanceId);
      if (r.parent && !isTerminal(r.runtimeStatus)) busy.add(r.parent.instanceId);
    }
    const waitingForEvents: (InstanceSummary & { events: string[] })[] = [];
    const stuck: InstanceSummary[] = [];
    for (const r of records) {
      if (isTerminal(r.runtimeStatus) || r.inbox.length > 0) continue;
      const summary = { instanceId: r.instanceId, name: r.name, runtimeStatus: r.runtimeStatus };
      // Waiting for an event counts even with a deadline timer pending: that is when a test raises it.
      if (r.waitingForEvents.length > 0) waitingForEvents.push({ ...summary, events: [...r.waitingForEvents] });
      else if (!busy.has(r.instanceId)) stuck.push(summary);
    }
    return { waitingForEvents, stuck };
  }

  // ---------------------------------------------------------------- episodes

  private async runEpisode(record: InstanceRecord): Promise<void> {
    const episodeStart = performance.now();
    const inbox = record.inbox;
    record.inbox = [];
    const now = this.clock.now();
    if (this.options.episodeTickMs) this.clock.advanceBy(this.options.episodeTickMs);
    const started: HistoryEvent = { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: iso(now) };
    record.replays += 1;
    this.totals.episodes += 1;
    let scheduled = 0;
    try {
      const terminated = inbox.find((e) => e.EventType === EventType.ExecutionTerminated);
      if (terminated) {
        this.commitTerminated(record, started, terminated);
        return;
      }
      const newEvents = [started, ...inbox];
      if (record.runtimeStatus === "Pending") this.setStatus(record, "Running");
      const registration = this.lookup(record.name, "orchestration");
      if (!registration) {
        this.commit(record, newEvents, [], {
          kind: "failed",
          errorType: "FunctionNotFound",
          message: `The orchestrator function '${record.name}' is not registered in this host`,
          details: "",
        });
        return;
      }
      const fullHistory = record.history.concat(newEvents);
      this.options.beforeReplay?.({ instanceId: record.instanceId, name: record.name });
      const invocation = await this.invokeOrchestrator(registration, record, fullHistory);
      if ("crash" in invocation) {
        this.commit(record, newEvents, [], {
          kind: "failed",
          errorType: invocation.crash.name,
          message: `Orchestrator function '${record.name}' failed: ${invocation.crash.message}`,
          details: invocation.crash.stack ?? "",
        });
        return;
      }
      const result = replayExtensionSide(
        fullHistory,
        invocation.state,
        {
          instanceId: record.instanceId,
          orchestrationName: record.name,
          schema: this.schema,
          maximumShortTimerMs: this.maximumShortTimerMs(),
          longRunningTimerIntervalMs: this.longRunningTimerIntervalMs(),
          isActivity: (n) => this.lookup(n, "activity") !== undefined,
          isOrchestration: (n) => this.lookup(n, "orchestration") !== undefined,
        },
        invocation.sdkFailure,
      );
      scheduled = result.newWork.length;
      if (result.customStatus !== undefined && result.customStatus !== null) {
        record.customStatus = JSON.parse(toJsonText(result.customStatus)) as unknown;
      }
      this.commit(record, newEvents, result.newWork, result.outcome);
    } finally {
      this.totals.episodeMs += performance.now() - episodeStart;
      this.emit({
        type: "episode",
        instanceId: record.instanceId,
        name: record.name,
        runtimeStatus: record.runtimeStatus,
        replays: record.replays,
        historyLength: record.history.length,
        newWork: scheduled,
      });
    }
  }

  private maximumShortTimerMs(): number {
    return this.options.maximumShortTimerMs ?? 6 * DAY_MS;
  }

  private longRunningTimerIntervalMs(): number {
    return this.options.longRunningTimerIntervalMs ?? 3 * DAY_MS;
  }

  private async invokeOrchestrator(
    registration: Registration,
    record: InstanceRecord,
    fullHistory: readonly HistoryEvent[],
  ): Promise<{ state: OrchestratorState; sdkFailure?: { message: string; stack: string | undefined } } | { crash: Error }> {
    const pastCount = record.history.length;
    // The payload crosses the wire as JSON; a fresh parse also keeps the SDK from mutating our history.
    const payloadText = JSON.stringify({
      history: fullHistory.map((e, i) => (i < pastCount ? { ...e, IsPlayed: true } : e)),
      input: parseJsonText(record.input),
      instanceId: record.instanceId,
      isReplaying: pastCount > 0,
      parentInstanceId: record.parent?.instanceId ?? null,
      upperSchemaVersion: Math.min(this.schema, ReplaySchema.V2),
      upperSchemaVersionNew: this.schema,
      longRunningTimerIntervalDuration: timeSpan(this.longRunningTimerIntervalMs()),
      maximumShortTimerDuration: timeSpan(this.maximumShortTimerMs()),
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    });
    const payload = JSON.parse(payloadText) as unknown;
    // A fresh context per episode: the SDK only builds context.df when it is undefined.
    const context = this.invocationContext(registration);
    const cpu0 = cpuMs();
    const t0 = performance.now();
    let returned: unknown;
    let thrown: Error | undefined;
    try {
      returned = await registration.handler(payload, context);
    } catch (e) {
      thrown = ensureError(e);
    }
    const spentCpu = cpuMs() - cpu0;
    this.totals.orchestratorCpuMs += spentCpu;
    this.totals.orchestratorHandlerMs += performance.now() - t0;
    record.orchestratorCpuMs += spentCpu;
    if (thrown) {
      const at = thrown.message.indexOf(OUT_OF_PROC_DATA_LABEL);
      if (at < 0) return { crash: thrown };
      const parsed = OrchestratorStateSchema.safeParse(tryJsonParse(thrown.message.slice(at + OUT_OF_PROC_DATA_LABEL.length)));
      if (!parsed.success) return { crash: thrown };
      return { state: parsed.data, sdkFailure: { message: thrown.message.slice(0, at), stack: thrown.stack } };
    }
    const parsed = OrchestratorStateSchema.safeParse(tryJsonParse(toJsonText(returned)));
    if (!parsed.success) {
      return { crash: new Error(`the orchestrator returned something that is not an orchestrator state: ${parsed.error.message}`) };
    }
    return { state: parsed.data };
  }

  private commitTerminated(record: InstanceRecord, started: HistoryEvent, terminated: HistoryEvent): void {
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
    // A terminated sub-orchestration does not notify its parent (as with the real extension).
    this.setStatus(record, "Terminated");
  }

  private commit(record: InstanceRecord, newEvents: readonly HistoryEvent[], work: readonly ScheduledWork[], outcome: ShimOutcome): void {
    const now = this.clock.now();
    const ts = iso(now);
    const history = record.history;
    for (const e of newEvents) history.push({ ...e, IsPlayed: true });
    for (const w of work) {
      switch (w.kind) {
        case "activity":
          history.push({ EventType: EventType.TaskScheduled, EventId: w.id, IsPlayed: true, Timestamp: ts, Name: w.name, Version: "", Input: toJsonText(w.input) });
          break;
        case "timer":
          history.push({ EventType: EventType.TimerCreated, EventId: w.id, IsPlayed: true, Timestamp: ts, FireAt: iso(w.fireAt) });
          break;
        case "subOrchestration":
          history.push({
            EventType: EventType.SubOrchestrationInstanceCreated,
            EventId: w.id,
            IsPlayed: true,
            Timestamp: ts,
            Name: w.name,
            InstanceId: w.instanceId,
            Version: "",
            Input: toJsonText(w.input),
          });
          break;
      }
    }
    history.push({ EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: true, Timestamp: ts });
    record.lastUpdatedTime = now;

    for (const w of work) this.schedule(record, w);

    switch (outcome.kind) {
      case "running":
        record.waitingForEvents = [...outcome.waitingForEvents];
        this.notifyStatusWaiters();
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
        this.setStatus(record, "Completed");
        this.notifyParent(record, { EventType: EventType.SubOrchestrationInstanceCompleted, Result: resultText });
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
        this.setStatus(record, "Failed");
        this.notifyParent(record, {
          EventType: EventType.SubOrchestrationInstanceFailed,
          Reason: outcome.message,
          Details: outcome.details,
        });
        return;
      case "continuedAsNew": {
        // A new execution: fresh history, the new input, unprocessed events dropped.
        const inputText = toJsonText(outcome.input);
        record.executionId += 1;
        record.input = inputText;
        record.history = [];
        record.waitingForEvents = [];
        record.inbox = [
          { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: ts, Name: record.name, Version: "", Input: inputText },
        ];
        this.ready.add(record.instanceId);
        this.setStatus(record, "ContinuedAsNew");
        this.setStatus(record, "Running");
        return;
      }
    }
  }

  private schedule(record: InstanceRecord, work: ScheduledWork): void {
    switch (work.kind) {
      case "activity":
        this.activityQueue.push({
          instanceId: record.instanceId,
          executionId: record.executionId,
          taskScheduledId: work.id,
          name: work.name,
          inputText: toJsonText(work.input),
          attempt: 0,
        });
        return;
      case "timer":
        this.timers.push({ instanceId: record.instanceId, executionId: record.executionId, timerId: work.id, fireAt: work.fireAt });
        return;
      case "subOrchestration": {
        const existing = this.store.get(work.instanceId);
        if (existing && !isTerminal(existing.runtimeStatus)) {
          this.deliver(record.instanceId, record.executionId, {
            EventType: EventType.SubOrchestrationInstanceFailed,
            TaskScheduledId: work.id,
            Reason: `An orchestration with instance ID '${work.instanceId}' already exists and is ${existing.runtimeStatus}`,
            Details: "",
          });
          return;
        }
        this.createInstance(
          work.name,
          work.instanceId,
          toJsonText(work.input),
          { instanceId: record.instanceId, taskScheduledId: work.id, executionId: record.executionId },
          existing,
        );
        return;
      }
    }
  }

  private notifyParent(record: InstanceRecord, event: Omit<HistoryEvent, "EventId" | "IsPlayed" | "Timestamp">): void {
    const parent = record.parent;
    if (!parent) return;
    this.deliver(parent.instanceId, parent.executionId, { ...event, TaskScheduledId: parent.taskScheduledId });
  }

  private deliver(instanceId: string, executionId: number, event: Omit<HistoryEvent, "EventId" | "IsPlayed" | "Timestamp">): void {
    if (!this.isCurrent(instanceId, executionId)) return;
    const target = this.store.get(instanceId);
    if (!target) return;
    target.inbox.push({ EventId: -1, IsPlayed: false, Timestamp: iso(this.clock.now()), ...event });
    this.ready.add(instanceId);
  }

  private setStatus(record: InstanceRecord, status: RuntimeStatus): void {
    const previous = record.runtimeStatus;
    record.runtimeStatus = status;
    record.lastUpdatedTime = this.clock.now();
    if (previous !== status) this.emit({ type: "statusChanged", instanceId: record.instanceId, name: record.name, runtimeStatus: status, previous });
    this.notifyStatusWaiters();
  }

  private notifyStatusWaiters(): void {
    for (const check of [...this.statusWaiters]) check();
  }

  // ---------------------------------------------------------------- activities

  private async runActivities(batch: readonly ActivityItem[]): Promise<void> {
    const finished: { item: ActivityItem; event: HistoryEvent }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const item = batch[next++];
        if (!item) continue;
        const event = await this.runActivity(item);
        if (event) finished.push({ item, event });
      }
    };
    const width = Math.max(1, Math.min(this.options.activityConcurrency ?? 32, batch.length));
    await Promise.all(Array.from({ length: width }, () => worker()));
    if (this.options.completionOrder === "reversed") finished.reverse();
    if (this.options.completionOrder === "shuffled") {
      for (let i = finished.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        const a = finished[i];
        const b = finished[j];
        if (a && b) {
          finished[i] = b;
          finished[j] = a;
        }
      }
    }
    for (const { item, event } of finished) {
      const succeeded = event.EventType === EventType.TaskCompleted;
      const drop = this.options.dropActivityCompletion?.({
        instanceId: item.instanceId,
        name: item.name,
        taskScheduledId: item.taskScheduledId,
        attempt: item.attempt,
        succeeded,
      });
      this.emit({
        type: "activityCompleted",
        instanceId: item.instanceId,
        name: item.name,
        taskScheduledId: item.taskScheduledId,
        succeeded,
        completionDropped: drop === true,
      });
      if (drop === true) {
        this.totals.activityCompletionsDropped += 1;
        this.activityQueue.push({ ...item, attempt: item.attempt + 1 });
        continue;
      }
      this.deliver(item.instanceId, item.executionId, event);
    }
  }

  private async runActivity(item: ActivityItem): Promise<HistoryEvent | undefined> {
    if (!this.isCurrent(item.instanceId, item.executionId)) return undefined;
    const base = { EventId: -1, IsPlayed: false, Timestamp: iso(this.clock.now()), TaskScheduledId: item.taskScheduledId };
    const registration = this.lookup(item.name, "activity");
    this.totals.activitiesRun += 1;
    if (!registration) {
      return { ...base, EventType: EventType.TaskFailed, Reason: `Activity function '${item.name}' is not registered in this host`, Details: "" };
    }
    try {
      const raw = JSON.parse(item.inputText) as unknown;
      // The worker hands string inputs through tryJsonParse; the SDK stringified them once already.
      const input = typeof raw === "string" ? tryJsonParse(raw) : raw;
      const output = await registration.handler(input, this.invocationContext(registration));
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

  // ---------------------------------------------------------------- triggers and the client

  private invocationContext(registration: Registration): InvocationContext {
    const log = this.options.log;
    return new InvocationContext({
      invocationId: randomUUID(),
      functionName: registration.name,
      options: optionsOf(registration),
      logHandler: (level, ...args) => log?.(level, registration.name, ...args),
    });
  }

  private async clientContext(registration: Registration): Promise<InvocationContext> {
    const context = this.invocationContext(registration);
    if (registration.durableClientBinding !== undefined) {
      context.extraInputs.set(registration.durableClientBinding, await this.durableClientData());
    }
    return context;
  }

  /** The binding data `df.getClient` reads; starts the loopback client API on first use. */
  async durableClientData(): Promise<DurableClientData> {
    this.assertOpen();
    this.rpc ??= new ClientRpcServer(this, this.options.taskHubName ?? "Port25Hub");
    return this.rpc.clientData();
  }

  /** Invokes a registered HTTP trigger with a real HttpRequest and returns its HttpResponse. */
  async invokeHttp(functionName: string, request: HttpRequest | HttpRequestInit): Promise<HttpResponse> {
    const registration = this.lookup(functionName, "http");
    if (!registration) {
      throw new DurableHostError(`No HTTP-triggered function named '${functionName}' is registered`, { code: "FunctionNotFound", statusCode: 404 });
    }
    const req = request instanceof HttpRequest ? request : new HttpRequest(request);
    const result = await registration.handler(req, await this.clientContext(registration));
    if (result instanceof HttpResponse) return result;
    if (result === undefined || result === null) return new HttpResponse({ status: 204 });
    return new HttpResponse(result);
  }

  /** Invokes a registered timer trigger with the payload the worker builds (times from the virtual clock). */
  async invokeTimer(functionName: string, opts: { isPastDue?: boolean } = {}): Promise<unknown> {
    const registration = this.lookup(functionName, "timer");
    if (!registration) {
      throw new DurableHostError(`No timer-triggered function named '${functionName}' is registered`, { code: "FunctionNotFound", statusCode: 404 });
    }
    const now = iso(this.clock.now());
    const timer = {
      isPastDue: opts.isPastDue ?? false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: now, next: now, lastUpdated: now },
    };
    return registration.handler(timer, await this.clientContext(registration));
  }

  // ---------------------------------------------------------------- recovery

  /** Rebuilds pending work from stored histories: at-least-once, so activities without a result run again. */
  private recoverFromStore(): void {
    for (const r of this.store.all()) {
      if (isTerminal(r.runtimeStatus)) continue;
      if (r.inbox.length > 0) this.ready.add(r.instanceId);
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
          this.activityQueue.push({
            instanceId: r.instanceId,
            executionId: r.executionId,
            taskScheduledId: e.EventId,
            name: e.Name ?? "",
            inputText: e.Input ?? "null",
            attempt: 0,
          });
        }
        if (e.EventType === EventType.TimerCreated && !fired.has(e.EventId)) {
          this.timers.push({ instanceId: r.instanceId, executionId: r.executionId, timerId: e.EventId, fireAt: Date.parse(e.FireAt ?? "") });
        }
      }
    }
  }

  private emit(event: HostProgressEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        this.options.log?.("error", "durable-host", "progress listener failed", ensureError(e));
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DurableHostError("The durable host is closed", { code: "HostClosed", statusCode: 503 });
  }
}

export function createDurableHost(options: DurableHostOptions = {}): DurableHost {
  return new DurableHost(options);
}
