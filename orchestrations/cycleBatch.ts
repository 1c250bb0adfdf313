/**
 * Cycles one lane of a wave (about batchSize resources at most; see lanes.ts) within its share of the global cap,
 * as a sub-orchestration so that no history grows with the fleet. With a share of 1 the lane is serial.
 *
 * Scheduling runs in rounds: scheduleNext picks what may start under the caps, those start together (one
 * cycleResource instance each) and the round ends when all have finished. Members of the groups that need the
 * most rounds go first, so the batch takes about ceil(N / cap) cycle times. Rounds — rather than starting the
 * next resource the moment any one finishes — because re-yielding in-flight tasks inside a new Task.any makes
 * the Durable extension schedule them again (azure-functions-durable-js#574); every compound task here is built
 * from fresh tasks only.
 *
 * Cancel: the event "cancel" (raised by the cancel endpoint to this instance, listed in the parent's custom
 * status) stops new rounds; the round in flight finishes, so a VM already powered off is started again, and the
 * resources that never started are reported skipped "cancelled".
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { parseWith } from "../src/contracts/parse";
import { registerOrchestration, subOrchestrationTask } from "../src/contracts/durable";
import { cycleBatchOrchestration, type CycleBatchInput, type CycleBatchOutput } from "../src/contracts/functions/cycleBatch";
import { cycleResourceOrchestration } from "../src/contracts/functions/cycleResource";
import { CANCEL_EVENT } from "../src/contracts/names";
import { resourceKey } from "../src/contracts/ids";
import type { Caps, PlanEntry } from "../src/contracts/plan";
import { ResourceOutcomeSchema, type ResourceOutcome } from "../src/contracts/outcome";
import { scheduleNext } from "../src/domain/scheduler";
import { ensureError } from "../src/errors";
import { nowIso, outcomeBase, skippedOutcome } from "./shared";

/** Plan order, except that members of the groups needing the most rounds come first (the critical path). */
export function orderForCaps(entries: readonly PlanEntry[], caps: Caps): PlanEntry[] {
  const size = new Map<string, number>();
  const keyOf = (e: PlanEntry): { key: string; cap: number } | undefined =>
    e.availabilitySetId !== undefined
      ? { key: `as:${resourceKey(e.availabilitySetId)}`, cap: caps.maxUnavailablePerAvailabilitySet }
      : e.flexScaleSetId !== undefined
        ? { key: `fx:${resourceKey(e.flexScaleSetId)}`, cap: caps.maxUnavailablePerScaleSet }
        : undefined;
  for (const e of entries) {
    const k = keyOf(e);
    if (k !== undefined) size.set(k.key, (size.get(k.key) ?? 0) + 1);
  }
  const rounds = (e: PlanEntry): number => {
    const k = keyOf(e);
    return k === undefined ? 1 : Math.ceil((size.get(k.key) ?? 1) / k.cap);
  };
  return entries
    .map((e, i) => ({ e, i, r: rounds(e) }))
    .sort((a, b) => b.r - a.r || a.i - b.i)
    .map((x) => x.e);
}

function schedItem(e: PlanEntry): { id: string; availabilitySetId?: string; flexScaleSetId?: string } {
  return {
    id: e.resourceId,
    ...(e.availabilitySetId !== undefined ? { availabilitySetId: e.availabilitySetId } : {}),
    ...(e.flexScaleSetId !== undefined ? { flexScaleSetId: e.flexScaleSetId } : {}),
  };
}

export function* cycleBatch(context: OrchestrationContext, input: CycleBatchInput): Generator<Task, CycleBatchOutput, unknown> {
  const indexOf = new Map(input.entries.map((e, i) => [resourceKey(e.resourceId), i] as const));
  let pending = orderForCaps(input.entries, input.caps);
  const outcomes: ResourceOutcome[] = [];
  let cancelled = false;
  // One waiter for the whole batch: whenever the event arrives, this task records it (see remediateSubscription).
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);
  const status = (): void => context.df.setCustomStatus({ batchId: input.batchId, total: input.entries.length, done: outcomes.length, cancelRequested: cancelled });
  status();

  while (pending.length > 0 && !(cancelled ||= cancel.isCompleted)) {
    const picked = new Set(scheduleNext(pending.map(schedItem), [], input.caps).map((s) => resourceKey(s.id)));
    // scheduleNext always admits at least one item when nothing is in flight; guard anyway against a stall.
    const round = picked.size > 0 ? pending.filter((e) => picked.has(resourceKey(e.resourceId))) : pending.slice(0, 1);
    const chosen = new Set(round.map((e) => resourceKey(e.resourceId)));
    pending = pending.filter((e) => !chosen.has(resourceKey(e.resourceId)));

    const tasks = round.map((entry) =>
      subOrchestrationTask(
        context,
        cycleResourceOrchestration,
        { entry, transitionTimeoutMinutes: input.transitionTimeoutMinutes, restoreStoppedVms: input.restoreStoppedVms, wave: input.wave },
        `${context.df.instanceId}:${indexOf.get(resourceKey(entry.resourceId)) ?? 0}`,
      ),
    );
    yield context.df.Task.any([context.df.Task.all(tasks), cancel]);
    cancelled ||= cancel.isCompleted;

    for (const [i, task] of tasks.entries()) {
      const entry = round[i];
      if (entry === undefined) continue;
      try {
        // Already-scheduled tasks are re-yielded alone: that adds no action, it only waits.
        const raw: unknown = task.isCompleted || task.isFaulted ? task.result : yield task;
        if (task.isFaulted) throw ensureError(raw);
        outcomes.push(parseWith(ResourceOutcomeSchema, raw, "output of cycleResource"));
      } catch (e) {
        outcomes.push({
          ...outcomeBase(entry),
          outcome: "failed",
          reasonCode: "unexpected",
          message: ensureError(e).message.slice(0, 2000),
          actions: [],
          wave: input.wave,
          endedAt: nowIso(context),
          ...(entry.canary ? { canary: true } : {}),
        });
      }
    }
    status();
  }

  for (const entry of pending) {
    outcomes.push(skippedOutcome(entry, "cancelled", "the run was cancelled before this resource was started", input.wave));
  }
  status();
  return { outcomes, cancelled };
}

registerOrchestration(cycleBatchOrchestration, cycleBatch);
