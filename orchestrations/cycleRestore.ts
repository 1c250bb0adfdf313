/**
 * The compensation of a resource's cycle (the saga's one compensating step, orchestrations/cycleResource.ts): what the
 * run took down is brought back up within restoreTimeoutMinutes, or reported left down with the reason and the
 * manual action.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity } from "./toolkit/calls";
import type { CycleResourceInput } from "../src/contracts/durable/cycleResource";
import { readPowerStateActivity } from "../src/contracts/durable/readPowerState";
import type { CycleKind } from "../src/contracts/durable/common";
import type { PlanEntry } from "../src/contracts/plan";
import { governanceReason, lockManualAction, type LeftDown } from "../src/contracts/outcome";
import { TRANSITIONAL_POWER_STATES } from "../src/contracts/power";
import { LONGEST_DOCUMENTED_RETRY_AFTER_SECONDS } from "../src/contracts/azure";
import { busyWaitSeconds, transientRetry } from "./shared";
import { awayClock } from "./toolkit/monitor";
import { isAllocationCode } from "./cycleSend";
import { runStep } from "./cycleStep";
import { clip, clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

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
/**
 * What one read of the restore may take before the rest counts as time the host was away: the activity's retries
 * (transientRetry: 5 + 10 + 20 s between four attempts) and the SDK's own retries of each request, well within it.
 */
const READ_ALLOWANCE_SECONDS = 5 * 60;

/** What an operator should do about a machine the run could not bring back, from ARM's code and its state. */
function manualActionFor(
  entry: PlanEntry,
  code: string | undefined,
  state: string,
  instanceIds: readonly string[] | undefined,
  message?: string,
): string {
  const target =
    entry.kind === "scaleSet" ? `instances ${(instanceIds ?? []).join(", ")} of ${entry.name}` : entry.name;
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

/** How the compensation ended: running again, the resource gone, or left down. */
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
export function* restore(
  context: OrchestrationContext,
  input: CycleResourceInput,
  instanceIds: string[] | undefined,
  cause: { message: string; errorCode?: string | undefined; state: string },
  waitFirst: boolean,
): Generator<Task, RestoreResult, unknown> {
  const entry = input.entry;
  const kind: CycleKind = entry.kind === "scaleSet" ? "scaleSet" : "vm";
  /**
   * The deadlines count only the time the restore could act (awayClock: a timer that fired late because the host was
   * stopped moves them back), so a host back after the deadline still makes the attempts that were left, instead of
   * one start and a VM left down.
   */
  const clock = awayClock(context);
  const deadline = clock.deadline(input.restoreTimeoutMinutes * 60);
  const throttledDeadline = clock.deadline(Math.max(input.restoreTimeoutMinutes * 60, RESTORE_THROTTLED_FLOOR_SECONDS));
  /** The last obstacle was throttling: the restore then runs to throttledDeadline. */
  let throttled = false;
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const remaining = (): number => (throttled ? throttledDeadline : deadline).left();
  const pause = clock.pause;
  let attempts = 0;
  let wasDown = false;
  let backoff = RESTORE_FIRST_WAIT_SECONDS;
  let busy = 0;
  let last: { reason: string; code?: string | undefined; state: string; ids?: string[] | undefined } = {
    reason: cause.message,
    code: cause.errorCode,
    state: cause.state,
    ids: instanceIds,
  };
  if (waitFirst) {
    // Right after a refused start (AllocationFailed above all) an immediate retry meets the same answer.
    yield* pause(Math.min(backoff, Math.max(1, remaining())));
    backoff = Math.min(backoff * 2, RESTORE_MAX_WAIT_SECONDS);
  }
  for (;;) {
    let wait = backoff;
    try {
      const readAt = now();
      const read = yield* callActivity(
        context,
        readPowerStateActivity,
        { resourceId: entry.resourceId, kind, instanceIds, readStateWhenDone: true },
        transientRetry(),
      );
      // A read that outlasted any retry of its own was run again after the host came back.
      clock.addAway((now() - readAt) / 1000 - READ_ALLOWANCE_SECONDS);
      if (read.status === "notFound" || (read.status === "ok" && read.resource?.exists === false))
        return { ok: false, attempts, gone: true };
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
          last = { reason: `${last.reason}; still ${state}`, code: last.code, state, ids };
          wait = RESTORE_SETTLE_POLL_SECONDS;
        } else {
          attempts++;
          const minutes = Math.max(1, Math.min(input.transitionTimeoutMinutes, Math.ceil(remaining() / 60)));
          const r = yield* runStep(context, {
            input: { ...input, transitionTimeoutMinutes: minutes },
            track: { instanceIds: ids, steps: ["start"], restore: true },
            step: "start",
            watch: { confirm: true, vouchedByNext: false },
            lastState: state,
            pause,
          });
          if (r.ok) continue; // read again: every machine must be seen running
          if (r.reasonCode === "disappeared") return { ok: false, attempts, gone: true };
          last = { reason: r.message, code: r.errorCode, state: r.state, ids };
          // A management lock stays until its owner removes it: left down now, with the lock in the manual action.
          if (r.reasonCode === "resourceLocked")
            return { ok: false, attempts, leftDown: leftDownOf(entry, last, attempts) };
          throttled = r.reasonCode === "throttled";
          // Never sooner than ARM's Retry-After: a throttled start is sent again only once the wait it asked for is over.
          wait = Math.max(
            backoff,
            r.retryAfterSeconds !== undefined
              ? busyWaitSeconds(1, r.retryAfterSeconds, `${context.df.instanceId}:restore`)
              : 0,
          );
          backoff = Math.min(backoff * 2, RESTORE_MAX_WAIT_SECONDS);
        }
      } else if (read.status !== "ok") {
        busy++;
        throttled = read.status === "throttled";
        last = { ...last, reason: `reading ${entry.name} failed (${read.code}: ${read.message})` };
        wait =
          read.status === "throttled" || read.status === "conflict"
            ? busyWaitSeconds(busy, read.retryAfterSeconds, `${context.df.instanceId}:restore`)
            : backoff;
      }
    } catch (e) {
      // ARM unreachable even after the activity's retries: keep trying until the deadline.
      last = { ...last, reason: `reading or starting ${entry.name} failed: ${clippedMessage(e, TEXT_LIMITS.detail)}` };
    }
    if (remaining() < wait) return { ok: false, attempts, leftDown: leftDownOf(entry, last, attempts) };
    yield* pause(wait);
  }
}

/** What the restore reports of machines it could not bring back: the last reason, state and the manual action. */
export function leftDownOf(
  entry: PlanEntry,
  last: { reason: string; code?: string | undefined; state: string; ids?: string[] | undefined },
  attempts: number,
): LeftDown {
  return {
    reason: clip(last.reason, TEXT_LIMITS.message),
    errorCode: last.code,
    state: last.state,
    manualAction: manualActionFor(entry, last.code, last.state, last.ids, last.reason),
    instanceIds: last.ids,
    attempts,
  };
}
