/**
 * Cycles one lane of a wave as the plan dealt it (about batchSize resources at most; see src/domain/lanes.ts) within
 * its share of the global cap, as a sub-orchestration so that no history grows with the fleet. With a share of 1 the
 * lane is serial.
 *
 * Scheduling runs in rounds, and each round's chains (cycleChain instances) start together; the round ends when all
 * have finished. A serial lane's round is its next CHAIN_LENGTH resources in one chain, cycled one after the other
 * (orchestrations/cycleChain.ts). A lane with a larger share is dealt into that many columns (`columnsOf`), each a
 * serial sequence in which an availability set or flexible scale set with a cap of k holds at most k columns; a
 * round is each column's next part, in one chain, so a column goes on to its next resource as soon as its last is
 * done, and a lane takes about as many rounds as its longest column has CHAIN_LENGTHs. By update domain, where a
 * domain goes down together, scheduleNext picks what may start under the caps and each starts in a chain of its
 * own. Members of the groups that need the most rounds go first, so the batch takes about ceil(N / cap) cycle
 * times. A round's chains beyond the lane's part of the run's burst of first writes start one after another at its
 * part of ARM's write bucket refill (`sendPace`, src/domain/sendPace.ts), each waiting its turn on a timer of its
 * own. Rounds — rather than starting the next chain the moment any one finishes — because re-yielding in-flight
 * tasks inside a new Task.any makes the Durable extension schedule them again (azure-functions-durable-js#574);
 * every compound task here is built from fresh tasks only.
 *
 * Cancel: the event "cancel" (raised by the cancel endpoint to this instance, listed in the parent's custom
 * status) stops new rounds, and is handed on to the chains in flight that have resources left to start
 * (relayCancel); the resources in flight finish, so a VM already powered off is started again, and the resources
 * that never started are reported skipped "cancelled".
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { parseWith } from "../src/contracts/parse";
import { callActivity, registerOrchestration, subOrchestrationTask } from "./toolkit/calls";
import {
  cycleBatchOrchestration,
  type CycleBatchInput,
  type CycleBatchOutput,
  type LaneStatus,
} from "../src/contracts/durable/cycleBatch";
import { CHAIN_LENGTH, CycleChainOutput, cycleChainOrchestration } from "../src/contracts/durable/cycleResource";
import { relayCancelActivity } from "../src/contracts/durable/relayCancel";
import { CancelEventSchema } from "../src/contracts/events";
import { CANCEL_EVENT } from "../src/contracts/names";
import { resourceKey } from "../src/contracts/ids";
import type { Caps, PlanEntry } from "../src/contracts/plan";
import type { ResourceOutcome } from "../src/contracts/outcome";
import { availabilitySetRounds, domainKey, scheduleNext, type SchedItem } from "../src/domain/scheduler";
import { cancelledOutcome, nowIso, transientRetry, unexpectedOutcome } from "./shared";
import { FailedGroups } from "./groupFailure";
import { startDelaySeconds } from "../src/domain/sendPace";
import { dealChunks } from "../src/domain/lanes";
import { recordLaneOutcomesActivity } from "../src/contracts/durable/recordLaneOutcomes";
import { tallyOf } from "../src/domain/summarize";
import { withEgress } from "./subscriptionClose";
import { writeAudit } from "./toolkit/auditWrite";
import { ReplayMemo } from "./replayMemo";
import { awaitGroup } from "./toolkit/groupWait";

/** Each finished chain's parsed outcomes, so a replay of a long lane does not parse them all again. */
const outcomeMemo = new ReplayMemo<readonly ResourceOutcome[]>(256);

/**
 * Plan order, except that members of the groups needing the most rounds come first (the critical path) and, by
 * update domain, a set's members of one domain come together (so a domain is not split over rounds).
 */
