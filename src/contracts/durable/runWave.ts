/**
 * Orchestration contract: run one wave's lanes (cycleBatch instances) as the plan dealt them, `parallel` at a time.
 * A sub-orchestration of its own, so that the run's history holds a few events per wave rather than per lane.
 */
import { z } from "zod";
import { SubscriptionVmsSchema } from "./common";
import { defineOrchestration } from "../define";
import { renamedField } from "../parse";
import { CapsSchema, PlanEntrySchema } from "../plan";
import { activeChainsOf, CycleBatchOutput, LaneStatusSchema } from "./cycleBatch";
import { ChainStatusSchema } from "./cycleResource";
import type { Progress } from "../remediation";

export const WaveLaneSchema = z.object({
  /** The plan's lane id (e.g. "w1l0"): names the lane's cycleBatch instance. */
  id: z.string().min(1),
  /** The lane's share of the global cap. */
  share: z.number().int().min(1),
  entries: z.array(PlanEntrySchema),
  /** Each entry's index in the plan: given, the lane records its own outcomes (cycleBatch's `seqs`). */
  seqs: z.array(z.number().int().min(0)).optional(),
});

export const RunWaveInput = z.object({
  runId: z.string().min(1),
  /** The run's instance id: lanes are named after it (batchInstanceId), as the cancel endpoint expects. */
  runInstanceId: z.string().min(1),
  wave: z.number().int().min(0),
  lanes: z.array(WaveLaneSchema),
  /** Lanes in flight at once. */
  parallel: z.number().int().min(1),
  /** The run's caps; each lane gets its share of maxConcurrency. */
  caps: CapsSchema,
  transitionTimeoutMinutes: z.number().int().min(1),
  restoreStoppedVms: z.boolean().default(false),
  restoreTimeoutMinutes: z.number().int().min(1).optional(),
  /** The run's memo scope (see cycleBatch's replayScope). */
  replayScope: z.string().min(1).optional(),
  /** See SubscriptionVmsSchema. */
  subscriptionVms: SubscriptionVmsSchema,
});
export type RunWaveInput = z.output<typeof RunWaveInput>;

/**
 * One outcome per resource of the lanes the wave started that did not record their own, and the tally of those that
 * did; lanes a cancel kept from starting have none.
 */
export const RunWaveOutput = CycleBatchOutput;
export type RunWaveOutput = z.output<typeof RunWaveOutput>;

export const runWaveOrchestration = defineOrchestration("runWave", RunWaveInput, RunWaveOutput);

/**
 * Custom status of a wave: its lanes in flight (the cancel endpoint raises "cancel" to each of them after the
 * wave itself) and the outcomes of its finished lanes so far (added to the run's counts by the status readers).
 */
export const WaveStatusSchema = z.preprocess(
  // Named activeBatches before it was named for what it lists: a wave's lanes.
  renamedField("activeBatches", "activeLanes"),
  z.object({
    wave: z.number().int().min(0),
    activeLanes: z.array(z.string()),
    counts: z.object({
      cycled: z.number().int(),
      skipped: z.number().int(),
      failed: z.number().int(),
      leftDown: z.number().int(),
    }),
    cancelRequested: z.boolean().optional(),
  }),
);
export type WaveStatus = z.output<typeof WaveStatusSchema>;

/** Instance id of a wave, derived from the run (lane ids are "w<n>l<m>", so the two never meet). */
export function waveInstanceId(runInstanceId: string, runId: string, wave: number): string {
  return `${runInstanceId}:${runId}:wave${wave}`;
}

/**
 * The run's progress with what its running waves have finished so far: the waves' counts of their finished lanes
 * (from the waves' custom statuses), the finished resources of the lanes they still list (from the lanes' own
 * statuses, `laneStatuses`) and those of the chains those lanes list (`chainStatuses`), so the count moves as each
 * resource finishes. A wave drops a lane from its list as it counts it, and a lane a chain, so no resource is counted
 * twice.
 */
export function withWaveCounts(
  progress: Progress,
  waveStatuses: readonly unknown[],
  laneStatuses: readonly unknown[] = [],
  chainStatuses: readonly unknown[] = [],
): Progress {
  const counts = { ...progress.counts };
  const add = (c: { cycled: number; skipped: number; failed: number; leftDown: number }): void => {
    const done = c.cycled + c.skipped + c.failed;
    counts.cycled += c.cycled;
    counts.skipped += c.skipped;
    counts.failed += c.failed;
    counts.leftDown = (counts.leftDown ?? 0) + c.leftDown;
    counts.pending = Math.max(0, counts.pending - done);
  };
  for (const raw of waveStatuses) {
    const w = WaveStatusSchema.safeParse(raw);
    if (w.success) add(w.data.counts);
  }
  for (const raw of laneStatuses) {
    const l = LaneStatusSchema.safeParse(raw);
    // A lane read just after its wave counted it (and before the wave's status was read again) is not added twice.
    if (l.success && l.data.counts !== undefined && l.data.done <= counts.pending) add(l.data.counts);
  }
  for (const raw of chainStatuses) {
    const c = ChainStatusSchema.safeParse(raw);
    if (!c.success || c.data.done.length > counts.pending) continue;
    const tally = { cycled: 0, skipped: 0, failed: 0, leftDown: 0 };
    for (const o of c.data.done) {
      tally[o.outcome]++;
      if (o.leftDown) tally.leftDown++;
    }
    add(tally);
  }
  return { ...progress, counts };
}

/**
 * The statuses a run's progress counts in, read level by level: the ids of each level are yielded and their custom
 * statuses handed back (the running waves, the lanes they list, the chains those list). Driven by `liveProgress`
 * over the durable client and by `liveProgressOn` over the local host.
 */
function* progressReads(progress: Progress): Generator<readonly string[], Progress, readonly unknown[]> {
  const waveIds = progress.activeWaves ?? [];
  if (waveIds.length === 0) return progress;
  const waves = yield waveIds;
  const lanes = yield waves.flatMap((w) => activeLanesOf(w));
  const chains = yield lanes.flatMap((l) => activeChainsOf(l));
  return withWaveCounts(progress, waves, lanes, chains);
}

/** The run's progress as it stands, each level's statuses read by `read` (undefined for an instance not there). */
export async function liveProgress(
  progress: Progress,
  read: (instanceId: string) => Promise<unknown>,
): Promise<Progress> {
  const reads = progressReads(progress);
  let step = reads.next([]);
  while (step.done !== true) step = reads.next(await Promise.all(step.value.map(read)));
  return step.value;
}

/** `liveProgress` over a reader that answers at once (the local host). */
export function liveProgressOn(progress: Progress, read: (instanceId: string) => unknown): Progress {
  const reads = progressReads(progress);
  let step = reads.next([]);
  while (step.done !== true) step = reads.next(step.value.map(read));
  return step.value;
}

/** The lanes a wave lists as in flight, from its custom status (none when it lists nothing readable). */
export function activeLanesOf(waveStatus: unknown): string[] {
  const w = WaveStatusSchema.safeParse(waveStatus);
  return w.success ? w.data.activeLanes : [];
}
