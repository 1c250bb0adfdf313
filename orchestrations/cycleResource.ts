/**
 * Cycles one VM or uniform scale set through its plan's power steps (power off → deallocate → start for a
 * running VM) with the monitor pattern: begin the step, then durable timers between reads until the step's
 * target state, so no activity ever waits for Azure. Every failure ends as data in the outcome, never thrown.
 *
 * Polling (orchestrations/toolkit/monitor.ts, timed by what is known of the step): the first read comes near the end
 * of the step's usual duration (later if ARM's Retry-After says so), then every tenth of it. A VM's poll is answered
 * from the subscription's shared status listing when many VMs are in flight (one listing serves every poll of the
 * next few seconds; the next poll waits until it is renewed), else by the VM's own reads: the operation's status
 * while it runs; on the last step the VM's own state, which ends and confirms the cycle in one read. Anything the
 * listing cannot vouch for (missing, failed, no sign of the step) is read on the VM itself, so every failure below
 * is met as before. A VM's power off is not polled when a deallocate follows: ARM deallocates from any power state,
 * and the deallocate's own poll vouches for both. A resource's first write always reads first and compares with
 * the plan: what someone else stopped, deallocated, started, deleted or evicted since is left as they chose, with
 * its own reason (changedByOther, disappeared, evicted) and who and when from the Activity Log. A later step's send
 * skips its state read when the poll before it just saw the state. A happy cycle read on its own then costs the
 * read before the first write, one request per step sent, and one read per step polled: six for power off →
 * deallocate → start, five for deallocate → start.
 *
 * Throttling and conflicts are waited out until the step's deadline (transitionTimeoutMinutes), each wait ARM's
 * Retry-After plus a spread fixed by a hash of the instance and the attempt, so that hundreds of resources
 * throttled together come back spread out rather than all at once.
 *
 * No VM left down (a saga with one compensation): once the run has taken a running machine down, any failure
 * after that — a step that fails, times out, is refused, or an activity that keeps throwing — is followed by
 * "bring it back up": wait for a transition in flight to settle, then start what is not running, retrying
 * AllocationFailed and other refusals with backoff until the restore deadline (restoreTimeoutMinutes). A failed
 * start that the restore gets through completes the cycle; any other failure stays "failed" with `restored`.
 * What cannot be brought back by the deadline is reported `leftDown`, with the reason and the manual action.
 * A step that failed with a code ARM marks as retryable is first sent again as it is.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity, registerOrchestration } from "./toolkit/calls";
import { cycleResourceOrchestration, type CycleResourceInput } from "../src/contracts/functions/cycleResource";
import { beginPowerOperationActivity } from "../src/contracts/functions/beginPowerOperation";
import { readPowerStateActivity, type ReadPowerStateResult } from "../src/contracts/functions/readPowerState";
import { readPowerEventsActivity } from "../src/contracts/functions/readPowerEvents";
import type { PowerEvent } from "../src/contracts/discovery";
import { observePowerStateActivity, type ObservePowerStateResult } from "../src/contracts/functions/observePowerState";
import { STEP_TARGET, stepSatisfied, type ArmFailure, type CycleKind } from "../src/contracts/functions/common";
import { addSeconds } from "../src/contracts/functions/clock";
import type { OperationHandle } from "../src/contracts/azure";
import type { PlanEntry, PowerStep } from "../src/contracts/plan";
import { governanceReason, lockManualAction, type LeftDown, type ReasonCode, type ResourceOutcome } from "../src/contracts/outcome";
import { TRANSITIONAL_POWER_STATES, type PowerState } from "../src/contracts/power";
import { ensureError } from "../src/errors";
import { LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS } from "../src/contracts/azure";
import { busyWaitSeconds, nowIso, outcomeBase, sleep, transientRetry } from "./shared";
import { monitor } from "./toolkit/monitor";

/** Poll interval while a resource that passed its deadline settles. */
const SETTLE_POLL_SECONDS = 60;

/**
 * Seconds until the first read of a step, and between later reads. The first read comes when nearly every step of
 * its kind is done — its usual duration (power off ~30 s, deallocate and start ~60 s) and the fifth more by which
 * one often runs long — so that one read per step is the rule rather than two or three; the rare step still
 * running then is read every tenth of its usual duration (at least 5 s).
 */
const FIRST_POLL: Readonly<Record<PowerStep, number>> = { powerOff: 36, deallocate: 72, start: 72 };
const NEXT_POLL: Readonly<Record<PowerStep, number>> = { powerOff: 5, deallocate: 6, start: 6 };