export function orderForCaps(entries: readonly PlanEntry[], caps: Caps): PlanEntry[] {
  const size = new Map<string, number>();
  const setRounds = availabilitySetRounds(entries.map(schedItem), caps);
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
    if (e.availabilitySetId !== undefined) return setRounds.get(resourceKey(e.availabilitySetId)) ?? 1;
    const k = keyOf(e);
    return k === undefined ? 1 : Math.ceil((size.get(k.key) ?? 1) / k.cap);
  };
  const byDomain = caps.availabilitySetRule === "updateDomain";
  const domainOf = (e: PlanEntry): string =>
    byDomain && e.availabilitySetId !== undefined
      ? `${resourceKey(e.availabilitySetId)}|${domainKey({ id: e.resourceId, updateDomain: e.updateDomain })}`
      : "";
  const firstOfDomain = new Map<string, number>();
  entries.forEach((e, i) => {
    const d = domainOf(e);
    if (!firstOfDomain.has(d)) firstOfDomain.set(d, i);
  });
  const at = (e: PlanEntry, i: number): number => (domainOf(e) === "" ? i : (firstOfDomain.get(domainOf(e)) ?? i));
  return entries
    .map((e, i) => ({ e, i, r: rounds(e), d: at(e, i) }))
    .sort((a, b) => b.r - a.r || a.d - b.d || a.i - b.i)
    .map((x) => x.e);
}

function schedItem(e: PlanEntry): SchedItem {
  return {
    id: e.resourceId,
    availabilitySetId: e.availabilitySetId,
    flexScaleSetId: e.flexScaleSetId,
    updateDomain: e.updateDomain,
  };
}

/** A pending entry with what scheduling needs, built once per replay rather than once per round. */
interface Slot {
  entry: PlanEntry;
  item: SchedItem;
  /** Position in the lane's input: names its cycleResource instance. */
  index: number;
  /** Its column, in a lane that runs as columns (`columnsOf`). */
  column?: number | undefined;
}

/**
 * The chains of the next round: a serial lane's next CHAIN_LENGTH entries in one; a lane dealt into columns, each
 * column's next part (its pending entries spread evenly over the rounds its longest column still needs at
 * CHAIN_LENGTH a chain); else (availability sets by update domain) one chain per entry the caps admit.
 */
function nextRound(pending: readonly Slot[], caps: Caps): Slot[][] {
  // With nothing in flight and a cap of 1, scheduleNext admits exactly the first entry, and then the next.
  if (caps.maxConcurrency <= 1) return [pending.slice(0, CHAIN_LENGTH)];
  if (pending[0]?.column !== undefined) {
    const columns = new Map<number, Slot[]>();
    for (const s of pending) {
      const c = s.column ?? 0;
      const list = columns.get(c);
      if (list === undefined) columns.set(c, [s]);
      else list.push(s);
    }
    const rounds = Math.ceil(Math.max(...[...columns.values()].map((c) => c.length)) / CHAIN_LENGTH);
    return [...columns.entries()].sort(([a], [b]) => a - b).map(([, c]) => c.slice(0, Math.ceil(c.length / rounds)));
  }
  const picked = new Set(
    scheduleNext(
      pending.map((s) => s.item),
      caps,
    ),
  );
  // scheduleNext always admits at least one item when nothing is in flight; guard anyway against a stall.
  const round = picked.size > 0 ? pending.filter((s) => picked.has(s.item)) : pending.slice(0, 1);
  return round.map((s) => [s]);
}

/**
 * A lane with a share of the cap above 1 runs as that many columns (src/domain/lanes.ts dealChunks): each column a
 * serial sequence, an availability set or flexible scale set with a cap of k split over at most k of them, so the
 * caps hold by construction and each column goes on to its next resource as soon as its last one is done — not when
 * the slowest resource of a round of single-resource chains is. Not by update domain: there a set's domain goes
 * down together and the next waits, which the rounds of scheduleNext do. Undefined when the lane runs in rounds.
 */
function columnsOf(entries: readonly PlanEntry[], caps: Caps): Map<PlanEntry, number> | undefined {
  if (caps.maxConcurrency <= 1) return undefined;
  if (caps.availabilitySetRule === "updateDomain" && entries.some((e) => e.availabilitySetId !== undefined))
    return undefined;
  return new Map(
    dealChunks(entries, caps, true, caps.maxConcurrency).flatMap((column, c) => column.map((e) => [e, c] as const)),
  );
}

