/**
 * Starting a subscription's run from an orchestration, and following it to its end with a deadline.
 *
 * The run is not a sub-orchestration: it takes the subscription's own instance id (remediationInstanceId, so every
 * endpoint of a run works on it and the one-live-run rule holds against starts from anywhere), and the engine
 * documents no answer for a sub-orchestration started under the id of a live instance: parents have been reported to
 * wait forever (azure-functions-durable-extension#746; durabletask#1402). So the startRun activity starts it through the
 * durable client, which refuses an id that is Running or Pending (durabletask#325), right after checking it.
 *
 * The waiter follows the run by its runEnded event (the run raises it with its output when it ends, signalRunEnded),
 * with a read of the instance every POLL_MINUTES as a safety net (a run that fails or is terminated raises nothing), and
 * stops following at its deadline: the run goes on by itself and writes its own audit record, so nothing is left
 * half-done; the waiter says where to follow it.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { activityTask, callActivity, parseActivityResult } from "./toolkit/calls";
import {
  readRunActivity,
  runEndedEvent,
  startRunActivity,
  type StartRunOutput,
} from "../src/contracts/durable/runStart";
import { RemediationOutputSchema, type RemediationInput, type RemediationOutput } from "../src/contracts/remediation";
import { addSeconds, secondsBetween } from "../src/contracts/durable/clock";
import { transientRetry } from "./shared";
import { awayClock } from "./toolkit/monitor";

/** How often a waiter reads the run's instance while no runEnded event has come. */
const POLL_MINUTES = 30;
/** What a run may take once approved (or started without approval) before its waiter stops following it. */
const RUN_WORK_DEADLINE_MINUTES = 48 * 60;

/** The minutes a waiter follows a run of this input: its approval wait, if any, and RUN_WORK_DEADLINE_MINUTES. */
export function runDeadlineMinutes(input: Pick<RemediationInput, "requireApproval" | "options">): number {
  return (input.requireApproval ? input.options.approvalTimeoutMinutes : 0) + RUN_WORK_DEADLINE_MINUTES;
}

/** Starts the run of `input` under `instanceId` (this instance as its waiter), or says who holds the instance. */
export function* startRunOf(
  context: OrchestrationContext,
  instanceId: string,
  input: RemediationInput,
): Generator<Task, StartRunOutput, unknown> {
  return yield* callActivity(
    context,
    startRunActivity,
    { instanceId, input: { ...input, waiter: { instanceId: context.df.instanceId } } },
    transientRetry(),
  );
}

type FollowedRun =
  | { kind: "completed"; output: RemediationOutput }
  | { kind: "ended"; runtimeStatus: string; message: string }
  | { kind: "deadline"; runtimeStatus: string; minutes: number };

/**
 * Follows a started run until it ends or `deadlineMinutes` pass. `hold` are event waiters of the caller (cancels) that
 * must stay yielded while it waits: a waiter never yielded is never handed its event.
 */
export function* followRun(
  context: OrchestrationContext,
  run: { instanceId: string; runId: string; deadlineMinutes: number },
  hold: readonly Task[] = [],
): Generator<Task, FollowedRun, unknown> {
  const ended = context.df.waitForExternalEvent(runEndedEvent(run.runId));
  // The run makes no progress while the host is away either: a read timer that fired late moves the deadline back
  // by its lateness (awayClock), so the waiter follows the run for the time it could act.
  const clock = awayClock(context);
  const deadline = clock.deadline(run.deadlineMinutes * 60);
  for (;;) {
    if (!ended.isCompleted && !deadline.passed()) {
      const due = addSeconds(context.df.currentUtcDateTime, Math.min(POLL_MINUTES * 60, deadline.left()));
      const timer = context.df.createTimer(due);
      yield context.df.Task.any([ended, timer, ...hold.filter((t) => !t.isCompleted)]);
      if (!timer.isCompleted) timer.cancel();
      else clock.addAway(secondsBetween(due, context.df.currentUtcDateTime));
    }
    if (ended.isCompleted) {
      const output = RemediationOutputSchema.safeParse(ended.result);
      if (output.success) return { kind: "completed", output: output.data };
    }
    // No event (or one that did not parse): the instance tells.
    const read = parseActivityResult(
      readRunActivity,
      yield activityTask(context, readRunActivity, { instanceId: run.instanceId, runId: run.runId }, transientRetry()),
    );
    if (read.state === "completed") return { kind: "completed", output: read.output };
    if (read.state === "ended") return { kind: "ended", runtimeStatus: read.runtimeStatus, message: read.message };
    if (deadline.passed()) return { kind: "deadline", runtimeStatus: read.runtimeStatus, minutes: run.deadlineMinutes };
  }
}
