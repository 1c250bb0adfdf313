/**
 * Cycles one VM or uniform scale set (run by a chain, orchestrations/cycleChain.ts, inside its own history) through its plan's power steps (power off → deallocate → start for a running VM)
 * with the monitor pattern: begin the step, then durable timers between reads until the step's target state, so no
 * activity ever waits for Azure. Every failure ends as data in the outcome, never thrown.
 *
 * Sending and polling (orchestrations/cycleSend.ts, orchestrations/cycleStep.ts; the loop is orchestrations/toolkit/
 * monitor.ts), timed by what is known of the step: the first read comes near the end of the step's usual duration
 * (later if ARM's Retry-After says so), then every tenth of it. A VM's poll is answered from the subscription's shared
 * status listing when many VMs are in flight (one listing serves every poll of the next few seconds; the next poll
 * waits until it is renewed), else by the VM's own reads: the operation's status while it runs; on the last step the
 * VM's own state, which ends and confirms the cycle in one read. Anything the listing cannot vouch for (missing,
 * failed, no sign of the step) is read on the VM itself, so every failure below is met as before. A VM's power off is
 * not polled when a deallocate follows: ARM deallocates from any power state, and the deallocate's own poll vouches for
 * both. A resource's first write always reads first and compares with the plan: what someone else stopped, deallocated,
 * started, deleted or evicted since is left as they chose, with its own reason (changedByOther, disappeared, evicted)
 * and who and when from the Activity Log. A later step's send skips its state read when the poll before it just saw the
 * state, and goes out in that very poll's activity (observePowerState's `thenSend`): the orchestration then wakes once
 * for both, where a separate send cost one more episode. A happy cycle read on its own then costs the read before the
 * first write, one request per step sent, and one read per step polled: six for power off → deallocate → start, five
 * for deallocate → start; and eight episodes of its own for the first, six for the second.
 *
 * Throttling and conflicts are waited out until the step's deadline (transitionTimeoutMinutes), each wait ARM's
 * Retry-After plus a spread fixed by a hash of the instance and the attempt, so that hundreds of resources throttled
 * together come back spread out rather than all at once.
 *
 * No VM left down (a saga with one compensation, orchestrations/cycleRestore.ts): once the run has taken a running
 * machine down, any failure after that — a step that fails, times out, is refused, or an activity that keeps throwing —
 * is followed by "bring it back up": wait for a transition in flight to settle, then start what is not running,
 * retrying AllocationFailed and other refusals with backoff until the restore deadline (restoreTimeoutMinutes). A
 * failed start that the restore gets through completes the cycle; any other failure stays "failed" with `restored`.
 * What cannot be brought back by the deadline is reported `leftDown`, with the reason and the manual action. A step
 * that failed with a code ARM marks as retryable is first sent again as it is.
 *
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity } from "./toolkit/calls";
import type { CycleResourceInput } from "../src/contracts/durable/cycleResource";
import { readPowerEventsActivity } from "../src/contracts/durable/readPowerEvents";
import type { BeginPowerOperationResult } from "../src/contracts/durable/beginPowerOperation";
import type { PowerEvent } from "../src/contracts/discovery";
import { addSeconds } from "../src/contracts/durable/clock";
import type { PlanEntry } from "../src/contracts/plan";
import { lockManualAction, type LeftDown, type ReasonCode, type ResourceOutcome } from "../src/contracts/outcome";
import type { PowerState } from "../src/contracts/power";
import { nowIso, outcomeBase, transientRetry } from "./shared";
import { isStable, type StepFailure, type StepResult, type Track } from "./cycleSend";
import { attemptStep } from "./cycleStep";
import { leftDownOf, restore } from "./cycleRestore";
import { clip, clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

/** What a resource goes through: a VM its steps; a scale set its running instances, then its stopped ones. */
function tracksOf(entry: PlanEntry, restoreStoppedVms: boolean): Track[] {
  // A running VM is powered off first, or deallocated straight away (runningVmCycle "deallocateStart").
  if (entry.kind === "vm")
    return [{ steps: entry.steps, restore: entry.steps[0] === "powerOff" || entry.stateBefore === "running" }];
  const running = entry.instanceIds ?? [];
  const stopped = entry.stoppedInstanceIds ?? [];
  if (running.length === 0)
    return stopped.length > 0 ? [{ instanceIds: stopped, steps: entry.steps, restore: false }] : [];
  const tracks: Track[] = [{ instanceIds: running, steps: entry.steps, restore: true }];
  if (stopped.length > 0) {
    tracks.push({
      instanceIds: stopped,
      steps: restoreStoppedVms ? ["deallocate", "start", "powerOff"] : ["deallocate"],
      restore: false,
    });
  }
  return tracks;
}

