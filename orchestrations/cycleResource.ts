/**
 * Cycles one VM or uniform scale set through its plan's power steps (power off → deallocate → start for a
 * running VM) with the monitor pattern: begin the step, then durable timers between reads until the step's
 * target state, so no activity ever waits for Azure. Every failure ends as data in the outcome, never thrown.
 *
 * Polling: the first read comes at the step's usual duration (later if ARM's Retry-After says so), then every
 * tenth of it. While the operation runs a poll is one request (its status); the resource itself is read only to
 * confirm the final state. A happy cycle costs about twelve ARM requests at most: per step a state read, the POST
 * and one to three status reads, plus the final confirmation.
 *
 * Throttling and conflicts are waited out until the step's deadline (transitionTimeoutMinutes), each wait ARM's
 * Retry-After plus a spread fixed by a hash of the instance and the attempt, so that hundreds of resources
 * throttled together come back spread out rather than all at once.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity, registerOrchestration } from "../src/contracts/durable";
import { cycleResourceOrchestration, type CycleResourceInput } from "../src/contracts/functions/cycleResource";
import { beginPowerOperationActivity } from "../src/contracts/functions/beginPowerOperation";
import { readPowerStateActivity, type ReadPowerStateResult } from "../src/contracts/functions/readPowerState";
import { STEP_TARGET, stepSatisfied, type ArmFailure, type CycleKind } from "../src/contracts/functions/common";
import { addSeconds } from "../src/contracts/functions/clock";
import type { OperationHandle } from "../src/contracts/azure";
import type { PlanEntry, PowerStep } from "../src/contracts/plan";
import type { ReasonCode, ResourceOutcome } from "../src/contracts/outcome";
import { TRANSITIONAL_POWER_STATES } from "../src/contracts/power";
import { ensureError } from "../src/errors";
import { busyWaitSeconds, nowIso, outcomeBase, sleep, transientRetry } from "./shared";

/** Poll interval while a resource that passed its deadline settles. */
const SETTLE_POLL_SECONDS = 60;

/**
 * Seconds until the first read of a step, and between later reads. The first read comes at the step's usual
 * duration (power off ~30 s, deallocate and start ~60 s), when about half of them are done; the rest are read
 * every tenth of it (at least 5 s), so a step is noticed a few seconds after it ends rather than after its
 * slowest case, for one or two more status reads per step.
 */
const FIRST_POLL: Readonly<Record<PowerStep, number>> = { powerOff: 30, deallocate: 60, start: 60 };
const NEXT_POLL: Readonly<Record<PowerStep, number>> = { powerOff: 5, deallocate: 6, start: 6 };

type StepResult =
  | { ok: true; performed: boolean; state: string }
  | { ok: false; outcome: "failed" | "skipped"; reasonCode: ReasonCode; message: string; errorCode?: string; state: string; performed?: boolean };

/** One group of instances (or the VM itself) and the steps it goes through. */
interface Track {
  instanceIds?: string[];
  steps: PowerStep[];
}

/** What a resource goes through: a VM its steps; a scale set its running instances, then its stopped ones. */
function tracksOf(entry: PlanEntry, restoreStoppedVms: boolean): Track[] {
  if (entry.kind === "vm") return [{ steps: entry.steps }];
  const running = entry.instanceIds ?? [];
  const stopped = entry.stoppedInstanceIds ?? [];
  if (running.length === 0) return stopped.length > 0 ? [{ instanceIds: stopped, steps: entry.steps }] : [];
  const tracks: Track[] = [{ instanceIds: running, steps: entry.steps }];
  if (stopped.length > 0) {
    tracks.push({ instanceIds: stopped, steps: restoreStoppedVms ? ["deallocate", "start", "powerOff"] : ["deallocate"] });
  }
  return tracks;
}

function failureReason(step: PowerStep, f: ArmFailure | { code: string }, fallback: ReasonCode): ReasonCode {
  if (step === "start" && /allocation|overconstrained|skunotavailable|capacity/i.test(f.code)) return "allocationFailed";
  return fallback;
}

/** The state a read shows, and whether the step is done there. */
function evaluate(step: PowerStep, kind: CycleKind, read: Extract<ReadPowerStateResult, { status: "ok" }>): { state: string; done: boolean } | undefined {
  const r = read.resource;
  if (r === undefined) return undefined;
  if (kind === "vm") return { state: r.powerState, done: stepSatisfied(step, r.powerState) };
  const instances = r.instances ?? [];
  const states = [...new Set(instances.map((i) => i.powerState))];
  return {
    state: states.length === 1 ? (states[0] ?? "unknown") : states.join("/") || "no instances",
    done: instances.every((i) => stepSatisfied(step, i.powerState)),
  };
}

interface Monitor {
  handle?: OperationHandle;
  instanceIds?: string[];
  firstWait: number;
}

