/**
 * One power step of a resource's cycle, sent (orchestrations/cycleSend.ts) and then watched with the durable monitor
 * (orchestrations/toolkit/monitor.ts) until the step's target state, its failure or its deadline; and the same step
 * sent again while its operation fails with a code ARM marks as retryable.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity } from "./toolkit/calls";
import type { CycleResourceInput } from "../src/contracts/durable/cycleResource";
import { readPowerStateActivity, type ReadPowerStateResult } from "../src/contracts/durable/readPowerState";
import { observePowerStateActivity, type ObservePowerStateResult } from "../src/contracts/durable/observePowerState";
import type { BeginPowerOperationResult } from "../src/contracts/durable/beginPowerOperation";
import { STEP_TARGET, stepSatisfied, type CycleKind } from "../src/contracts/durable/common";
import type { OperationHandle } from "../src/contracts/azure";
import type { PowerStep } from "../src/contracts/plan";
import { TRANSITIONAL_POWER_STATES, type PowerState } from "../src/contracts/power";
import { busyWaitSeconds, nowIso, transientRetry } from "./shared";
import { awayClock, monitor, type Pause } from "./toolkit/monitor";
import {
  beginStep,
  disappeared,
  failureReason,
  NEXT_POLL,
  readAfterRefusal,
  type StepFailure,
  type StepResult,
  type Track,
} from "./cycleSend";

/** Poll interval while a resource that passed its deadline settles. */
const SETTLE_POLL_SECONDS = 60;

/** Codes of a failed power operation that ARM documents as safe to send again unchanged. */
const RETRYABLE_OPERATION_CODES: readonly string[] = ["RetryableError"];
/**
 * The code of an operation another one on the same resource took over (docs/architecture.md, "Azure's answers": Compute may preempt the
 * running operation for a newer one; Azure/azure-sdk-for-java#1783, Azure/azure-sdk-for-python#5167). The run's own
 * steps on a resource are sent one after the other, and a power off vouched for by the deallocate after it is never
 * polled, so a preemption the run sees is someone else's operation: sending ours again would undo their choice.
 */
const PREEMPTED = "OperationPreempted";
/** Sends of one step when its operation keeps failing with a retryable code. */
const MAX_STEP_ATTEMPTS = 3;