type StepResult =
  | { ok: true; performed: boolean; state: string }
  | {
      ok: false;
      outcome: "failed" | "skipped";
      reasonCode: ReasonCode;
      message: string;
      errorCode?: string;
      state: string;
      performed?: boolean;
      /** Someone else changed the resource since the plan (or deleted it): from the plan's state to this one. */
      changedFrom?: string;
      /** ARM's Retry-After on a throttled step: never sent again sooner. */
      retryAfterSeconds?: number;
    };
type StepFailure = Extract<StepResult, { ok: false }>;

/** Codes of a failed power operation that ARM documents as safe to send again unchanged. */
const RETRYABLE_OPERATION_CODES: readonly string[] = ["RetryableError", "OperationPreempted"];
/** Sends of one step when its operation keeps failing with a retryable code. */
const MAX_STEP_ATTEMPTS = 3;

/** Restore: first wait after a refused or failed start (doubling up to RESTORE_MAX_WAIT_SECONDS), and polls of a transition in flight. */
const RESTORE_FIRST_WAIT_SECONDS = 60;
const RESTORE_MAX_WAIT_SECONDS = 600;
const RESTORE_SETTLE_POLL_SECONDS = 60;
/**
 * Throttling never ends a restore: however short restoreTimeoutMinutes is, a restore held up by 429s keeps going
 * until it has waited out Compute's longest documented Retry-After (1,200 s, SupportArticles
 * `troubleshooting-throttling-errors.md`) and had time for a start after it. Throttling is "not yet", not "no".
 */
export const RESTORE_THROTTLED_FLOOR_SECONDS = LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS + 10 * 60;

function isAllocationCode(code: string | undefined): boolean {
  return code !== undefined && /allocation|overconstrained|skunotavailable|capacity/i.test(code);
}

/** One group of instances (or the VM itself) and the steps it goes through. */
interface Track {
  instanceIds?: string[];
  steps: PowerStep[];
  /** The machines were running before the run: once taken down, they must be brought back up. */
  restore: boolean;
}

/** What a resource goes through: a VM its steps; a scale set its running instances, then its stopped ones. */
function tracksOf(entry: PlanEntry, restoreStoppedVms: boolean): Track[] {
  // A running VM is powered off first, or deallocated straight away (runningVmCycle "deallocateStart").
  if (entry.kind === "vm") return [{ steps: entry.steps, restore: entry.steps[0] === "powerOff" || entry.stateBefore === "running" }];
  const running = entry.instanceIds ?? [];
  const stopped = entry.stoppedInstanceIds ?? [];
  if (running.length === 0) return stopped.length > 0 ? [{ instanceIds: stopped, steps: entry.steps, restore: false }] : [];
  const tracks: Track[] = [{ instanceIds: running, steps: entry.steps, restore: true }];
  if (stopped.length > 0) {
    tracks.push({ instanceIds: stopped, steps: restoreStoppedVms ? ["deallocate", "start", "powerOff"] : ["deallocate"], restore: false });
  }
  return tracks;
}

/** What an operator should do about a machine the run could not bring back, from ARM's code and its state. */
export function manualActionFor(entry: PlanEntry, code: string | undefined, state: string, instanceIds: readonly string[] | undefined, message?: string): string {
  const target = entry.kind === "scaleSet" ? `instances ${(instanceIds ?? []).join(", ")} of ${entry.name}` : entry.name;
  const startCmd =
    entry.kind === "scaleSet"
      ? `az vmss start -g ${entry.resourceGroup} -n ${entry.name} --instance-ids ${(instanceIds ?? []).join(" ")}`
      : `az vm start -g ${entry.resourceGroup} -n ${entry.name}`;
  if (governanceReason(code) === "resourceLocked") {
    // ARM names the locked scope, not the lock: the lock's id is <scope>/providers/Microsoft.Authorization/locks/<name>.
    return `${lockManualAction(message, `starting ${target}`)} start it (${startCmd}).`;
  }
  if (isAllocationCode(code)) {
    return `Azure has no capacity for the size of ${target} in its zone or region: start it again later (${startCmd}), or resize it to another size, or redeploy it to another zone or region.`;
  }
  if (code !== undefined && /policy|disallowed/i.test(code)) {
    return `An Azure Policy refuses to start ${target}: have the policy owner grant an exemption, then start it (${startCmd}).`;
  }
  if (code !== undefined && /disk/i.test(code)) {
    return `A disk of ${target} is missing or unusable: restore or reattach the disk (or redeploy from a backup), then start it (${startCmd}).`;
  }
  if ((TRANSITIONAL_POWER_STATES as readonly string[]).some((t) => state.includes(t))) {
    return `${target} is stuck in ${state}: check its activity log, redeploy it (az vm redeploy) or open a support case, then start it (${startCmd}).`;
  }
  return `Start ${target} (${startCmd}) and check its activity log${code !== undefined ? ` for ${code}` : ""}.`;
}