/** Sends the step (retrying throttling and conflicts); a StepResult when nothing is left to monitor. */
function* beginStep(
  context: OrchestrationContext,
  input: CycleResourceInput,
  kind: CycleKind,
  track: Track,
  step: PowerStep,
  lastState: string,
  pastDeadline: () => boolean,
): Generator<Task, StepResult | Monitor, unknown> {
  const entry = input.entry;
  for (let attempt = 1; ; attempt++) {
    const begun = yield* callActivity(
      context,
      beginPowerOperationActivity,
      { resourceId: entry.resourceId, kind, step, ...(track.instanceIds !== undefined ? { instanceIds: track.instanceIds } : {}) },
      transientRetry(),
    );
    switch (begun.status) {
      case "alreadyDone":
        return { ok: true, performed: false, state: begun.state };
      case "inTransition":
        // Already under way (a re-run after a lost completion): watch the state, there is no operation to poll.
        return { ...(track.instanceIds !== undefined ? { instanceIds: track.instanceIds } : {}), firstWait: NEXT_POLL[step] };
      case "started": {
        const ids = begun.instanceIds ?? track.instanceIds;
        return {
          ...(begun.handle.completed ? {} : { handle: begun.handle }),
          ...(ids !== undefined ? { instanceIds: ids } : {}),
          firstWait: begun.handle.completed ? 0 : Math.max(FIRST_POLL[step], begun.handle.retryAfterSeconds ?? 0),
        };
      }
      case "notFound":
        return { ok: false, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared during the run`, errorCode: begun.code, state: "absent" };
      case "failed":
        return {
          ok: false,
          outcome: "failed",
          reasonCode: failureReason(step, begun, "operationFailed"),
          message: `${step} was refused: ${begun.message}`,
          errorCode: begun.code,
          state: lastState,
        };
      default:
        // throttled or conflict: wait as ARM asked, spread out, and try again until the step's deadline.
        if (pastDeadline()) {
          return {
            ok: false,
            outcome: "failed",
            reasonCode: begun.status === "throttled" ? "throttled" : "conflict",
            message: `${step} was still ${begun.status} after ${attempt} attempts, past its ${input.transitionTimeoutMinutes} min deadline: ${begun.message}`,
            errorCode: begun.code,
            state: lastState,
          };
        }
        yield* sleep(context, busyWaitSeconds(attempt, begun.retryAfterSeconds, `${context.df.instanceId}:${step}:begin`));
    }
  }
}

function* runStep(
  context: OrchestrationContext,
  input: CycleResourceInput,
  track: Track,
  step: PowerStep,
  confirm: boolean,
  lastState: string,
): Generator<Task, StepResult, unknown> {
  const entry = input.entry;
  const kind: CycleKind = entry.kind === "scaleSet" ? "scaleSet" : "vm";
  const deadline = addSeconds(context.df.currentUtcDateTime, input.transitionTimeoutMinutes * 60);
  const pastDeadline = (): boolean => context.df.currentUtcDateTime.getTime() >= deadline.getTime();
  const graceDeadline = addSeconds(deadline, input.transitionTimeoutMinutes * 60);
  const timedOut = (state: string): StepResult => ({
    ok: false,
    outcome: "failed",
    reasonCode: "transitionTimedOut",
    message: `${step} did not reach ${STEP_TARGET[step]} within ${input.transitionTimeoutMinutes} min; last state ${state}`,
    state,
  });

  // 1. Begin the step (idempotent: the activity reads first and sends only what is still needed).
  const begun = yield* beginStep(context, input, kind, track, step, lastState, pastDeadline);
  if ("ok" in begun) return begun;
  let handle = begun.handle;
  const instanceIds = begun.instanceIds;
  const performed = true;

  // 2. Monitor: timer, read, until the target state or the deadline.
  let wait = begun.firstWait;
  let state = lastState;
  let busy = 0;
  /** ARM said the step's operation was still running at the last read (the power state is then not read). */
  let opInProgress = true;
  for (;;) {
    if (wait > 0) {
      let remaining = (deadline.getTime() - context.df.currentUtcDateTime.getTime()) / 1000;
      if (remaining <= 0) {
        // Past the deadline but still in transition: keep this resource's slot (and its availability set's) held
        // while it settles, for up to one more deadline, so nothing else of its group goes down meanwhile.
        const grace = (graceDeadline.getTime() - context.df.currentUtcDateTime.getTime()) / 1000;
        const settling = opInProgress || (TRANSITIONAL_POWER_STATES as readonly string[]).includes(state);
        if (!settling || grace <= 0) return { ...timedOut(state), performed };
        remaining = grace;
        wait = Math.max(wait, SETTLE_POLL_SECONDS);
      }
      yield* sleep(context, Math.min(wait, remaining));
    }
    const read = yield* callActivity(
      context,
      readPowerStateActivity,
      {
        resourceId: entry.resourceId,
        kind,
        ...(instanceIds !== undefined ? { instanceIds } : {}),
        ...(handle !== undefined ? { handle } : {}),
        readStateWhenDone: confirm,
      },
      transientRetry(),
    );
    if (read.status !== "ok") {
      if (read.status === "notFound") {
        return { ok: false, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared during the run`, errorCode: read.code, state: "absent" };
      }
      if (read.status === "failed") {
        return { ok: false, performed, outcome: "failed", reasonCode: "operationFailed", message: `reading ${entry.name} failed: ${read.message}`, errorCode: read.code, state };
      }
      busy++;
      if (pastDeadline()) {
        return {
          ok: false,
          performed,
          outcome: "failed",
          reasonCode: read.status === "throttled" ? "throttled" : "conflict",
          message: `reading ${entry.name} was still ${read.status} after ${busy} attempts, past the ${input.transitionTimeoutMinutes} min deadline of ${step}: ${read.message}`,
          errorCode: read.code,
          state,
        };
      }
      wait = busyWaitSeconds(busy, read.retryAfterSeconds, `${context.df.instanceId}:${step}:read`);
      continue;
    }
    const seen = evaluate(step, kind, read);
    if (seen !== undefined) state = seen.state;
    if (read.resource !== undefined && !read.resource.exists) {
      return { ok: false, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared during the run`, state: "absent" };
    }
    const op = read.operation;
    opInProgress = op?.status === "InProgress";
    if (op !== undefined && (op.status === "Failed" || op.status === "Canceled")) {
      const code = op.error?.code ?? op.status;
      return {
        ok: false,
        performed,
        outcome: "failed",
        reasonCode: failureReason(step, { code }, "operationFailed"),
        message: `${step} failed: ${op.error?.message ?? `the operation ended ${op.status}`}; last state ${state}`,
        errorCode: code,
        state,
      };
    }
    if (op?.status === "Succeeded") {
      handle = undefined;
      // Without a read, ARM's word that the operation succeeded is the state.
      if (seen === undefined) return { ok: true, performed, state: STEP_TARGET[step] };
    }
    if (seen?.done === true) return { ok: true, performed, state: seen.state };
    if (op?.status === "InProgress") {
      wait = Math.max(NEXT_POLL[step], op.retryAfterSeconds ?? 0);
    } else {
      wait = NEXT_POLL[step];
    }
  }
}

export function* cycleResource(context: OrchestrationContext, input: CycleResourceInput): Generator<Task, ResourceOutcome, unknown> {
  const entry = input.entry;
  const startedAt = nowIso(context);
  const actions: string[] = [];
  const common = {
    ...outcomeBase(entry),
    ...(entry.stateBefore !== undefined ? { stateBefore: entry.stateBefore } : {}),
    ...(input.wave !== undefined ? { wave: input.wave } : {}),
    ...(entry.canary ? { canary: true } : {}),
    startedAt,
  };
  const tracks = tracksOf(entry, input.restoreStoppedVms);
  const detail =
    entry.kind === "scaleSet"
      ? { instanceIds: entry.instanceIds ?? [], stoppedInstanceIds: entry.stoppedInstanceIds ?? [] }
      : undefined;
  let state = entry.stateBefore ?? "unknown";
  try {
    for (const [t, track] of tracks.entries()) {
      for (const [s, step] of track.steps.entries()) {
        const last = t === tracks.length - 1 && s === track.steps.length - 1;
        const r = yield* runStep(context, input, track, step, last, state);
        if (!r.ok) {
          if (r.performed === true) actions.push(step);
          return {
            ...common,
            outcome: r.outcome,
            reasonCode: r.reasonCode,
            message: r.message,
            ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
            actions,
            stateAfter: r.state,
            endedAt: nowIso(context),
            ...(detail !== undefined ? { detail } : {}),
          };
        }
        if (r.performed) actions.push(track.instanceIds !== undefined && tracks.length > 1 ? `${step}(${track.instanceIds.length})` : step);
        state = r.state;
      }
    }
  } catch (e) {
    // An activity kept throwing after its retries (ARM unreachable, a bug): report, never abort the run.
    return {
      ...common,
      outcome: "failed",
      reasonCode: "unexpected",
      message: ensureError(e).message.slice(0, 2000),
      actions,
      stateAfter: state,
      endedAt: nowIso(context),
      ...(detail !== undefined ? { detail } : {}),
    };
  }
  return {
    ...common,
    outcome: "cycled",
    ...(entry.targetState === "stopped" ? { message: "restored to stopped" } : {}),
    actions,
    stateAfter: state,
    endedAt: nowIso(context),
    ...(detail !== undefined ? { detail } : {}),
  };
}

registerOrchestration(cycleResourceOrchestration, cycleResource);
