/**
 * Sending one power step of a resource's cycle (orchestrations/cycleResource.ts): the send itself, waited out through
 * throttling and conflicts until the step's deadline, and what a refusal or a change by someone else means. The
 * result is either how the step ended (nothing left to watch) or what to watch (orchestrations/cycleStep.ts).
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity } from "./toolkit/calls";
import type { CycleResourceInput } from "../src/contracts/durable/cycleResource";
import {
  beginPowerOperationActivity,
  type BeginPowerOperationResult,
} from "../src/contracts/durable/beginPowerOperation";
import { readPowerStateActivity } from "../src/contracts/durable/readPowerState";
import type { ArmFailure, CycleKind } from "../src/contracts/durable/common";
import type { OperationHandle } from "../src/contracts/azure";
import type { PlanEntry, PowerStep } from "../src/contracts/plan";
import { governanceReason, type ReasonCode } from "../src/contracts/outcome";
import type { PowerState } from "../src/contracts/power";
import { busyWaitSeconds, nowIso, sleep, transientRetry } from "./shared";
import type { Pause } from "./toolkit/monitor";

/**
 * Seconds until the first read of a step, and between later reads. The first read comes when nearly every step of
 * its kind is done — its usual duration (power off ~30 s, deallocate and start ~60 s) and the fifth more by which
 * one often runs long — so that one read per step is the rule rather than two or three; the rare step still
 * running then is read every tenth of its usual duration (at least 5 s).
 */
const FIRST_POLL: Readonly<Record<PowerStep, number>> = { powerOff: 36, deallocate: 72, start: 72 };
export const NEXT_POLL: Readonly<Record<PowerStep, number>> = { powerOff: 5, deallocate: 6, start: 6 };

/** How a step ended: reached its target, or failed or was skipped, with the reason. */
export type StepResult =
  | {
      ok: true;
      performed: boolean;
      state: string;
      /** The next step, already sent by the poll that saw this one end (observePowerState's `thenSend`). */
      next?: BeginPowerOperationResult;
      /** The state is the shared listing's, up to its freshness window old: no write may act on it without a read. */
      listed?: boolean;
    }
  | {
      ok: false;
      outcome: "failed" | "skipped";
      reasonCode: ReasonCode;
      message: string;
      errorCode?: string | undefined;
      state: string;
      performed?: boolean | undefined;
      /** Someone else changed the resource since the plan (or deleted it): from the plan's state to this one. */
      changedFrom?: string | undefined;
      /** ARM's Retry-After on a throttled step: never sent again sooner. */
      retryAfterSeconds?: number | undefined;
    };
export type StepFailure = Extract<StepResult, { ok: false }>;

/** Someone else moved the resource between the plan and this step: skipped, left as they chose, nothing sent. */
function changedByOther(
  which: string,
  from: string,
  now: string,
  refused?: { refusal: string; errorCode: string },
): StepFailure {
  const why = refused === undefined ? "" : ` (${refused.refusal})`;
  return {
    ok: false,
    outcome: "skipped",
    reasonCode: "changedByOther",
    message: `${which} was ${from} when planned and is ${now} now: someone else changed it since the plan${why}; nothing was sent`,
    errorCode: refused?.errorCode,
    state: now,
    changedFrom: from,
  };
}

/** The resource was deleted during the run (ARM answered 404, or a read found it gone): skipped, nothing to bring back. */
export function disappeared(
  name: string,
  detail: { errorCode?: string | undefined; changedFrom?: string | undefined } = {},
): StepFailure {
  return {
    ok: false,
    outcome: "skipped",
    reasonCode: "disappeared",
    message: `${name} disappeared during the run`,
    errorCode: detail.errorCode,
    state: "absent",
    changedFrom: detail.changedFrom,
  };
}

/** ARM refused a start for want of capacity: the size is not available now in the zone or region. */
export function isAllocationCode(code: string | undefined): boolean {
  return code !== undefined && /allocation|overconstrained|skunotavailable|capacity/i.test(code);
}

/** One group of instances (or the VM itself) and the steps it goes through. */
export interface Track {
  instanceIds?: string[] | undefined;
  steps: PowerStep[];
  /** The machines were running before the run: once taken down, they must be brought back up. */
  restore: boolean;
}

/** A power state no transition is under way in. */
export function isStable(state: string | undefined): state is "running" | "stopped" | "deallocated" {
  return state === "running" || state === "stopped" || state === "deallocated";
}

/** The reason code of a failed step: capacity for a start, a lock or a policy, else the fallback. */
export function failureReason(step: PowerStep, f: ArmFailure | { code: string }, fallback: ReasonCode): ReasonCode {
  if (step === "start" && isAllocationCode(f.code)) return "allocationFailed";
  return governanceReason(f.code) ?? fallback;
}

/** What a step sent is watched through: its operation (unless done at once), its instances, the first wait. */
interface Monitor {
  handle?: OperationHandle | undefined;
  instanceIds?: string[] | undefined;
  firstWait: number;
}