export function* cycleBatch(
  context: OrchestrationContext,
  input: CycleBatchInput,
): Generator<Task, CycleBatchOutput, unknown> {
  const indexOf = new Map(input.entries.map((e, i) => [e, i] as const));
  const ordered = orderForCaps(input.entries, input.caps);
  const columnOf = columnsOf(ordered, input.caps);
  let pending: Slot[] = ordered.map((entry) => ({
    entry,
    item: schedItem(entry),
    index: indexOf.get(entry) ?? 0,
    column: columnOf?.get(entry),
  }));
  const outcomes: ResourceOutcome[] = [];
  let cancelled = false;
  /** The chains in flight with more than one resource: each counts its finished resources in its own status. */
  let activeChains: string[] = [];
  const memoScope = input.replayScope !== undefined ? `${input.replayScope}|${context.df.instanceId}` : undefined;
  // One waiter for the whole batch: whenever the event arrives, this task records it (see remediateSubscription).
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);
  const status = (): void => {
    const counts: NonNullable<LaneStatus["counts"]> = { cycled: 0, skipped: 0, failed: 0, leftDown: 0 };
    for (const o of outcomes) {
      counts[o.outcome]++;
      if (o.leftDown !== undefined) counts.leftDown++;
    }
    const s: LaneStatus = {
      batchId: input.batchId,
      total: input.entries.length,
      done: outcomes.length,
      counts,
      cancelRequested: cancelled,
      ...(activeChains.length > 0 ? { activeChains } : {}),
    };
    context.df.setCustomStatus(s);
  };
  status();

  while (pending.length > 0 && !(cancelled ||= cancel.isCompleted)) {
    const round = nextRound(pending, input.caps);
    const chosen = new Set(round.flat());
    pending = pending.filter((s) => !chosen.has(s));

    const ids = round.map((chain) => `${context.df.instanceId}:${chain[0]?.index ?? 0}`);
    // The round's first writes spread over ARM's write bucket: the first chains start at once, the rest at the pace.
    const delays = round.map((_, c) => (input.sendPace === undefined ? 0 : startDelaySeconds(c, input.sendPace)));
    const tasks = round.map((chain, c) =>
      subOrchestrationTask(
        context,
        cycleChainOrchestration,
        {
          entries: chain.map((s) => s.entry),
          ...((delays[c] ?? 0) > 0 ? { startAfterSeconds: delays[c] } : {}),
          transitionTimeoutMinutes: input.transitionTimeoutMinutes,
          restoreStoppedVms: input.restoreStoppedVms,
          wave: input.wave,
          restoreTimeoutMinutes: input.restoreTimeoutMinutes,
          ...(input.subscriptionVms !== undefined ? { subscriptionVms: input.subscriptionVms } : {}),
        },
        ids[c],
      ),
    );
    const before = outcomes.length;
    // A chain waiting to start is listed too: a cancel relayed to it skips its resource.
    activeChains = ids.filter((_, c) => (round[c]?.length ?? 0) > 1 || (delays[c] ?? 0) > 0);
    status();
    // The round is waited on as a group (toolkit/groupWait.ts): the first wait schedules them all and wakes on the
    // first to finish (or a cancel), then each is taken alone, in order, and counted in the lane's status as it is
    // taken (a chain in flight counts its own finished resources, `activeChains`), so progress moves per resource,
    // not per round; no task is ever scheduled twice.
    yield* awaitGroup(context, tasks, [cancel], {
      heard: function* () {
        // A cancel heard while chains run: those with resources left to start are told, so that they start none.
        cancelled = true;
        status();
        const told = activeChains.filter((id) => {
          const task = tasks[ids.indexOf(id)];
          return task !== undefined && !task.isCompleted && !task.isFaulted;
        });
        if (told.length === 0) return;
        // The canceller's event as it came, when it reads as one (the chains only need to hear it).
        const event = CancelEventSchema.safeParse(cancel.result);
        const relay = { instanceIds: told, ...(event.success ? { event: event.data } : {}) };
        try {
          yield* callActivity(context, relayCancelActivity, relay, transientRetry());
        } catch {
          // Not told, a chain cycles its remaining resources to the end: each still ends as it was, or running.
        }
      },
      done: (raw, c) => {
        const chain = round[c];
        if (chain === undefined) return;
        const parse = (): readonly ResourceOutcome[] =>
          parseWith(CycleChainOutput, raw, "output of cycleChain").outcomes;
        const key = String(chain[0]?.index ?? 0);
        outcomes.push(...(memoScope === undefined ? parse() : outcomeMemo.get(memoScope, key, parse)));
      },
      failed: (e, c) => {
        for (const { entry } of round[c] ?? [])
          outcomes.push(unexpectedOutcome(entry, e, { wave: input.wave, endedAt: nowIso(context) }));
      },
      settled: (c) => {
        cancelled ||= cancel.isCompleted;
        activeChains = activeChains.filter((id) => id !== ids[c]);
        status();
      },
    });
    // A member that failed may still be down or in transition: taking down another member of its availability set
    // (or flexible scale set) in its place could exceed the group's cap, so the group's later rounds stay running,
    // untouched (within a round each column keeps to its own part of the group: orchestrations/groupFailure.ts).
    const failedGroups = new FailedGroups();
    const byId = new Map(round.flat().map((s) => [s.entry.resourceId, s.entry] as const));
    for (const o of outcomes.slice(before)) {
      const entry = byId.get(o.resourceId);
      if (entry !== undefined) failedGroups.note(entry, o);
    }
    pending = pending.filter(({ entry }) => {
      const skipped = failedGroups.skipOf(entry, input.wave);
      if (skipped !== undefined) outcomes.push(skipped);
      return skipped === undefined;
    });
    status();
  }

  for (const { entry } of pending) {
    outcomes.push(cancelledOutcome(entry, input.wave));
  }
  status();
  const output = yield* handUp(context, input, outcomes, cancelled);
  if (memoScope !== undefined) outcomeMemo.drop(memoScope);
  return output;
}

