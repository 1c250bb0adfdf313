/**
 * The TCP 25 probe, one implementation for the remediation's canary proof and the scheduled re-verification: start
 * a Network Watcher connectivity check from a VM to host:25, wait out throttling and conflicts at its start and while
 * polling (within one deadline), and turn ARM's answer into a verdict with the probe counts behind it.
 *
 * A canary just cycled is running minutes before its guest is: the VM agent and the Network Watcher agent report
 * ready later (instance view), and a check meanwhile answers `Unknown` with an `AgentStopped` issue on the source
 * hop, or fails (docs/architecture.md, "Azure's answers"; IssueType in the Network Watcher REST spec). So, for such a VM, the probe first
 * waits for both agents to report ready, then probes, and probes again with backoff while the answer has no
 * verdict, all within agentReadyTimeoutSeconds; only then does it give up, saying which it was.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import { activityTask, parseActivityResult } from "./toolkit/calls";
import type { ActivityDefinition } from "../src/contracts/define";
import type { ConnectivityResult, OperationHandle } from "../src/contracts/azure";
import type { NetworkWatcherInfo } from "../src/contracts/discovery";
import { beginSmtpProbeActivity, SMTP_PORT } from "../src/contracts/durable/beginSmtpProbe";
import { readSmtpProbeActivity } from "../src/contracts/durable/readSmtpProbe";
import { readCanaryAgentsActivity } from "../src/contracts/durable/readCanaryAgents";
import { addSeconds } from "../src/contracts/durable/clock";
import { backoffSeconds, transientRetry } from "./shared";
import { awayClock, monitor, type Pause } from "./toolkit/monitor";
import { clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

const PROBE_FIRST_POLL_SECONDS = 20;
const PROBE_NEXT_POLL_SECONDS = 10;
/** Time the probe may take, from its first start attempt to its verdict. */
const PROBE_DEADLINE_SECONDS = 600;
/** Waits before and between reads of a starting canary's agents: 30 s, then 60 s, doubling up to 2 min. */
const AGENT_FIRST_WAIT_SECONDS = 30;
const AGENT_MAX_WAIT_SECONDS = 120;
/** Waits before probing again after an answer without a verdict: 30 s, then doubling up to 4 min. */
const REPROBE_FIRST_WAIT_SECONDS = 30;
const REPROBE_MAX_WAIT_SECONDS = 240;

interface ProbeTarget {
  vmId: string;
  vmName: string;
  /** The Network Watcher of the VM's region. */
  watcher: NetworkWatcherInfo;
  host: string;
  /** What "unreachable" means for the caller, appended to the verdict's sentence. */
  unreachableMeans: string;
  /**
   * The VM was just started (a canary): wait for its agents to report ready, and probe again an answer without a
   * verdict, until this many seconds have passed. Absent: one probe, as for a VM running long since.
   */
  agentReadyTimeoutSeconds?: number;
}

/** The connectivity check's own words and counts, when it ran to the end (recorded with the verdict). */
export interface ProbeFacts {
  connectionStatus?: string | undefined;
  probesSent?: number | undefined;
  probesFailed?: number | undefined;
}

interface ProbeVerdict {
  /** "unavailable": no verdict (the check could not run, failed, said Unknown, or ran out of time). */
  result: "reachable" | "unreachable" | "unavailable";
  detail: string;
  facts: ProbeFacts;
  /** Why there is no "reachable": TCP 25 did not get through, the agent never became ready, or no verdict. */
  cause?: "portUnreachable" | "agentNotReady" | "noVerdict";
}

/** One probe's verdict, and whether a fresh check later may give one (an Unknown answer, a failed check). */
type Attempt = ProbeVerdict & { again?: "agentStopped" | "checkFailed" };

/**
 * How the caller waits for a task: the remediation wakes early on a cancel (and still finishes the task), the
 * re-verification simply yields it. It returns the task's result and throws when the task failed.
 */
export type TaskAwaiter = (task: Task) => Generator<Task, unknown, unknown>;

function* yieldTask(task: Task): Generator<Task, unknown, unknown> {
  const result: unknown = yield task;
  return result;
}

function* call<I extends z.ZodType, O extends z.ZodType>(
  context: OrchestrationContext,
  awaitTask: TaskAwaiter,
  def: ActivityDefinition<I, O>,
  input: z.input<I>,
): Generator<Task, z.output<O>, unknown> {
  const raw = yield* awaitTask(activityTask(context, def, input, transientRetry()));
  return parseActivityResult(def, raw);
}

function* pause(
  context: OrchestrationContext,
  awaitTask: TaskAwaiter,
  seconds: number,
): Generator<Task, void, unknown> {
  yield* awaitTask(context.df.createTimer(addSeconds(context.df.currentUtcDateTime, Math.max(1, seconds))));
}

