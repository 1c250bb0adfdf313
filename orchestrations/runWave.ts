/**
 * Runs one wave: its lanes (cycleBatch instances, src/domain/lanes.ts) exactly as the plan dealt them, `parallel` at
 * a time in plan order. A sub-orchestration of the run, so that the run's history holds a few events per wave and
 * this one a few per lane: lanes finishing one by one each add an episode to the history of the instance waiting
 * for them, and no history then grows with the fleet beyond the lanes of one wave.
 *
 * Cancel: "cancel" (raised by the cancel endpoint to the run, then to the run's active wave, then to the lanes the
 * wave lists in its custom status) stops new lanes; lanes in flight finish. The custom status also counts the
 * outcomes of finished lanes, which the status readers add to the run's progress.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { parseWith } from "../src/contracts/parse";
import { registerOrchestration, subOrchestrationTask } from "./toolkit/calls";
import { batchInstanceId, cycleBatchOrchestration, CycleBatchOutput } from "../src/contracts/durable/cycleBatch";
import {
  runWaveOrchestration,
  type RunWaveInput,
  type RunWaveOutput,
  type WaveStatus,
} from "../src/contracts/durable/runWave";
import { CANCEL_EVENT } from "../src/contracts/names";
import { resourceKey } from "../src/contracts/ids";
import type { ResourceOutcome } from "../src/contracts/outcome";
import { ReplayMemo } from "./replayMemo";
import { unexpectedOutcome } from "./shared";
import { awaitGroup } from "./toolkit/groupWait";
import { mergeTallies } from "../src/domain/summarize";
import { lanePace } from "../src/domain/sendPace";
import type { OutcomeTally } from "../src/contracts/durable/recordLaneOutcomes";

/** Each finished lane's parsed output, so a replay does not parse them all again. */
const laneMemo = new ReplayMemo<CycleBatchOutput>(64);

export function* runWave(context: OrchestrationContext, input: RunWaveInput): Generator<Task, RunWaveOutput, unknown> {
  const outcomes: ResourceOutcome[] = [];
  let recorded: OutcomeTally | undefined;
  const seen = new Set<string>();
  const counts: WaveStatus["counts"] = { cycled: 0, skipped: 0, failed: 0, leftDown: 0 };
  let cancelled = false;
  let active: string[] = [];
  const memoScope = input.replayScope !== undefined ? `${input.replayScope}|${context.df.instanceId}` : undefined;
  // One waiter for the whole wave: whenever the event arrives, this task records it (see remediateSubscription).
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);
  const record = (o: ResourceOutcome): void => {
    const key = resourceKey(o.resourceId);
    if (seen.has(key)) return;
    seen.add(key);
    outcomes.push(o);
    counts[o.outcome]++;
    if (o.leftDown !== undefined) counts.leftDown++;
  };
  const status = (): void => {
    const s: WaveStatus = {
      wave: input.wave,
      activeLanes: active,
      counts,
      ...(cancelled ? { cancelRequested: true } : {}),
    };
    context.df.setCustomStatus(s);
  };
  const parallel = Math.max(1, input.parallel);

  for (let start = 0; start < input.lanes.length && !(cancelled ||= cancel.isCompleted); start += parallel) {
    const group = input.lanes.slice(start, start + parallel);
    const ids = group.map((lane) => batchInstanceId(input.runInstanceId, input.runId, lane.id));
    // The lanes running together share the run's pace of first writes in proportion to their shares of the cap.
    const groupShares = group.reduce((n, lane) => n + lane.share, 0);
    const tasks = group.map((lane, i) =>
      subOrchestrationTask(
        context,
        cycleBatchOrchestration,
        {
          runId: input.runId,
          wave: input.wave,
          batchId: lane.id,
          entries: lane.entries,
          caps: { ...input.caps, maxConcurrency: lane.share },
          transitionTimeoutMinutes: input.transitionTimeoutMinutes,
          restoreStoppedVms: input.restoreStoppedVms,
          restoreTimeoutMinutes: input.restoreTimeoutMinutes,
          replayScope: input.replayScope,
          ...(lane.seqs !== undefined ? { seqs: lane.seqs } : {}),
          sendPace: lanePace(lane.share, groupShares),
          ...(input.subscriptionVms !== undefined ? { subscriptionVms: input.subscriptionVms } : {}),
        },
        ids[i],
      ),
    );
    active = ids;
    status();
    // Lanes started together are waited on as a group (toolkit/groupWait.ts): never scheduled twice.
    yield* awaitGroup(context, tasks, cancelled ? [] : [cancel], {
      done: (raw, i) => {
        const lane = group[i];
        if (lane === undefined) return;
        const parse = (): CycleBatchOutput => parseWith(CycleBatchOutput, raw, "output of cycleBatch");
        const out = memoScope === undefined ? parse() : laneMemo.get(memoScope, lane.id, parse);
        if (out.cancelled) cancelled = true;
        // Each outcome names its lane, so the report can draw a wave lane by lane.
        for (const o of out.outcomes) record({ ...o, lane: lane.id });
        if (out.recorded !== undefined) {
          recorded = mergeTallies(recorded, out.recorded);
          counts.cycled += out.recorded.cycled;
          counts.skipped += out.recorded.skipped;
          counts.failed += out.recorded.failed;
          counts.leftDown += out.recorded.leftDown.length;
        }
      },
      failed: (e, i) => {
        const lane = group[i];
        if (lane === undefined) return;
        for (const entry of lane.entries)
          record({ ...unexpectedOutcome(entry, e, { wave: input.wave }), lane: lane.id });
      },
      settled: (i) => {
        // A lane counted here leaves the list, so the status readers, which add the listed lanes' own counts, never
        // count its resources twice.
        active = ids.slice(i + 1);
        cancelled ||= cancel.isCompleted;
        status();
      },
    });
    active = [];
    status();
  }
  if (memoScope !== undefined) laneMemo.drop(memoScope);
  return { outcomes, ...(recorded !== undefined ? { recorded } : {}), cancelled };
}

registerOrchestration(runWaveOrchestration, runWave);
