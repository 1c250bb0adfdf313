/**
 * One orchestrator episode: the binding payload the extension would send, the SDK's own handler replaying the
 * orchestrator, the extension side of the replay (`shim.ts`), and the commit of what it decided.
 */
import { performance } from "node:perf_hooks";
import { ensureError } from "../errors";
import { commit, commitTerminated } from "./commit";
import type { Registration } from "./functionsCore";
import { setStatus, type HostState } from "./hostState";
import { invocationContext } from "./registry";
import { replayExtensionSide } from "./shim";
import { cpuMs } from "./stats";
import { instanceVersion, versionAccepted, versionMismatchMessage } from "./versioning";
import type { InstanceRecord } from "./store";
import {
  DAY_MS,
  EventType,
  OUT_OF_PROC_DATA_LABEL,
  OrchestratorStateSchema,
  ReplaySchema,
  iso,
  timeSpan,
  toJsonText,
  tryJsonParse,
  type HistoryEvent,
  type OrchestratorState,
} from "./wire";

/** Runs one episode of the instance over its inbox, then commits the outcome. */
export async function runEpisode(state: HostState, record: InstanceRecord): Promise<void> {
  const version = instanceVersion(record);
  if (!versionAccepted(state.versioning, version)) {
    // Reject: the work stays where it is for a worker whose version fits (a host built with other settings picks it
    // up from the store); Fail: the instance fails with the mismatch named.
    if (state.versioning.versionFailureStrategy === "Reject") return;
    const at = iso(state.clock.now());
    const inbox = record.inbox;
    record.inbox = [];
    commit(
      state,
      record,
      [{ EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: at }, ...inbox],
      [],
      {
        kind: "failed",
        errorType: "VersionMismatch",
        message: versionMismatchMessage(state.versioning, version),
        details: "",
      },
    );
    return;
  }
  const episodeStart = performance.now();
  const inbox = record.inbox;
  record.inbox = [];
  state.episodeInFlight = { instanceId: record.instanceId, inbox };
  const now = state.clock.now();
  if (state.options.episodeTickMs) state.clock.advanceBy(state.options.episodeTickMs);
  const started: HistoryEvent = {
    EventType: EventType.OrchestratorStarted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: iso(now),
  };
  record.replays += 1;
  state.totals.episodes += 1;
  let scheduled = 0;
  try {
    const terminated = inbox.find((e) => e.EventType === EventType.ExecutionTerminated);
    if (terminated) {
      commitTerminated(state, record, started, terminated);
      return;
    }
    const newEvents = [started, ...inbox];
    if (record.runtimeStatus === "Pending") setStatus(state, record, "Running");
    const registration = state.registry.lookup(record.name, "orchestration");
    if (!registration) {
      commit(state, record, newEvents, [], {
        kind: "failed",
        errorType: "FunctionNotFound",
        message: `The orchestrator function '${record.name}' is not registered in this host`,
        details: "",
      });
      return;
    }
    const fullHistory = record.history.concat(newEvents);
    state.options.beforeReplay?.({ instanceId: record.instanceId, name: record.name });
    const invocation = await invokeOrchestrator(state, registration, record, fullHistory);
    if ("crash" in invocation) {
      commit(state, record, newEvents, [], {
        kind: "failed",
        errorType: invocation.crash.name,
        message: `Orchestrator function '${record.name}' failed: ${invocation.crash.message}`,
        details: invocation.crash.stack ?? "",
      });
      return;
    }
    const result = replayExtensionSide(
      fullHistory,
      invocation.sdkState,
      {
        instanceId: record.instanceId,
        orchestrationName: record.name,
        schema: state.schema,
        maximumShortTimerMs: maximumShortTimerMs(state),
        longRunningTimerIntervalMs: longRunningTimerIntervalMs(state),
        isActivity: (n) => state.registry.lookup(n, "activity") !== undefined,
        isOrchestration: (n) => state.registry.lookup(n, "orchestration") !== undefined,
      },
      invocation.sdkFailure,
    );
    scheduled = result.newWork.length;
    if (result.customStatus !== undefined && result.customStatus !== null) {
      const text = toJsonText(result.customStatus);
      const tooLarge = customStatusTooLarge(text);
      if (tooLarge !== undefined) {
        scheduled = 0;
        commit(state, record, newEvents, [], {
          kind: "failed",
          errorType: "System.ArgumentException",
          message: tooLarge,
          details: "",
        });
        return;
      }
      record.customStatus = JSON.parse(text) as unknown;
    }
    commit(state, record, newEvents, result.newWork, result.outcome);
  } finally {
    state.episodeInFlight = undefined;
    state.store.touch(record.instanceId);
    state.totals.episodeMs += performance.now() - episodeStart;
    state.progress.emit({
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

/** The extension's cap on an orchestrator's custom status: 16 KB of UTF-16 JSON text, whole kilobytes compared. */
export const MAX_CUSTOM_STATUS_KB = 16;

/**
 * Why the extension fails an episode whose custom status is too large, or undefined when it fits. The extension
 * (RemoteOrchestratorContext.SetResult, out-of-process workers) measures the JSON text in UTF-16 bytes, truncates to
 * whole kilobytes, and fails the orchestration above 16 KB (azure-functions-durable-extension PR #3113): JavaScript
 * strings are UTF-16 code units, so the text's length counts the same bytes.
 */
export function customStatusTooLarge(jsonText: string): string | undefined {
  const kb = Math.floor((jsonText.length * 2) / 1024);
  return kb > MAX_CUSTOM_STATUS_KB
    ? `CustomStatus is too large: limit = ${MAX_CUSTOM_STATUS_KB} KB (UTF-16), actual = ${kb} KB.`
    : undefined;
}

function maximumShortTimerMs(state: HostState): number {
  return state.options.maximumShortTimerMs ?? 6 * DAY_MS;
}

function longRunningTimerIntervalMs(state: HostState): number {
  return state.options.longRunningTimerIntervalMs ?? 3 * DAY_MS;
}

/**
 * The JSON text of an execution's committed history, every event marked played, joined by commas: kept per history
 * array (a new execution, a restart or a record read back from disk starts a new one) and extended by the events
 * committed since, which are appended and never changed afterwards (commit.ts).
 */
const playedTexts = new WeakMap<readonly HistoryEvent[], { count: number; text: string }>();

function playedText(history: readonly HistoryEvent[]): string {
  let kept = playedTexts.get(history);
  if (kept === undefined || kept.count > history.length) kept = { count: 0, text: "" };
  if (kept.count < history.length) {
    const more = history
      .slice(kept.count)
      .map((e) => JSON.stringify(e.IsPlayed ? e : { ...e, IsPlayed: true }))
      .join(",");
    kept = { count: history.length, text: kept.text === "" ? more : `${kept.text},${more}` };
    playedTexts.set(history, kept);
  }
  return kept.text;
}

async function invokeOrchestrator(
  state: HostState,
  registration: Registration,
  record: InstanceRecord,
  fullHistory: readonly HistoryEvent[],
): Promise<
  { sdkState: OrchestratorState; sdkFailure?: { message: string; stack: string | undefined } } | { crash: Error }
> {
  const pastCount = record.history.length;
  // The payload crosses the wire as JSON; a fresh parse also keeps the SDK from mutating our history. The played
  // events' text is kept from one episode to the next (playedText) and the input's stored text goes in as it is, so
  // an episode writes out only what is new rather than the whole history and input again.
  const fresh = fullHistory.slice(pastCount).map((e) => JSON.stringify(e));
  const played = playedText(record.history);
  const events = played === "" ? fresh.join(",") : fresh.length === 0 ? played : `${played},${fresh.join(",")}`;
  const rest = JSON.stringify({
    instanceId: record.instanceId,
    isReplaying: pastCount > 0,
    parentInstanceId: record.parent?.instanceId ?? null,
    upperSchemaVersion: Math.min(state.schema, ReplaySchema.V2),
    upperSchemaVersionNew: state.schema,
    longRunningTimerIntervalDuration: timeSpan(longRunningTimerIntervalMs(state)),
    maximumShortTimerDuration: timeSpan(maximumShortTimerMs(state)),
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  });
  const payloadText = `{"history":[${events}],"input":${record.input ?? "null"},${rest.slice(1)}`;
  const payload = JSON.parse(payloadText) as unknown;
  // A fresh context per episode: the SDK only builds context.df when it is undefined.
  const context = invocationContext(registration, state.options.log);
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
  state.totals.orchestratorCpuMs += spentCpu;
  state.totals.orchestratorHandlerMs += performance.now() - t0;
  record.orchestratorCpuMs += spentCpu;
  if (thrown) {
    const at = thrown.message.indexOf(OUT_OF_PROC_DATA_LABEL);
    if (at < 0) return { crash: thrown };
    const parsed = OrchestratorStateSchema.safeParse(
      tryJsonParse(thrown.message.slice(at + OUT_OF_PROC_DATA_LABEL.length)),
    );
    if (!parsed.success) return { crash: thrown };
    return { sdkState: parsed.data, sdkFailure: { message: thrown.message.slice(0, at), stack: thrown.stack } };
  }
  const parsed = OrchestratorStateSchema.safeParse(tryJsonParse(toJsonText(returned)));
  if (!parsed.success) {
    return {
      crash: new Error(
        `the orchestrator returned something that is not an orchestrator state: ${parsed.error.message}`,
      ),
    };
  }
  return { sdkState: parsed.data };
}