/**
 * The lane's outcomes as the record keeps them (each names its lane, and its egress path from the plan), written to
 * the run's audit record by the lane itself when the run gave their places in it (`seqs`): the lane then hands up
 * only their tally, so that no history above it holds them (docs/architecture.md, "The audit record"). Without an
 * audit store, or when the write fails past its retries, the outcomes go up as they are and the run records them.
 */
function* handUp(
  context: OrchestrationContext,
  input: CycleBatchInput,
  outcomes: readonly ResourceOutcome[],
  cancelled: boolean,
): Generator<Task, CycleBatchOutput, unknown> {
  const at = new Map(input.entries.map((e, i) => [resourceKey(e.resourceId), i] as const));
  const placed = outcomes.map((o) => {
    const i = at.get(resourceKey(o.resourceId));
    const entry = i === undefined ? undefined : input.entries[i];
    return {
      seq: i === undefined ? 0 : (input.seqs?.[i] ?? i),
      outcome: { ...(entry === undefined ? o : withEgress(entry, o)), lane: input.batchId },
    };
  });
  if (input.seqs === undefined) return { outcomes: placed.map((p) => p.outcome), cancelled };
  const lane = context.df.instanceId;
  const answer = yield* writeAudit(
    () =>
      callActivity(
        context,
        recordLaneOutcomesActivity,
        { runId: input.runId, lane, outcomes: placed },
        transientRetry(),
      ),
    "the lane's outcomes",
  );
  const kept = placed.map((p) => p.outcome);
  return answer.recorded ? { outcomes: [], recorded: tallyOf(kept, lane), cancelled } : { outcomes: kept, cancelled };
}

registerOrchestration(cycleBatchOrchestration, cycleBatch);
