/**
 * The steps of a subscription's run that start work in groups (remediateSubscription.ts): the VNet refreshes, a
 * group of refreshVnetSubnet instances at a time, and each wave, one runWave sub-orchestration.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { subOrchestrationTask } from "./toolkit/calls";
import { parseWith } from "../src/contracts/parse";
import { refreshVnetSubnetOrchestration } from "../src/contracts/durable/refreshVnetSubnet";
import { RunWaveOutput, runWaveOrchestration, waveInstanceId } from "../src/contracts/durable/runWave";
import { batchInstanceId } from "../src/contracts/durable/cycleBatch";
import { resourceKey } from "../src/contracts/ids";
import type { PlanEntry, Wave } from "../src/contracts/plan";
import { ResourceOutcomeSchema } from "../src/contracts/outcome";
import { capsFrom } from "../src/domain/planWaves";
import { ReplayMemo } from "./replayMemo";
import { MEMO_RUNS, type Run } from "./subscriptionRun";

const waveMemo = new ReplayMemo<RunWaveOutput>(MEMO_RUNS);
const waveEntriesMemo = new ReplayMemo<PlanEntry[][]>(MEMO_RUNS);

/** Forgets what the waves kept for a run's replays (replayMemo.ts), once the run has ended. */
export function dropWaveMemos(scope: string): void {
  for (const memo of [waveMemo, waveEntriesMemo]) memo.drop(scope);
}

/** Refreshes the VNets with delegated subnets, at most maxConcurrency at a time, until a cancel. */
export function* runVnets(
  context: OrchestrationContext,
  run: Run,
  entries: PlanEntry[],
): Generator<Task, void, unknown> {
  const cap = Math.max(1, run.input.options.maxConcurrency);
  for (let start = 0; start < entries.length && !run.cancelled(); start += cap) {
    const group = entries.slice(start, start + cap);
    const tasks = group.map((entry, i) =>
      subOrchestrationTask(
        context,
        refreshVnetSubnetOrchestration,
        { entry, transitionTimeoutMinutes: run.input.options.transitionTimeoutMinutes },
        `${context.df.instanceId}:${run.input.runId}:vnet${start + i}`,
      ),
    );
    yield* run.collect(
      group.map((entry) => [entry]),
      tasks,
      (raw) => [parseWith(ResourceOutcomeSchema, raw, "output of refreshVnetSubnet")],
    );
    run.publish();
  }
}

/**
 * Runs a wave as its own sub-orchestration (runWave.ts), which runs the lanes exactly as the plan dealt them
 * (planWaves.ts), `parallel` at a time, in plan order. The run lists the wave as its active batch; the wave lists
 * its lanes in flight.
 */
export function* runWave(
  context: OrchestrationContext,
  run: Run,
  wave: Wave,
  byId: ReadonlyMap<string, PlanEntry>,
): Generator<Task, void, unknown> {
  const o = run.input.options;
  const caps = capsFrom(o);
  const lanes = run.memo(waveEntriesMemo, `wave${wave.index}`, () =>
    wave.batches.map((b) => b.items.flatMap((id) => byId.get(resourceKey(id)) ?? [])),
  );
  if (lanes.length === 0 || run.cancelled()) return;
  const id = waveInstanceId(context.df.instanceId, run.input.runId, wave.index);
  const task = subOrchestrationTask(
    context,
    runWaveOrchestration,
    {
      runId: run.input.runId,
      runInstanceId: context.df.instanceId,
      wave: wave.index,
      lanes: wave.batches.map((b, i) => {
        const entries = lanes[i] ?? [];
        // The canary's outcomes decide the run (subscriptionCanary.ts): the run keeps those; every other lane records
        // its own when the record took the run's start (no audit store: none does).
        if (wave.canary || !run.lanesRecord) return { id: b.id, share: b.share, entries };
        const seqs = entries.map((e) => run.planIndex.get(resourceKey(e.resourceId)) ?? 0);
        return { id: b.id, share: b.share, entries, seqs };
      }),
      parallel: Math.max(1, wave.parallel),
      caps,
      transitionTimeoutMinutes: o.transitionTimeoutMinutes,
      restoreStoppedVms: o.restoreStoppedVms,
      restoreTimeoutMinutes: o.restoreTimeoutMinutes,
      replayScope: run.memoScope,
      ...(run.subscriptionVms !== undefined ? { subscriptionVms: run.subscriptionVms } : {}),
    },
    id,
  );
  run.activeWaves = [id];
  run.publish();
  yield* run.collect([lanes.flat()], [task], (raw) => {
    const out = run.memo(waveMemo, id, () => parseWith(RunWaveOutput, raw, "output of runWave"));
    if (out.cancelled) run.cancelRequested = true;
    if (out.recorded !== undefined) {
      // The lanes that recorded their own outcomes: their resources are accounted for, counted by the tally.
      const recordedLanes = new Set(out.recorded.lanes);
      const covered = wave.batches.flatMap((b, i) =>
        recordedLanes.has(batchInstanceId(context.df.instanceId, run.input.runId, b.id)) ? (lanes[i] ?? []) : [],
      );
      run.addRecorded(out.recorded, covered);
    }
    return out.outcomes;
  });
  run.activeWaves = [];
  run.publish();
}