export function* cycleResource(
  context: OrchestrationContext,
  input: CycleResourceInput,
): Generator<Task, ResourceOutcome, unknown> {
  const entry = input.entry;
  const startedAt = nowIso(context);
  const actions: string[] = [];
  const notes: string[] = [];
  const common = {
    ...outcomeBase(entry),
    stateBefore: entry.stateBefore,
    wave: input.wave,
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
  /** The next step's first send, already made by the poll that saw the previous step end. */
  let sent: BeginPowerOperationResult | undefined;
  try {
    cycle: for (const [t, track] of tracks.entries()) {
      for (const [s, step] of track.steps.entries()) {
        const last = t === tracks.length - 1 && s === track.steps.length - 1;
        const label =
          track.instanceIds !== undefined && tracks.length > 1 ? `${step}(${track.instanceIds.length})` : step;
        const expected = t === 0 && s === 0 ? expectedOf(entry, track) : undefined;
        const vouchedByNext = entry.kind === "vm" && step === "powerOff" && track.steps[s + 1] === "deallocate";
        // A VM's next step goes out with the poll that sees this one end: one activity, one wake-up fewer.
        const thenSend = entry.kind === "vm" && !vouchedByNext ? track.steps[s + 1] : undefined;
        const r: StepResult = yield* attemptStep(context, {
          input,
          track,
          step,
          watch: { confirm: last, vouchedByNext },
          lastState: state,
          actions,
          knownState: known,
          expected,
          thenSend,
          sent,
        });
        sent = undefined;
        if (r.ok) {
          if (r.performed) actions.push(label);
          state = r.state;
          // A state from the shared listing may be its freshness window old: the next send reads the VM first.
          known = entry.kind === "vm" && isStable(r.state) && r.listed !== true ? r.state : undefined;
          sent = r.next;
          continue;
        }
        known = undefined;
        if (r.performed === true) actions.push(label);
        if (r.outcome === "failed" && step === "start" && track.restore && r.reasonCode === "resourceLocked") {
          // The start itself is what a lock refuses: retrying it cannot succeed while the lock stands.
          const ids = track.instanceIds;
          return leftDownOutcome(
            r,
            leftDownOf(entry, { reason: r.message, code: r.errorCode, state: r.state, ids }, 0),
          );
        }
        if (r.outcome === "failed" && step === "start" && track.restore) {
          // The machines are deallocated (or settling): bringing them back is this very start, retried with backoff.
          const back = yield* restore(context, input, track.instanceIds, r, true);
          actions.push(...Array.from({ length: back.attempts }, () => label));
          if (back.ok) {
            notes.push(
              `${step} first failed (${r.errorCode ?? r.reasonCode}: ${r.message}); retried and running after ${back.attempts} more attempt(s)`,
            );
            state = "running";
            continue;
          }
          if (back.gone === true) {
            return {
              ...common,
              outcome: "skipped",
              reasonCode: "disappeared",
              message: `${entry.name} disappeared while being started again`,
              actions,
              stateAfter: "absent",
              endedAt: nowIso(context),
            };
          }
          return leftDownOutcome(r, back.leftDown);
        }
        failure = r;
        break cycle;
      }
    }
  } catch (e) {
    // An activity kept throwing after its retries (ARM unreachable, a bug): report, never abort the run.
    failure = {
      ok: false,
      outcome: "failed",
      reasonCode: "unexpected",
      message: clippedMessage(e, TEXT_LIMITS.message),
      state,
    };
  }

  if (
    failure !== undefined &&
    ((failure.changedFrom !== undefined && actions.length === 0) ||
      (failure.reasonCode === "disappeared" && entry.spot === true))
  ) {
    // Someone else acted since the plan and nothing was sent: their choice stands, with who and when where readable.
    const other = yield* whoChanged(context, entry, failure);
    return {
      ...common,
      outcome: "skipped",
      reasonCode: other.reasonCode,
      message: other.message,
      errorCode: failure.errorCode,
      actions,
      stateAfter: failure.state,
      endedAt: nowIso(context),
      detail,
    };
  }

  if (failure === undefined) {
    return {
      ...common,
      outcome: "cycled",
      ...(entry.targetState === "stopped"
        ? { message: "restored to stopped" }
        : notes.length > 0
          ? { message: notes.join("; ") }
          : {}),
      actions,
      stateAfter: state,
      endedAt: nowIso(context),
      detail,
    };
  }
  // Refused by a lock or a policy before the run changed anything: the owner's answer, as the plan would have given.
  const failed: StepFailure =
    actions.length === 0 && (failure.reasonCode === "resourceLocked" || failure.reasonCode === "deniedByPolicy")
      ? {
          ...failure,
          outcome: "skipped",
          message: `${failure.message}; nothing was changed. ${failure.reasonCode === "resourceLocked" ? `${lockManualAction(failure.message, `powering ${entry.name} off or deallocating it`)} run again for this resource` : "ask the policy's owner for an exemption, then run again for this resource"}`,
        }
      : failure;
  const base = {
    ...common,
    outcome: failed.outcome,
    reasonCode: failed.reasonCode,
    errorCode: failed.errorCode,
    detail,
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
      message: clip(
        `LEFT DOWN (${leftDown.state}): ${cause.message}; not brought back within ${input.restoreTimeoutMinutes} min (${leftDown.attempts} attempt(s))` +
          (leftDown.reason === cause.message ? "" : `; last: ${leftDown.reason}`),
        TEXT_LIMITS.message,
      ),
      ...(cause.errorCode !== undefined || leftDown.errorCode !== undefined
        ? { errorCode: leftDown.errorCode ?? cause.errorCode }
        : {}),
      actions,
      stateAfter: leftDown.state,
      leftDown,
      endedAt: nowIso(context),
      detail,
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
    const read = yield* callActivity(
      context,
      readPowerEventsActivity,
      { subscriptionId, from, to, resourceId: entry.resourceId },
      transientRetry(),
    );
    if (read.status === "ok") {
      const wanted = operationsTowards(change.state);
      event = [...read.events].reverse().find((e) => wanted.includes(e.operation));
    } else unreadable = `${read.code}: ${read.message}`;
  } catch (e) {
    unreadable = clippedMessage(e, TEXT_LIMITS.note);
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