/**
 * Probes TCP 25 from one VM. Never throws: an activity that keeps failing past its retries (ARM's 5xx, an answer
 * the gateway cannot use) leaves the probe without a verdict, which halts a remediation like any other.
 */
export function* probeSmtp(
  context: OrchestrationContext,
  target: ProbeTarget,
  awaitTask: TaskAwaiter = yieldTask,
): Generator<Task, ProbeVerdict, unknown> {
  try {
    if (target.agentReadyTimeoutSeconds === undefined) {
      const { again: _again, ...verdict } = yield* probe(context, target, awaitTask, (seconds) =>
        pause(context, awaitTask, seconds),
      );
      return verdict;
    }
    return yield* probeStartedVm(context, target, target.agentReadyTimeoutSeconds, awaitTask);
  } catch (e) {
    return {
      result: "unavailable",
      detail: `the connectivity check from ${target.vmName} could not be run (${clippedMessage(e, TEXT_LIMITS.detail)})`,
      facts: {},
      cause: "noVerdict",
    };
  }
}

/**
 * A VM just started: wait until its instance view says the VM agent and the Network Watcher agent are ready, then
 * probe; an answer without a verdict (Unknown / AgentStopped, a failed check) is probed again with backoff. All of
 * it within `timeoutSeconds`: past that, the verdict says the agent never became ready, or that no check gave one.
 */
function* probeStartedVm(
  context: OrchestrationContext,
  target: ProbeTarget,
  timeoutSeconds: number,
  awaitTask: TaskAwaiter,
): Generator<Task, ProbeVerdict, unknown> {
  const { vmName } = target;
  // The time the host was away while the probe waited (a timer that fired late) is not counted: the agents and the
  // checks keep the time they had left (awayClock, docs/reliability.md).
  const clock = awayClock(context, (seconds) => pause(context, awaitTask, seconds));
  const deadline = clock.deadline(timeoutSeconds);
  const left = (): number => deadline.left();
  const minutes = Math.round(timeoutSeconds / 60);

  // 1. The agents: read the instance view after a first wait (they report minutes after the start, and the cycle's
  // own reads of the VM have just drawn on its Low Cost Get budget), then with backoff until both report ready.
  let state: string;
  yield* clock.pause(AGENT_FIRST_WAIT_SECONDS);
  for (let attempt = 1; ; attempt++) {
    const read = yield* call(context, awaitTask, readCanaryAgentsActivity, {
      vmIds: [target.vmId],
      wanted: 1,
      readiness: true,
    });
    let wait = Math.min(AGENT_FIRST_WAIT_SECONDS * 2 ** attempt, AGENT_MAX_WAIT_SECONDS);
    if (read.status === "ok") {
      const a = read.agents[0];
      if (a?.ready === true) break;
      state = a?.detail ?? "not reported";
      wait = Math.max(wait, read.paceSeconds ?? 0);
    } else if (read.status === "throttled" || read.status === "conflict") {
      state = `reading it was ${read.status} (${read.code})`;
      wait = Math.max(wait, backoffSeconds(attempt, read.retryAfterSeconds));
    } else {
      return {
        result: "unavailable",
        detail: `the agents of ${vmName} could not be read (${read.code}: ${read.message})`,
        facts: {},
        cause: "noVerdict",
      };
    }
    if (wait > left()) {
      return {
        result: "unavailable",
        detail: `the Network Watcher agent on ${vmName} never became ready within ${minutes} min of its start (${state}); TCP 25 was not probed`,
        facts: {},
        cause: "agentNotReady",
      };
    }
    yield* clock.pause(wait);
  }

  // 2. The probe, again while an answer has no verdict and time is left.
  for (let attempt = 1; ; attempt++) {
    const { again, ...verdict } = yield* probe(context, target, awaitTask, clock.pause);
    if (again === undefined) return verdict;
    const wait = Math.min(REPROBE_FIRST_WAIT_SECONDS * 2 ** (attempt - 1), REPROBE_MAX_WAIT_SECONDS);
    if (wait > left()) {
      const why =
        again === "agentStopped"
          ? "every check answered that the agent was not running (AgentStopped)"
          : "no check gave a verdict";
      return {
        ...verdict,
        detail: `${verdict.detail}; ${why} in ${attempt} check(s) within ${minutes} min of the start`,
        cause: again === "agentStopped" ? "agentNotReady" : "noVerdict",
      };
    }
    yield* clock.pause(wait);
  }
}

