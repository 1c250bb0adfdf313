/**
 * The durable host's public types (options, progress events, reports, statuses, statistics) and the instance
 * operations the loopback client API calls, shared by the host and the client API server.
 */
import type { VirtualClock } from "./clock";
import type { FailureDetails, FinishedArchive, InstanceStore } from "./store";
import type { HistoryEvent, RuntimeStatus } from "./wire";
import type { VersioningOptions } from "./versioning";

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
   * Keep the host's state in this directory (created if absent): every instance and the clock are written there
   * before the host acts on them, a host opened on it later resumes every instance, and a lock keeps a second host
   * out (`StateInUse`). An unreadable file stops the open with `StateCorrupt`. Without it the state lives in memory.
   */
  stateDir?: string;
  /**
   * Without a state directory: where finished instances go when they leave memory. Default: deflated JSON kept in
   * memory. A `SpillArchive` keeps them in a scratch file instead, so that memory follows what is in flight rather
   * than what the host has finished; its owner disposes of it after the last host using it has closed. A store handed
   * over (`store`) keeps the archive it already has.
   */
  finishedArchive?: FinishedArchive;
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
  /**
   * host.json's orchestration versioning settings (`defaultVersion`, `versionMatchStrategy`,
   * `versionFailureStrategy`); absent ones take the documented defaults (no default version, CurrentOrOlder, Reject).
   */
  versioning?: VersioningOptions;
  /**
   * What happens to a sub-orchestration started under the id of a live instance. The extension documents no failure
   * for it, and parents have been reported to wait forever (azure-functions-durable-extension#746, durabletask#1402):
   * "ignored" (default) drops the start, so the parent never hears back; "failed" fails the parent's task, as an
   * opt-in guard would. The product must work under both.
   */
  subOrchestrationIdInUse?: "ignored" | "failed";
}

export interface RunOptions {
  /** Stop after this many episodes (a safety valve); the report says `stoppedBy: "maxEpisodes"`. */
  maxEpisodes?: number | undefined;
  /** Fire timers only up to this virtual time; the clock stops there so a test can act before a deadline. */
  advanceTimersUpTo?: Date | number | undefined;
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
  /** Instances with work this host left alone because their version does not match its versioning settings (Reject). */
  readonly rejectedByVersion: readonly (InstanceSummary & { readonly version: string })[];
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
  /** The version the instance was created with ("" when none). */
  readonly version: string;
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

/** The host's instance operations, as the loopback client API calls them. */
export interface InstanceOperations {
  /** Starts an instance from the JSON text of its input; 400 for an unknown orchestrator, 409 for a live id. */
  startWithInputText(name: string, inputText: string | undefined, instanceId?: string, version?: string): string;
  getStatus(instanceId: string): InstanceStatus | undefined;
  listInstances(query?: InstanceQuery): InstanceStatus[];
  /** Delivers an external event whose data is JSON text; 404 (unknown instance) or 410 (already finished). */
  raiseEventText(instanceId: string, eventName: string, dataText: string | undefined): void;
  terminate(instanceId: string, reason?: string): void;
  purge(instanceId: string): boolean;
  purgeBy(query: InstanceQuery): number;
}