type RestoreResult =
  | { ok: true; attempts: number; wasDown: boolean }
  | { ok: false; attempts: number; gone: true }
  | { ok: false; attempts: number; gone?: false; leftDown: LeftDown };

/**
 * The compensation: brings the machines the run took down back to running, within restoreTimeoutMinutes. Reads
 * first (idempotent, and a failed step may have left them anywhere); waits for a transition in flight to settle;
 * starts what is stopped or deallocated; after a refused or failed start (AllocationFailed, a policy, a conflict)
 * waits with backoff and tries again. Never throws.
 */
function* restore(
  context: OrchestrationContext,
  input: CycleResourceInput,
  instanceIds: string[] | undefined,
  cause: { message: string; errorCode?: string; state: string },
  waitFirst: boolean,
): Generator<Task, RestoreResult, unknown> {
  const entry = input.entry;
  const kind: CycleKind = entry.kind === "scaleSet" ? "scaleSet" : "vm";
  const deadline = addSeconds(context.df.currentUtcDateTime, input.restoreTimeoutMinutes * 60);
  const throttledDeadline = addSeconds(context.df.currentUtcDateTime, Math.max(input.restoreTimeoutMinutes * 60, RESTORE_THROTTLED_FLOOR_SECONDS));
  /** The last obstacle was throttling: the restore then runs to throttledDeadline. */
  let throttled = false;
  const remaining = (): number => ((throttled ? throttledDeadline : deadline).getTime() - context.df.currentUtcDateTime.getTime()) / 1000;
  let attempts = 0;
  let wasDown = false;
  let backoff = RESTORE_FIRST_WAIT_SECONDS;
  let busy = 0;
  let last: { reason: string; code?: string; state: string; ids?: string[] } = {
    reason: cause.message,
    ...(cause.errorCode !== undefined ? { code: cause.errorCode } : {}),
    state: cause.state,
    ...(instanceIds !== undefined ? { ids: instanceIds } : {}),
  };
  if (waitFirst) {
    // Right after a refused start (AllocationFailed above all) an immediate retry meets the same answer.
    yield* sleep(context, Math.min(backoff, Math.max(1, remaining())));
    backoff = Math.min(backoff * 2, RESTORE_MAX_WAIT_SECONDS);
  }
  for (;;) {
    let wait = backoff;
    try {
      const read = yield* callActivity(
        context,
        readPowerStateActivity,
        { resourceId: entry.resourceId, kind, ...(instanceIds !== undefined ? { instanceIds } : {}), readStateWhenDone: true },
        transientRetry(),
      );
      if (read.status === "notFound" || (read.status === "ok" && read.resource?.exists === false)) return { ok: false, attempts, gone: true };
      if (read.status === "ok" && read.resource !== undefined) {
        const machines: { id?: string; state: string }[] =
          kind === "vm"
            ? [{ state: read.resource.powerState }]
            : (read.resource.instances ?? [])
                .filter((i) => instanceIds === undefined || instanceIds.includes(i.instanceId))
                .map((i) => ({ id: i.instanceId, state: i.powerState }));
        const down = machines.filter((m) => m.state !== "running");
        if (down.length === 0) return { ok: true, attempts, wasDown };
        wasDown = true;
        const ids = kind === "scaleSet" ? down.flatMap((m) => (m.id === undefined ? [] : [m.id])) : undefined;
        const state = [...new Set(down.map((m) => m.state))].join("/");
        if (down.some((m) => (TRANSITIONAL_POWER_STATES as readonly string[]).includes(m.state))) {
          // A transition still in flight (a timed-out step, or someone else's): a start now would only conflict.
          last = { reason: `${last.reason}; still ${state}`, ...(last.code !== undefined ? { code: last.code } : {}), state, ...(ids !== undefined ? { ids } : {}) };
          wait = RESTORE_SETTLE_POLL_SECONDS;
        } else {
          attempts++;
          const minutes = Math.max(1, Math.min(input.transitionTimeoutMinutes, Math.ceil(remaining() / 60)));
          const r = yield* runStep(
            context,
            { ...input, transitionTimeoutMinutes: minutes },
            { ...(ids !== undefined ? { instanceIds: ids } : {}), steps: ["start"], restore: true },
            "start",
            { confirm: true, vouchedByNext: false },
            state,
          );
          if (r.ok) continue; // read again: every machine must be seen running
          if (r.reasonCode === "disappeared") return { ok: false, attempts, gone: true };
          last = { reason: r.message, ...(r.errorCode !== undefined ? { code: r.errorCode } : {}), state: r.state, ...(ids !== undefined ? { ids } : {}) };
          // A management lock stays until its owner removes it: left down now, with the lock in the manual action.
          if (r.reasonCode === "resourceLocked") return { ok: false, attempts, leftDown: leftDownOf(entry, last, attempts) };
          throttled = r.reasonCode === "throttled";
          // Never sooner than ARM's Retry-After: a throttled start is sent again only once the wait it asked for is over.
          wait = Math.max(backoff, r.retryAfterSeconds !== undefined ? busyWaitSeconds(1, r.retryAfterSeconds, `${context.df.instanceId}:restore`) : 0);
          backoff = Math.min(backoff * 2, RESTORE_MAX_WAIT_SECONDS);
        }
      } else if (read.status !== "ok") {
        busy++;
        throttled = read.status === "throttled";
        last = { ...last, reason: `reading ${entry.name} failed (${read.code}: ${read.message})` };
        wait = read.status === "throttled" || read.status === "conflict" ? busyWaitSeconds(busy, read.retryAfterSeconds, `${context.df.instanceId}:restore`) : backoff;
      }
    } catch (e) {
      // ARM unreachable even after the activity's retries: keep trying until the deadline.
      last = { ...last, reason: `reading or starting ${entry.name} failed: ${ensureError(e).message.slice(0, 500)}` };
    }
    if (remaining() < wait) return { ok: false, attempts, leftDown: leftDownOf(entry, last, attempts) };
    yield* sleep(context, wait);
  }
}