function* probe(
  context: OrchestrationContext,
  target: ProbeTarget,
  awaitTask: TaskAwaiter,
  outer: Pause,
): Generator<Task, Attempt, unknown> {
  const { vmName, host } = target;
  const input = { vmId: target.vmId, watcher: target.watcher, host, port: SMTP_PORT };
  const clock = awayClock(context, outer);
  const deadline = clock.deadline(PROBE_DEADLINE_SECONDS);
  const left = (): number => deadline.left();
  const noVerdict = (): Attempt => ({
    result: "unavailable",
    detail: `the connectivity check from ${vmName} gave no verdict within ${PROBE_DEADLINE_SECONDS / 60} min`,
    facts: {},
    cause: "noVerdict",
  });

  type Read = z.output<typeof readSmtpProbeActivity.output>;
  let handle: OperationHandle | undefined;
  return yield* monitor<Read, Attempt>(
    context,
    {
      *begin() {
        let begun = yield* call(context, awaitTask, beginSmtpProbeActivity, input);
        // A throttled or conflicting start is waited out within the deadline, not taken as a verdict.
        for (let attempt = 1; begun.status === "throttled" || begun.status === "conflict"; attempt++) {
          const wait = backoffSeconds(attempt, begun.retryAfterSeconds);
          if (wait > left()) break;
          yield* clock.pause(wait);
          begun = yield* call(context, awaitTask, beginSmtpProbeActivity, input);
        }
        if (begun.status === "done") return { end: verdictOf(target, begun.result) };
        if (begun.status !== "started") {
          return {
            end: {
              result: "unavailable",
              detail: `the connectivity check from ${vmName} could not start (${begun.code}: ${begun.message})`,
              facts: {},
              cause: "noVerdict",
            },
          };
        }
        handle = begun.handle;
        return { wait: Math.max(PROBE_FIRST_POLL_SECONDS, begun.handle.retryAfterSeconds ?? 0) };
      },
      beforeWait: (wait) => (left() > 0 ? { wait: Math.min(wait, Math.ceil(left())) } : { end: noVerdict() }),
      *readStatus() {
        if (handle === undefined) throw new Error("the connectivity check was polled before it started");
        return yield* call(context, awaitTask, readSmtpProbeActivity, { handle });
      },
      readError(r) {
        switch (r.status) {
          case "checkFailed":
          case "failed":
          case "notFound": {
            const end: Attempt = {
              result: "unavailable",
              detail: `the connectivity check from ${vmName} failed (${r.code}: ${r.message})`,
              facts: {},
              cause: "noVerdict",
            };
            // The check itself ended Failed (Azure may fail one while the agent is not ready): a later one may answer.
            return { end: r.status === "checkFailed" ? { ...end, again: "checkFailed" } : end };
          }
          default:
            return undefined;
        }
      },
      isDone: (r) => (r.status === "done" ? verdictOf(target, r.result) : undefined),
      // In progress, or the poll itself was throttled or conflicted: poll again, as ARM asked.
      nextWait: (r) => Math.max(PROBE_NEXT_POLL_SECONDS, "retryAfterSeconds" in r ? (r.retryAfterSeconds ?? 0) : 0),
    },
    clock.pause,
  );
}

/** An issue the check reports when the source VM's agent is not running: no verdict yet, not a closed port. */
function agentStopped(r: ConnectivityResult): boolean {
  return r.issues.some((i) => /(^|: )AgentStopped$/i.test(i));
}

function verdictOf(target: ProbeTarget, r: ConnectivityResult): Attempt {
  const counts = r.probesSent !== undefined ? `; ${r.probesSent} probe(s) sent, ${r.probesFailed ?? 0} failed` : "";
  const facts: ProbeFacts = {
    connectionStatus: r.connectionStatus,
    probesSent: r.probesSent,
    probesFailed: r.probesFailed,
  };
  const where = `${target.host}:${SMTP_PORT}`;
  switch (r.verdict) {
    case "reachable":
      return {
        result: "reachable",
        detail: `${target.vmName} reached ${where} (${r.connectionStatus}${counts})`,
        facts,
      };
    case "unreachable": {
      const issues = r.issues.length > 0 ? `; issues: ${r.issues.join(", ")}` : "";
      if (agentStopped(r)) {
        // Every probe failed because the agent that sends them is not running: that says nothing of port 25.
        return {
          result: "unavailable",
          detail: `the connectivity check from ${target.vmName} to ${where} gave no verdict (${r.connectionStatus}${counts}${issues})`,
          facts,
          cause: "agentNotReady",
          again: "agentStopped",
        };
      }
      return {
        result: "unreachable",
        detail: `${target.vmName} could not reach ${where} (${r.connectionStatus}${counts}${issues}); ${target.unreachableMeans}`,
        facts,
        cause: "portUnreachable",
      };
    }
    default: {
      const issues = r.issues.length > 0 ? `; issues: ${r.issues.join(", ")}` : "";
      return {
        result: "unavailable",
        detail: `the connectivity check from ${target.vmName} to ${where} gave no verdict (${r.connectionStatus}${counts}${issues})`,
        facts,
        // Unknown says nothing either way: a check from a freshly started VM may give a verdict later.
        ...(agentStopped(r)
          ? { cause: "agentNotReady" as const, again: "agentStopped" as const }
          : { cause: "noVerdict" as const, again: "checkFailed" as const }),
      };
    }
  }
}