/** The state a read shows, and whether the step is done there. */
function evaluate(
  step: PowerStep,
  kind: CycleKind,
  read: Extract<ReadPowerStateResult, { status: "ok" }>,
): { state: string; done: boolean } | undefined {
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

/** What one poll of a step brought back: the read, and how long the shared listing it came from stays current. */
interface StepPoll {
  read: ReadPowerStateResult;
  /** Seconds until the shared listing is renewed: polling before then would see the same states. */
  fresh: number;
}

/** How a step is watched once sent. */
interface StepWatch {
  /** The poll that saw the step's target also confirms the resource's state (the last step of a cycle). */
  confirm: boolean;
  /**
   * The next step is a VM's deallocate, which ARM takes from any power state ("shuts down the virtual machine and
   * releases the compute resources", VirtualMachines_Deallocate): no poll of this power off, the deallocate is sent
   * once it has had its usual time and its own poll vouches for both (a send that meets the power off still running
   * is answered with a conflict and sent again after a read).
   */
  vouchedByNext: boolean;
}

/** What one step is told: the resource, the instances and the step, how to watch it, and what is known of its state. */
interface StepOptions {
  input: CycleResourceInput;
  track: Track;
  step: PowerStep;
  watch: StepWatch;
  /** The state the step starts from, as last seen. */
  lastState: string;
  /** The state the last poll just saw, so the send need not read first. */
  knownState?: PowerState | undefined;
  /** The state the plan expects (the resource's first write): anything else was changed by someone else. */
  expected?: PowerState | undefined;
  /**
   * A VM's next step in its cycle: the poll that sees this one end sends it at once (observePowerState's
   * `thenSend`), and its answer comes back as the result's `next`, which saves the episode a separate send costs.
   */
  thenSend?: PowerStep | undefined;
  /** This step's first send, already made by the poll that saw the previous step end. */
  sent?: BeginPowerOperationResult | undefined;
  /** How the step's waits are taken (the restore's own, which counts a late timer as time the host was away). */
  pause?: Pause | undefined;
}

/** Sends one step and watches it to its target state, its failure or its deadline. */
export function* runStep(context: OrchestrationContext, options: StepOptions): Generator<Task, StepResult, unknown> {
  const { input, track, step, watch, lastState, knownState, expected, thenSend, sent, pause } = options;
  const entry = input.entry;
  const kind: CycleKind = entry.kind === "scaleSet" ? "scaleSet" : "vm";
  /**
   * Every wait of the step, its lateness counted as time the host was away (a timer that fired late because the host
   * was stopped): the deadline and its grace move back by it, so a step whose deadline passed while nobody watched
   * still gets the polls it had left (awayClock, docs/reliability.md). Over the caller's pause when given (the
   * restore's), which then counts it too.
   */
  const clock = awayClock(context, pause);
  const timeout = input.transitionTimeoutMinutes * 60;
  /** The send's deadline, then (once ARM accepted it, perhaps after a long Retry-After) the transition's own. */
  let deadline = clock.deadline(timeout);
  const pastDeadline = (): boolean => deadline.passed();
  let graceDeadline = deadline.after(timeout);
  const timedOut = (state: string): StepResult => ({
    ok: false,
    outcome: "failed",
    reasonCode: "transitionTimedOut",
    message: `${step} did not reach ${STEP_TARGET[step]} within ${input.transitionTimeoutMinutes} min; last state ${state}`,
    state,
  });

  /** What a poll sees must have been read after this: the step was sent (or found under way) by then. */
  let begunAt = nowIso(context);
  let handle: OperationHandle | undefined;
  let instanceIds: string[] | undefined;
  let state = lastState;
  let busy = 0;
  /** ARM said the step's operation was still running at the last read (the power state is then not read). */
  let opInProgress = true;
  /** No read goes out before this (epoch ms): the last throttled read's Retry-After, whatever the deadline. */
  let notBefore = 0;
  let seen: { state: string; done: boolean } | undefined;
  /** This step's send made by the previous step's last poll: stands for the first send only, never a re-send. */
  let unsent = sent;
  /** The next step's send, made by the last poll (thenSend). */
  let next: BeginPowerOperationResult | undefined;
  /** Polls of this send so far: only the first reads the VM's own state first (see ReadPowerStateInput). */
  let polls = 0;
  /** The last poll was answered by the shared listing, which may be as old as its freshness window. */
  let listed = false;

  return yield* monitor<StepPoll, StepResult>(context, {
    // 1. Begin the step (idempotent: the activity reads first and sends only what is still needed).
    *begin() {
      const begun = yield* beginStep(context, {
        input,
        kind,
        track,
        step,
        lastState,
        pastDeadline,
        knownState,
        expected,
        sent: unsent,
        pause: clock.pause,
      });
      unsent = undefined;
      if ("ok" in begun) return { end: begun };
      begunAt = nowIso(context);
      // The transition gets its full time from the moment ARM accepted it, however long the send waited.
      deadline = clock.deadline(timeout);
      graceDeadline = deadline.after(timeout);
      polls = 0;
      handle = begun.handle;
      instanceIds = begun.instanceIds;
      if (watch.vouchedByNext && kind === "vm" && begun.handle !== undefined) {
        yield* clock.pause(begun.firstWait);
        return { end: { ok: true, performed: true, state: STEP_TARGET[step] } };
      }
      return { wait: begun.firstWait };
    },
    // 2. Before each wait: the deadline, and one timer for both the poll's pace and a Retry-After still owed.
    beforeWait(wait) {
      const now = context.df.currentUtcDateTime.getTime();
      const owed = Math.max(0, (notBefore - now) / 1000);
      if (wait <= 0) return { wait: owed };
      let remaining = deadline.left();
      if (remaining <= 0) {
        // Past the deadline but still in transition: keep this resource's slot (and its availability set's) held
        // while it settles, for up to one more deadline, so nothing else of its group goes down meanwhile.
        const grace = graceDeadline.left();
        const settling = opInProgress || (TRANSITIONAL_POWER_STATES as readonly string[]).includes(state);
        if (!settling || grace <= 0) return { end: { ...timedOut(state), performed: true } };
        remaining = grace;
        wait = Math.max(wait, SETTLE_POLL_SECONDS);
      }
      return { wait: Math.max(Math.min(wait, remaining), owed) };
    },
    *readStatus() {
      const readInput = {
        resourceId: entry.resourceId,
        kind,
        instanceIds,
        handle,
        readStateWhenDone: watch.confirm,
        ...(polls++ === 0 ? { stateFirstFor: step } : {}),
      };
      // A VM is observed with the fleet (one shared status listing for every VM polled about now, when that is cheaper
      // than reading each); the activity reads the VM itself whenever the listing does not settle the question.
      let poll: StepPoll;
      if (kind === "vm") {
        const observed: ObservePowerStateResult = yield* callActivity(
          context,
          observePowerStateActivity,
          {
            ...readInput,
            asOf: nowIso(context),
            notBefore: begunAt,
            ...(input.subscriptionVms !== undefined ? { subscriptionVms: input.subscriptionVms } : {}),
            ...(thenSend !== undefined
              ? { thenSend: { after: step, step: thenSend, requestedAt: nowIso(context) } }
              : {}),
          },
          transientRetry(),
        );
        poll = { read: observed, fresh: observed.status === "ok" ? (observed.freshForSeconds ?? 0) : 0 };
        next = observed.status === "ok" ? observed.next : undefined;
        listed = observed.status === "ok" && observed.observedBy === "listing";
      } else {
        poll = { read: yield* callActivity(context, readPowerStateActivity, readInput, transientRetry()), fresh: 0 };
      }
      const read = poll.read;
      if (read.status === "ok") {
        seen = evaluate(step, kind, read);
        if (seen !== undefined) state = seen.state;
        opInProgress = read.operation?.status === "InProgress";
        if (read.operation?.status === "Succeeded") handle = undefined;
      } else if (read.status === "throttled" || read.status === "conflict") {
        busy++;
        if (read.retryAfterSeconds !== undefined)
          notBefore = context.df.currentUtcDateTime.getTime() + read.retryAfterSeconds * 1000;
      }
      return poll;
    },
    readError({ read }) {
      if (read.status !== "ok") {
        if (read.status === "notFound") {
          return {
            end: disappeared(entry.name, { errorCode: read.code }),
          };
        }
        if (read.status === "failed") {
          return {
            end: {
              ok: false,
              performed: true,
              outcome: "failed",
              reasonCode: "operationFailed",
              message: `reading ${entry.name} failed: ${read.message}`,
              errorCode: read.code,
              state,
            },
          };
        }
        if (!pastDeadline()) return undefined;
        return {
          end: {
            ok: false,
            performed: true,
            outcome: "failed",
            reasonCode: read.status === "throttled" ? "throttled" : "conflict",
            message: `reading ${entry.name} was still ${read.status} after ${busy} attempts, past the ${input.transitionTimeoutMinutes} min deadline of ${step}: ${read.message}`,
            errorCode: read.code,
            state,
            retryAfterSeconds: read.retryAfterSeconds,
          },
        };
      }
      if (read.resource !== undefined && !read.resource.exists) {
        return {
          end: disappeared(entry.name),
        };
      }
      const op = read.operation;
      if (op !== undefined && (op.status === "Failed" || op.status === "Canceled")) {
        const code = op.error?.code ?? op.status;
        return {
          end: {
            ok: false,
            performed: true,
            outcome: "failed",
            reasonCode: failureReason(step, { code }, "operationFailed"),
            message: `${step} failed: ${op.error?.message ?? `the operation ended ${op.status}`}; last state ${state}`,
            errorCode: code,
            state,
          },
        };
      }
      return undefined;
    },
    isDone({ read }) {
      if (read.status !== "ok") return undefined;
      // Without a read of the resource, ARM's word that the operation succeeded is the state.
      const sentNext = { ...(next !== undefined ? { next } : {}), ...(listed ? { listed } : {}) };
      if (read.operation?.status === "Succeeded" && seen === undefined)
        return { ok: true, performed: true, state: STEP_TARGET[step], ...sentNext };
      return seen?.done === true ? { ok: true, performed: true, state: seen.state, ...sentNext } : undefined;
    },
    // The next poll: ARM's Retry-After and the pace its rate-limit headers ask for only ever lengthen it.
    nextWait({ read, fresh }) {
      if (read.status !== "ok")
        return busyWaitSeconds(busy, read.retryAfterSeconds, `${context.df.instanceId}:${step}:read`);
      const op = read.operation;
      return Math.max(
        NEXT_POLL[step],
        op?.status === "InProgress" ? (op.retryAfterSeconds ?? 0) : 0,
        read.paceSeconds ?? 0,
        fresh,
      );
    },
    pause: clock.pause,
  });
}
/** Sends one step, and sends it again while its operation fails with a code ARM marks as retryable. */
export function* attemptStep(
  context: OrchestrationContext,
  options: StepOptions & { actions: string[] },
): Generator<Task, StepResult, unknown> {
  const { actions, knownState, expected, step, sent, ...rest } = options;
  for (let attempt = 1; ; attempt++) {
    const r = yield* runStep(context, {
      ...rest,
      step,
      knownState: attempt === 1 ? knownState : undefined,
      expected: attempt === 1 ? expected : undefined,
      sent: attempt === 1 ? sent : undefined,
    });
    if (!r.ok && r.errorCode === PREEMPTED) return yield* preempted(context, options, r);
    const retryable =
      !r.ok && r.outcome === "failed" && r.errorCode !== undefined && RETRYABLE_OPERATION_CODES.includes(r.errorCode);
    if (!retryable || attempt >= MAX_STEP_ATTEMPTS) return r;
    if (r.performed === true) actions.push(step);
  }
}

/**
 * A step whose operation someone else's preempted: reported with the state read now, never sent again. Nothing of
 * this step took effect (`performed: false`); what the run took down before it is brought back by the compensation.
 */
function* preempted(
  context: OrchestrationContext,
  options: StepOptions,
  r: StepFailure,
): Generator<Task, StepResult, unknown> {
  const { input, track, step, lastState } = options;
  const entry = input.entry;
  const kind: CycleKind = entry.kind === "scaleSet" ? "scaleSet" : "vm";
  const now = yield* readAfterRefusal(context, entry, kind, track.instanceIds);
  if (now === "gone") return disappeared(entry.name, { errorCode: PREEMPTED, changedFrom: lastState });
  const state = now ?? r.state;
  return {
    ok: false,
    performed: false,
    outcome: "failed",
    reasonCode: "changedByOther",
    message: `${step} of ${entry.name} was preempted by another operation on it (${PREEMPTED}) and it is ${state} now: someone else acted on it during the run; ${step} was not sent again`,
    errorCode: PREEMPTED,
    state,
    changedFrom: lastState,
  };
}