/** What the restore reports of machines it could not bring back: the last reason, state and the manual action. */
function leftDownOf(entry: PlanEntry, last: { reason: string; code?: string; state: string; ids?: string[] }, attempts: number): LeftDown {
  return {
    reason: last.reason.slice(0, 2000),
    ...(last.code !== undefined ? { errorCode: last.code } : {}),
    state: last.state,
    manualAction: manualActionFor(entry, last.code, last.state, last.ids, last.reason),
    ...(last.ids !== undefined ? { instanceIds: last.ids } : {}),
    attempts,
  };
}

/** A power state no transition is under way in. */
function isStable(state: string | undefined): state is "running" | "stopped" | "deallocated" {
  return state === "running" || state === "stopped" || state === "deallocated";
}

function failureReason(step: PowerStep, f: ArmFailure | { code: string }, fallback: ReasonCode): ReasonCode {
  if (step === "start" && isAllocationCode(f.code)) return "allocationFailed";
  return governanceReason(f.code) ?? fallback;
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
  knownState: PowerState | undefined,
  expected: PowerState | undefined,
): Generator<Task, StepResult | Monitor, unknown> {
  const entry = input.entry;
  let trusted = knownState;
  for (let attempt = 1; ; attempt++) {
    // The resource's first write always reads, against the plan's state (someone else may have acted since the plan);
    // later steps may send on the state the last poll just saw, until a conflict says it was wrong (throttling does not).
    const known =
      expected !== undefined
        ? { expectedState: expected, requestedAt: nowIso(context) }
        : kind === "vm" && trusted !== undefined
          ? { knownState: trusted, requestedAt: nowIso(context) }
          : {};
    const begun = yield* callActivity(
      context,
      beginPowerOperationActivity,
      { resourceId: entry.resourceId, kind, step, ...(track.instanceIds !== undefined ? { instanceIds: track.instanceIds } : {}), ...known },
      transientRetry(),
    );
    switch (begun.status) {
      case "changed": {
        const from = expected ?? lastState;
        const which = begun.instanceIds !== undefined ? `instance(s) ${begun.instanceIds.join(", ")} of ${entry.name}` : entry.name;
        return {
          ok: false,
          outcome: "skipped",
          reasonCode: "changedByOther",
          message: `${which} was ${from} when planned and is ${begun.state} now: someone else changed it since the plan; nothing was sent`,
          state: begun.state,
          changedFrom: from,
        };
      }
      case "alreadyDone":
        return { ok: true, performed: false, state: begun.state };
      case "inTransition":
        // Already under way (a re-run after a lost completion): watch the state, there is no operation to poll.
        return { ...(track.instanceIds !== undefined ? { instanceIds: track.instanceIds } : {}), firstWait: Math.max(NEXT_POLL[step], begun.paceSeconds ?? 0) };
      case "started": {
        const ids = begun.instanceIds ?? track.instanceIds;
        return {
          ...(begun.handle.completed ? {} : { handle: begun.handle }),
          ...(ids !== undefined ? { instanceIds: ids } : {}),
          // ARM's Retry-After and the pace its rate-limit headers ask for (pacing.ts) only ever lengthen the wait.
          firstWait: begun.handle.completed ? (begun.paceSeconds ?? 0) : Math.max(FIRST_POLL[step], begun.handle.retryAfterSeconds ?? 0, begun.paceSeconds ?? 0),
        };
      }
      case "notFound":
        return { ok: false, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared during the run`, errorCode: begun.code, state: "absent", changedFrom: expected ?? lastState };
      case "failed":
        if (step === "powerOff" && begun.code.toLowerCase() === "operationnotallowed") {
          // Azure refuses powerOff of a VM deallocated or being deallocated (azure-facts §5d): someone deallocated it
          // between our read and our request. Read again, and leave it as they chose.
          const raced = yield* readAfterRefusal(context, entry, kind, track.instanceIds);
          if (raced === "gone") return { ok: false, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared during the run`, state: "absent", changedFrom: expected ?? lastState };
          if (raced !== undefined && (raced.includes("deallocat") || (expected !== undefined && raced !== expected))) {
            const from = expected ?? lastState;
            return {
              ok: false,
              outcome: "skipped",
              reasonCode: "changedByOther",
              message: `${entry.name} was ${from} when planned and is ${raced} now: someone else changed it since the plan (Azure refused powerOff: ${begun.message}); nothing was sent`,
              errorCode: begun.code,
              state: raced,
              changedFrom: from,
            };
          }
        }
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
        if (begun.status === "conflict") trusted = undefined;
        if (pastDeadline()) {
          return {
            ok: false,
            outcome: "failed",
            reasonCode: begun.status === "throttled" ? "throttled" : "conflict",
            message: `${step} was still ${begun.status} after ${attempt} attempts, past its ${input.transitionTimeoutMinutes} min deadline: ${begun.message}`,
            errorCode: begun.code,
            state: lastState,
            ...(begun.retryAfterSeconds !== undefined ? { retryAfterSeconds: begun.retryAfterSeconds } : {}),
          };
        }
        yield* sleep(context, busyWaitSeconds(attempt, begun.retryAfterSeconds, `${context.df.instanceId}:${step}:begin`));
    }
  }
}