/** What a step's send is told. */
interface SendOptions {
  input: CycleResourceInput;
  kind: CycleKind;
  track: Track;
  step: PowerStep;
  /** The state the step starts from, as last seen. */
  lastState: string;
  /** The step's deadline has passed: throttling and conflicts are no longer waited out. */
  pastDeadline: () => boolean;
  /** The state the last poll just saw, so the send need not read first. */
  knownState: PowerState | undefined;
  /** The state the plan expects (the resource's first write): anything else was changed by someone else. */
  expected: PowerState | undefined;
  /** The first send's answer, when the poll that saw the previous step end already sent this one. */
  sent?: BeginPowerOperationResult | undefined;
  /** How the waits between sends are taken (the restore's own, which counts a late timer as time away). */
  pause?: Pause | undefined;
}

/** Sends the step (retrying throttling and conflicts); a StepResult when nothing is left to monitor. */
export function* beginStep(
  context: OrchestrationContext,
  options: SendOptions,
): Generator<Task, StepResult | Monitor, unknown> {
  const { input, kind, track, step, lastState, pastDeadline, knownState, expected, sent, pause } = options;
  const wait: Pause = pause ?? ((seconds) => sleep(context, seconds));
  const entry = input.entry;
  let trusted = knownState;
  // Every attempt of a first write is recorded under its first attempt's time: an attempt whose answer was lost may
  // have sent it, though its re-run answered otherwise (activities/beginPowerOperation.ts, `sentKey`).
  const firstAt = nowIso(context);
  function* send(state: PowerState | undefined): Generator<Task, BeginPowerOperationResult, unknown> {
    // The resource's first write always reads, against the plan's state (someone else may have acted since the plan);
    // later steps may send on the state the last poll just saw, until a conflict says it was wrong (throttling does not).
    const at = nowIso(context);
    const known =
      expected !== undefined
        ? { expectedState: expected, requestedAt: at, ...(at === firstAt ? {} : { firstRequestedAt: firstAt }) }
        : kind === "vm" && state !== undefined
          ? { knownState: state, requestedAt: at }
          : {};
    return yield* callActivity(
      context,
      beginPowerOperationActivity,
      { resourceId: entry.resourceId, kind, step, instanceIds: track.instanceIds, ...known },
      transientRetry(),
    );
  }
  for (let attempt = 1; ; attempt++) {
    const begun = attempt === 1 && sent !== undefined ? sent : yield* send(trusted);
    switch (begun.status) {
      case "changed": {
        const which =
          begun.instanceIds !== undefined ? `instance(s) ${begun.instanceIds.join(", ")} of ${entry.name}` : entry.name;
        return changedByOther(which, expected ?? lastState, begun.state);
      }
      case "alreadyDone":
        return { ok: true, performed: false, state: begun.state };
      case "inTransition":
        // Already under way (a re-run after a lost completion): watch the state, there is no operation to poll.
        return { instanceIds: track.instanceIds, firstWait: Math.max(NEXT_POLL[step], begun.paceSeconds ?? 0) };
      case "started": {
        const ids = begun.instanceIds ?? track.instanceIds;
        return {
          ...(begun.handle.completed ? {} : { handle: begun.handle }),
          instanceIds: ids,
          // ARM's Retry-After and the pace its rate-limit headers ask for (pacing.ts) only ever lengthen the wait.
          firstWait: begun.handle.completed
            ? (begun.paceSeconds ?? 0)
            : Math.max(FIRST_POLL[step], begun.handle.retryAfterSeconds ?? 0, begun.paceSeconds ?? 0),
        };
      }
      case "notFound":
        return disappeared(entry.name, { errorCode: begun.code, changedFrom: expected ?? lastState });
      case "failed":
        if (step === "powerOff" && begun.code.toLowerCase() === "operationnotallowed") {
          // Azure refuses powerOff of a VM deallocated or being deallocated (docs/architecture.md, "Azure's answers"): someone deallocated it
          // between our read and our request. Read again, and leave it as they chose.
          const raced = yield* readAfterRefusal(context, entry, kind, track.instanceIds);
          if (raced === "gone") return disappeared(entry.name, { changedFrom: expected ?? lastState });
          if (raced !== undefined && (raced.includes("deallocat") || (expected !== undefined && raced !== expected))) {
            return changedByOther(entry.name, expected ?? lastState, raced, {
              refusal: `Azure refused powerOff: ${begun.message}`,
              errorCode: begun.code,
            });
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
            retryAfterSeconds: begun.retryAfterSeconds,
          };
        }
        yield* wait(busyWaitSeconds(attempt, begun.retryAfterSeconds, `${context.df.instanceId}:${step}:begin`));
    }
  }
}

/** The state read after a refusal: a VM's power state, the named instances' states, "gone", or undefined when unreadable. */
export function* readAfterRefusal(
  context: OrchestrationContext,
  entry: PlanEntry,
  kind: CycleKind,
  instanceIds: string[] | undefined,
): Generator<Task, string | undefined, unknown> {
  const read = yield* callActivity(
    context,
    readPowerStateActivity,
    { resourceId: entry.resourceId, kind, instanceIds, readStateWhenDone: true },
    transientRetry(),
  );
  if (read.status === "notFound") return "gone";
  if (read.status !== "ok" || read.resource === undefined) return undefined;
  if (!read.resource.exists) return "gone";
  if (kind === "vm") return read.resource.powerState;
  const states = [...new Set((read.resource.instances ?? []).map((i) => i.powerState))];
  return states.join("/");
}
