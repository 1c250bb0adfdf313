/**
 * The TCP 25 probe, one implementation for the remediation's canary proof and the scheduled re-verification: start
 * a Network Watcher connectivity check from a VM to host:25, wait out throttling and conflicts at its start and while
 * polling (within one deadline), and turn ARM's answer into a verdict with the probe counts behind it.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import { activityTask, parseActivityResult } from "../src/contracts/durable";
import type { ActivityDefinition } from "../src/contracts/define";
import type { ConnectivityResult } from "../src/contracts/azure";
import type { NetworkWatcherInfo } from "../src/contracts/discovery";
import { beginSmtpProbeActivity, SMTP_PORT } from "../src/contracts/functions/beginSmtpProbe";
import { readSmtpProbeActivity } from "../src/contracts/functions/readSmtpProbe";
import { addSeconds } from "../src/contracts/functions/clock";
import { ensureError } from "../src/errors";
import { backoffSeconds, transientRetry } from "./shared";

export const PROBE_FIRST_POLL_SECONDS = 20;
export const PROBE_NEXT_POLL_SECONDS = 10;
/** Time the probe may take, from its first start attempt to its verdict. */
export const PROBE_DEADLINE_SECONDS = 600;

export interface ProbeTarget {
  vmId: string;
  vmName: string;
  /** The Network Watcher of the VM's region. */
  watcher: NetworkWatcherInfo;
  host: string;
  /** What "unreachable" means for the caller, appended to the verdict's sentence. */
  unreachableMeans: string;
}

/** The connectivity check's own words and counts, when it ran to the end (recorded with the verdict). */
export interface ProbeFacts {
  connectionStatus?: string;
  probesSent?: number;
  probesFailed?: number;
}

export interface ProbeVerdict {
  /** "unavailable": no verdict (the check could not run, failed, said Unknown, or ran out of time). */
  result: "reachable" | "unreachable" | "unavailable";
  detail: string;
  facts: ProbeFacts;
}

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

function* pause(context: OrchestrationContext, awaitTask: TaskAwaiter, seconds: number): Generator<Task, void, unknown> {
  yield* awaitTask(context.df.createTimer(addSeconds(context.df.currentUtcDateTime, Math.max(1, seconds))));
}

/**
 * Probes TCP 25 from one VM. Never throws: an activity that keeps failing past its retries (ARM's 5xx, an answer
 * the gateway cannot use) leaves the probe without a verdict, which halts a remediation like any other.
 */
export function* probeSmtp(context: OrchestrationContext, target: ProbeTarget, awaitTask: TaskAwaiter = yieldTask): Generator<Task, ProbeVerdict, unknown> {
  try {
    return yield* probe(context, target, awaitTask);
  } catch (e) {
    return { result: "unavailable", detail: `the connectivity check from ${target.vmName} could not be run (${ensureError(e).message.slice(0, 500)})`, facts: {} };
  }
}

function* probe(context: OrchestrationContext, target: ProbeTarget, awaitTask: TaskAwaiter): Generator<Task, ProbeVerdict, unknown> {
  const { vmName, host } = target;
  const input = { vmId: target.vmId, watcher: target.watcher, host, port: SMTP_PORT };
  const deadline = addSeconds(context.df.currentUtcDateTime, PROBE_DEADLINE_SECONDS).getTime();
  const left = (): number => (deadline - context.df.currentUtcDateTime.getTime()) / 1000;
  const noVerdict = (): ProbeVerdict => ({ result: "unavailable", detail: `the connectivity check from ${vmName} gave no verdict within ${PROBE_DEADLINE_SECONDS / 60} min`, facts: {} });

  let begun = yield* call(context, awaitTask, beginSmtpProbeActivity, input);
  // A throttled or conflicting start is waited out within the deadline, not taken as a verdict.
  for (let attempt = 1; begun.status === "throttled" || begun.status === "conflict"; attempt++) {
    const wait = backoffSeconds(attempt, begun.retryAfterSeconds);
    if (wait > left()) break;
    yield* pause(context, awaitTask, wait);
    begun = yield* call(context, awaitTask, beginSmtpProbeActivity, input);
  }
  if (begun.status === "done") return verdictOf(target, begun.result);
  if (begun.status !== "started") {
    return { result: "unavailable", detail: `the connectivity check from ${vmName} could not start (${begun.code}: ${begun.message})`, facts: {} };
  }
  let wait = Math.max(PROBE_FIRST_POLL_SECONDS, begun.handle.retryAfterSeconds ?? 0);
  while (left() > 0) {
    yield* pause(context, awaitTask, Math.min(wait, Math.ceil(left())));
    const r = yield* call(context, awaitTask, readSmtpProbeActivity, { handle: begun.handle });
    switch (r.status) {
      case "done":
        return verdictOf(target, r.result);
      case "checkFailed":
      case "failed":
      case "notFound":
        return { result: "unavailable", detail: `the connectivity check from ${vmName} failed (${r.code}: ${r.message})`, facts: {} };
      default:
        // In progress, or the poll itself was throttled or conflicted: poll again, as ARM asked.
        wait = Math.max(PROBE_NEXT_POLL_SECONDS, r.retryAfterSeconds ?? 0);
    }
  }
  return noVerdict();
}

function verdictOf(target: ProbeTarget, r: ConnectivityResult): ProbeVerdict {
  const counts =
    r.probesSent !== undefined ? `; ${r.probesSent} probe(s) sent, ${r.probesFailed ?? 0} failed` : "";
  const facts: ProbeFacts = {
    connectionStatus: r.connectionStatus,
    ...(r.probesSent !== undefined ? { probesSent: r.probesSent } : {}),
    ...(r.probesFailed !== undefined ? { probesFailed: r.probesFailed } : {}),
  };
  const where = `${target.host}:${SMTP_PORT}`;
  switch (r.verdict) {
    case "reachable":
      return { result: "reachable", detail: `${target.vmName} reached ${where} (${r.connectionStatus}${counts})`, facts };
    case "unreachable": {
      const issues = r.issues.length > 0 ? `; issues: ${r.issues.join(", ")}` : "";
      return { result: "unreachable", detail: `${target.vmName} could not reach ${where} (${r.connectionStatus}${counts}${issues}); ${target.unreachableMeans}`, facts };
    }
    default:
      return { result: "unavailable", detail: `the connectivity check from ${target.vmName} to ${where} gave no verdict (${r.connectionStatus}${counts})`, facts };
  }
}