/** The state read after a refusal: a VM's power state, the named instances' states, "gone", or undefined when unreadable. */
function* readAfterRefusal(
  context: OrchestrationContext,
  entry: PlanEntry,
  kind: CycleKind,
  instanceIds: string[] | undefined,
): Generator<Task, string | undefined, unknown> {
  const read = yield* callActivity(
    context,
    readPowerStateActivity,
    { resourceId: entry.resourceId, kind, ...(instanceIds !== undefined ? { instanceIds } : {}), readStateWhenDone: true },
    transientRetry(),
  );
  if (read.status === "notFound") return "gone";
  if (read.status !== "ok" || read.resource === undefined) return undefined;
  if (!read.resource.exists) return "gone";
  if (kind === "vm") return read.resource.powerState;
  const states = [...new Set((read.resource.instances ?? []).map((i) => i.powerState))];
  return states.join("/");
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

function* runStep(
  context: OrchestrationContext,
  input: CycleResourceInput,
  track: Track,
  step: PowerStep,
  watch: StepWatch,
  lastState: string,
  knownState?: PowerState,
  expected?: PowerState,
): Generator<Task, StepResult, unknown> {
  const entry = input.entry;
  const kind: CycleKind = entry.kind === "scaleSet" ? "scaleSet" : "vm";
  /** The send's deadline, then (once ARM accepted it, perhaps after a long Retry-After) the transition's own. */
  let deadline = addSeconds(context.df.currentUtcDateTime, input.transitionTimeoutMinutes * 60);
  const pastDeadline = (): boolean => context.df.currentUtcDateTime.getTime() >= deadline.getTime();
  let graceDeadline = addSeconds(deadline, input.transitionTimeoutMinutes * 60);
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
  /** Polls of this send so far: only the first reads the VM's own state first (see ReadPowerStateInput). */
  let polls = 0;

  return yield* monitor<StepPoll, StepResult>(context, {
    // 1. Begin the step (idempotent: the activity reads first and sends only what is still needed).
    *begin() {
      const begun = yield* beginStep(context, input, kind, track, step, lastState, pastDeadline, knownState, expected);
      if ("ok" in begun) return { end: begun };
      begunAt = nowIso(context);
      // The transition gets its full time from the moment ARM accepted it, however long the send waited.
      deadline = addSeconds(context.df.currentUtcDateTime, input.transitionTimeoutMinutes * 60);
      graceDeadline = addSeconds(deadline, input.transitionTimeoutMinutes * 60);
      polls = 0;
      handle = begun.handle;
      instanceIds = begun.instanceIds;
      if (watch.vouchedByNext && kind === "vm" && begun.handle !== undefined) {
        yield* sleep(context, begun.firstWait);
        return { end: { ok: true, performed: true, state: STEP_TARGET[step] } };
      }
      return { wait: begun.firstWait };
    },
    // 2. Before each wait: the deadline, and one timer for both the poll's pace and a Retry-After still owed.
    beforeWait(wait) {
      const now = context.df.currentUtcDateTime.getTime();
      const owed = Math.max(0, (notBefore - now) / 1000);
      if (wait <= 0) return { wait: owed };
      let remaining = (deadline.getTime() - now) / 1000;
      if (remaining <= 0) {
        // Past the deadline but still in transition: keep this resource's slot (and its availability set's) held
        // while it settles, for up to one more deadline, so nothing else of its group goes down meanwhile.
        const grace = (graceDeadline.getTime() - now) / 1000;
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
        ...(instanceIds !== undefined ? { instanceIds } : {}),
        ...(handle !== undefined ? { handle } : {}),
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
          { ...readInput, asOf: nowIso(context), notBefore: begunAt },
          transientRetry(),
        );
        poll = { read: observed, fresh: observed.status === "ok" ? (observed.freshForSeconds ?? 0) : 0 };
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
        if (read.retryAfterSeconds !== undefined) notBefore = context.df.currentUtcDateTime.getTime() + read.retryAfterSeconds * 1000;
      }
      return poll;
    },
    readError({ read }) {
      if (read.status !== "ok") {
        if (read.status === "notFound") {
          return { end: { ok: false, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared during the run`, errorCode: read.code, state: "absent" } };
        }
        if (read.status === "failed") {
          return { end: { ok: false, performed: true, outcome: "failed", reasonCode: "operationFailed", message: `reading ${entry.name} failed: ${read.message}`, errorCode: read.code, state } };
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
            ...(read.retryAfterSeconds !== undefined ? { retryAfterSeconds: read.retryAfterSeconds } : {}),
          },
        };
      }
      if (read.resource !== undefined && !read.resource.exists) {
        return { end: { ok: false, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared during the run`, state: "absent" } };
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
      if (read.operation?.status === "Succeeded" && seen === undefined) return { ok: true, performed: true, state: STEP_TARGET[step] };
      return seen?.done === true ? { ok: true, performed: true, state: seen.state } : undefined;
    },
    // The next poll: ARM's Retry-After and the pace its rate-limit headers ask for only ever lengthen it.
    nextWait({ read, fresh }) {
      if (read.status !== "ok") return busyWaitSeconds(busy, read.retryAfterSeconds, `${context.df.instanceId}:${step}:read`);
      const op = read.operation;
      return Math.max(NEXT_POLL[step], op?.status === "InProgress" ? (op.retryAfterSeconds ?? 0) : 0, read.paceSeconds ?? 0, fresh);
    },
  });
}
/** Sends one step, and sends it again while its operation fails with a code ARM marks as retryable. */
function* attemptStep(
  context: OrchestrationContext,
  input: CycleResourceInput,
  track: Track,
  step: PowerStep,
  watch: StepWatch,
  state: string,
  actions: string[],
  knownState: PowerState | undefined,
  expected: PowerState | undefined,
): Generator<Task, StepResult, unknown> {
  for (let attempt = 1; ; attempt++) {
    const r = yield* runStep(context, input, track, step, watch, state, attempt === 1 ? knownState : undefined, attempt === 1 ? expected : undefined);
    const retryable = !r.ok && r.outcome === "failed" && r.errorCode !== undefined && RETRYABLE_OPERATION_CODES.includes(r.errorCode);
    if (!retryable || attempt >= MAX_STEP_ATTEMPTS) return r;
    if (r.performed === true) actions.push(step);
  }
}

export function* cycleResource(context: OrchestrationContext, input: CycleResourceInput): Generator<Task, ResourceOutcome, unknown> {
  const entry = input.entry;
  const startedAt = nowIso(context);
  const actions: string[] = [];
  const notes: string[] = [];
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
  const restoring = tracks.find((t) => t.restore);
  let state = entry.stateBefore ?? "unknown";
  /**
   * A VM's state as last seen, handed to the next step's send so that it need not read first: what the poll that
   * saw the previous step end read. Never the plan's listing: the first write reads and compares with the plan
   * (`expectedOf`), since an owner, a schedule or the platform may have acted since.
   */
  let known: PowerState | undefined;
  let failure: StepFailure | undefined;
  try {
    cycle: for (const [t, track] of tracks.entries()) {
      for (const [s, step] of track.steps.entries()) {
        const last = t === tracks.length - 1 && s === track.steps.length - 1;
        const label = track.instanceIds !== undefined && tracks.length > 1 ? `${step}(${track.instanceIds.length})` : step;
        const expected = t === 0 && s === 0 ? expectedOf(entry, track) : undefined;
        const vouchedByNext = entry.kind === "vm" && step === "powerOff" && track.steps[s + 1] === "deallocate";
        const r: StepResult = yield* attemptStep(context, input, track, step, { confirm: last, vouchedByNext }, state, actions, known, expected);
        if (r.ok) {
          if (r.performed) actions.push(label);
          state = r.state;
          known = entry.kind === "vm" && isStable(r.state) ? r.state : undefined;
          continue;
        }
        known = undefined;
        if (r.performed === true) actions.push(label);
        if (r.outcome === "failed" && step === "start" && track.restore && r.reasonCode === "resourceLocked") {
          // The start itself is what a lock refuses: retrying it cannot succeed while the lock stands.
          const ids = track.instanceIds;
          return leftDownOutcome(r, leftDownOf(entry, { reason: r.message, ...(r.errorCode !== undefined ? { code: r.errorCode } : {}), state: r.state, ...(ids !== undefined ? { ids } : {}) }, 0));
        }
        if (r.outcome === "failed" && step === "start" && track.restore) {
          // The machines are deallocated (or settling): bringing them back is this very start, retried with backoff.
          const back = yield* restore(context, input, track.instanceIds, r, true);
          actions.push(...Array.from({ length: back.attempts }, () => label));
          if (back.ok) {
            notes.push(`${step} first failed (${r.errorCode ?? r.reasonCode}: ${r.message}); retried and running after ${back.attempts} more attempt(s)`);
            state = "running";
            continue;
          }
          if (back.gone === true) {
            return { ...common, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared while being started again`, actions, stateAfter: "absent", endedAt: nowIso(context) };
          }
          return leftDownOutcome(r, back.leftDown);
        }
        failure = r;
        break cycle;
      }
    }
  } catch (e) {
    // An activity kept throwing after its retries (ARM unreachable, a bug): report, never abort the run.
    failure = { ok: false, outcome: "failed", reasonCode: "unexpected", message: ensureError(e).message.slice(0, 2000), state };
  }

  if (failure !== undefined && ((failure.changedFrom !== undefined && actions.length === 0) || (failure.reasonCode === "disappeared" && entry.spot === true))) {
    // Someone else acted since the plan and nothing was sent: their choice stands, with who and when where readable.
    const other = yield* whoChanged(context, entry, failure);
    return {
      ...common,
      outcome: "skipped",
      reasonCode: other.reasonCode,
      message: other.message,
      ...(failure.errorCode !== undefined ? { errorCode: failure.errorCode } : {}),
      actions,
      stateAfter: failure.state,
      endedAt: nowIso(context),
      ...(detail !== undefined ? { detail } : {}),
    };
  }

  if (failure === undefined) {
    return {
      ...common,
      outcome: "cycled",
      ...(entry.targetState === "stopped" ? { message: "restored to stopped" } : notes.length > 0 ? { message: notes.join("; ") } : {}),
      actions,
      stateAfter: state,
      endedAt: nowIso(context),
      ...(detail !== undefined ? { detail } : {}),
    };
  }
  // Refused by a lock or a policy before the run changed anything: the owner's answer, as the plan would have given.
  const failed: StepFailure =
    actions.length === 0 && (failure.reasonCode === "resourceLocked" || failure.reasonCode === "deniedByPolicy")
      ? { ...failure, outcome: "skipped", message: `${failure.message}; nothing was changed. ${failure.reasonCode === "resourceLocked" ? `${lockManualAction(failure.message, `powering ${entry.name} off or deallocating it`)} run again for this resource` : "ask the policy's owner for an exemption, then run again for this resource"}` }
      : failure;
  const base = {
    ...common,
    outcome: failed.outcome,
    reasonCode: failed.reasonCode,
    ...(failed.errorCode !== undefined ? { errorCode: failed.errorCode } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
  // The compensation starts only what this run took down: a step refused before anything was performed leaves the
  // machine as it is (someone else may have stopped it meanwhile). An activity that kept throwing may have sent.
  const tookDown = actions.length > 0 || failed.performed === true || failed.reasonCode === "unexpected";
  if (failed.outcome === "failed" && restoring !== undefined && tookDown) {
    // The saga's compensation: whatever failed, what was running before the run is brought back up.
    const back = yield* restore(context, input, restoring.instanceIds, failed, false);
    actions.push(...Array.from({ length: back.attempts }, () => "start"));
    if (!back.ok && back.gone !== true) return leftDownOutcome(failed, back.leftDown);
    if (back.ok && back.wasDown) {
      return {
        ...base,
        message: `${failed.message}; restored: started again and running (the cycle did not complete: run it again for this resource)`,
        actions,
        stateAfter: "running",
        restored: true,
        endedAt: nowIso(context),
      };
    }
  }
  return { ...base, message: failed.message, actions, stateAfter: failed.state, endedAt: nowIso(context) };

  function leftDownOutcome(cause: StepFailure, leftDown: LeftDown): ResourceOutcome {
    return {
      ...common,
      outcome: "failed",
      reasonCode: cause.reasonCode,
      message:
        `LEFT DOWN (${leftDown.state}): ${cause.message}; not brought back within ${input.restoreTimeoutMinutes} min (${leftDown.attempts} attempt(s))` +
        (leftDown.reason === cause.message ? "" : `; last: ${leftDown.reason}`).slice(0, 2000),
      ...(cause.errorCode !== undefined || leftDown.errorCode !== undefined ? { errorCode: leftDown.errorCode ?? cause.errorCode } : {}),
      actions,
      stateAfter: leftDown.state,
      leftDown,
      endedAt: nowIso(context),
      ...(detail !== undefined ? { detail } : {}),
    };
  }
}

/** The state a resource's first write expects: the plan's, for a VM; running or stopped instances, for a scale set. */
function expectedOf(entry: PlanEntry, track: Track): PowerState | undefined {
  if (entry.kind === "scaleSet") return track.restore ? "running" : "stopped";
  return isStable(entry.stateBefore) ? entry.stateBefore : undefined;
}

/** The operations that explain a change to a state: what to look for in the Activity Log. */
function operationsTowards(state: string): readonly PowerEvent["operation"][] {
  if (state === "absent") return ["delete", "evictSpotVM"];
  if (state.includes("deallocat")) return ["deallocate", "evictSpotVM"];
  if (state.includes("stop")) return ["powerOff"];
  if (state.includes("start") || state.includes("running")) return ["start"];
  return ["powerOff", "deallocate", "start", "delete", "evictSpotVM"];
}

/** How far back the Activity Log is searched for who changed a resource (the log keeps 90 days). */
const WHO_CHANGED_WINDOW_SECONDS = 2 * 86_400;

/**
 * Names who changed a resource and when, from its Activity Log events (Microsoft.Insights; `caller`), and tells a
 * spot VM the platform evicted (`evictSpotVM`, the operation public Activity Log captures show for an eviction) from
 * one its owner deallocated or deleted. The log lags its events by minutes: a change just made may not be there
 * yet, and the message says so. A spot VM found deallocated or gone with no owner's event is taken as evicted.
 */
function* whoChanged(
  context: OrchestrationContext,
  entry: PlanEntry,
  change: StepFailure,
): Generator<Task, { reasonCode: ReasonCode; message: string }, unknown> {
  const to = nowIso(context);
  const from = addSeconds(context.df.currentUtcDateTime, -WHO_CHANGED_WINDOW_SECONDS).toISOString();
  const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(entry.resourceId)?.[1] ?? "";
  let event: PowerEvent | undefined;
  let unreadable: string | undefined;
  try {
    const read = yield* callActivity(context, readPowerEventsActivity, { subscriptionId, from, to, resourceId: entry.resourceId }, transientRetry());
    if (read.status === "ok") {
      const wanted = operationsTowards(change.state);
      event = [...read.events].reverse().find((e) => wanted.includes(e.operation));
    } else unreadable = `${read.code}: ${read.message}`;
  } catch (e) {
    unreadable = ensureError(e).message.slice(0, 300);
  }
  const gone = change.state === "absent";
  const downState = gone || change.state.includes("deallocat");
  const evicted = entry.spot === true && downState && (event === undefined || event.operation === "evictSpotVM");
  const who =
    event !== undefined
      ? `; the Activity Log shows ${event.operation} by ${event.caller ?? "an unnamed caller"} at ${event.at}`
      : unreadable !== undefined
        ? `; the Activity Log could not be read (${unreadable})`
        : "; the Activity Log does not show who yet (it lags by minutes)";
  if (evicted) {
    return {
      reasonCode: "evicted",
      message: `${entry.name} is a spot VM ${gone ? "deleted" : `found ${change.state}`} since the plan: evicted by the platform${event === undefined ? " (no owner's action in the Activity Log)" : ""}; left as Azure left it, not started${who}`,
    };
  }
  if (gone) return { reasonCode: "disappeared", message: `${entry.name} was deleted during the run${who}` };
  return { reasonCode: "changedByOther", message: `${change.message}${who}` };
}

registerOrchestration(cycleResourceOrchestration, cycleResource);
