/**
 * The audit records a local durable host's state says were written, written again when a state folder is opened
 * after its last holder did not close it cleanly (src/cli/cleanClose.ts).
 *
 * The local audit store is Azurite on disk, whose table service keeps its data in LokiJS and saves it on an interval
 * (`autosaveInterval: 5000` in azurite's LokiTableMetadataStore): a process killed between a write and the next save
 * loses the write, while the durable state (written with fsync before the host acts on it) still records the
 * recording activity as done, so the host would never run it again. Every audit write is idempotent (the activities
 * run at least once: a replay of the same record is a no-op, a different one is refused), so each one the durable
 * state recorded as done is sent again, in the order they completed. A write the store refuses stops the open with an
 * error naming the run: the record is still in the durable state and the next start tries again.
 *
 * Which activities record, and the write each makes, come from the activities themselves (activities/auditWrite.ts:
 * every activity built with `auditWrite` carries its write); which instances hold them, from their histories. A
 * recording activity added later, from any orchestration, is caught up with no change here.
 */
import type { DurableHost, HistoryEvent } from "../durable-host";
import { EventType } from "../durable-host";
import type { AuditStore } from "../audit/store";
import type { BoundActivity } from "../../activities/binding";
import { isRecordingActivity, type RecordingActivity } from "../../activities/auditWrite";
import { AuditWriteOutput } from "../contracts/durable/recordRunStarted";
import { recordLaneOutcomesActivity } from "../contracts/durable/recordLaneOutcomes";
import { ensureError, Port25Error } from "../errors";

/** A recording activity's completion: its name, the input it was scheduled with, and when it completed (epoch ms). */
export interface RecordedWrite {
  name: string;
  input: string;
  at: number;
}

/** The recording activities among `activities`, by name. */
export function recordingActivities(activities: readonly BoundActivity[]): ReadonlyMap<string, RecordingActivity> {
  return new Map(activities.filter(isRecordingActivity).map((a) => [a.name, a]));
}

/** The recording activities an instance's state holds as done and recorded: history first, then its inbox. */
export function recordedAuditWrites(
  events: readonly HistoryEvent[],
  recording: { has(name: string): boolean },
): RecordedWrite[] {
  const scheduled = new Map<number, { name: string; input: string }>();
  const done: RecordedWrite[] = [];
  for (const e of events) {
    if (e.EventType === EventType.TaskScheduled && e.Name !== undefined && recording.has(e.Name))
      scheduled.set(e.EventId, { name: e.Name, input: e.Input ?? "null" });
    if (e.EventType !== EventType.TaskCompleted || e.TaskScheduledId === undefined) continue;
    const write = scheduled.get(e.TaskScheduledId);
    if (write === undefined) continue;
    const answer = AuditWriteOutput.safeParse(JSON.parse(e.Result ?? "null"));
    // `recorded: false` (no audit store configured) wrote nothing then: nothing to restore.
    if (answer.success && answer.data.recorded) done.push({ ...write, at: Date.parse(e.Timestamp) || 0 });
  }
  return done;
}

/**
 * Sends again every audit write the host's stored instances record as done, with the recording activities among
 * `activities`; the number sent. Throws `AuditNotRestored` naming the instance and the record when the store refuses
 * one.
 */
export async function rewriteRecordedAudit(
  host: Pick<DurableHost, "store">,
  store: AuditStore,
  activities: readonly BoundActivity[],
): Promise<number> {
  const recording = recordingActivities(activities);
  // Every instance is read: whichever orchestration calls a recording activity, its history says so.
  const instances = [...host.store.summaries()].sort((a, b) => a.createdTime - b.createdTime);
  const writes: (RecordedWrite & { instanceId: string; order: number })[] = [];
  for (const [order, summary] of instances.entries()) {
    const record = host.store.get(summary.instanceId);
    if (record === undefined) continue;
    for (const write of recordedAuditWrites([...record.history, ...record.inbox], recording))
      writes.push({ ...write, instanceId: summary.instanceId, order });
  }
  // As they were first written, across instances (a run's start, its children's records, then its end); the sort is
  // stable, so one instance's writes of the same time keep their history's order.
  // A lane's outcomes come before the records of the same moment: its run's final record needs them in place.
  const rank = (w: RecordedWrite): number => (w.name === recordLaneOutcomesActivity.name ? 0 : 1);
  writes.sort((a, b) => a.at - b.at || rank(a) - rank(b) || a.order - b.order);
  let sent = 0;
  // Writes of the same moment may come in either order across instances, and a run's final record needs its lanes'
  // outcomes in place (recordLaneOutcomes) before it: one the store refuses is sent again after all the others.
  const refused: typeof writes = [];
  for (const write of writes) {
    try {
      await recording.get(write.name)?.writeTo(store, JSON.parse(write.input));
      sent++;
    } catch {
      refused.push(write);
    }
  }
  for (const write of refused) {
    try {
      await recording.get(write.name)?.writeTo(store, JSON.parse(write.input));
    } catch (e) {
      throw new Port25Error(
        `the audit store did not take back the record ${write.name} of ${write.instanceId}, which the durable state holds as written: ${ensureError(e).message}. Nothing was resumed; the record stays in the durable state and the same command tries again`,
        { code: "AuditNotRestored", cause: e },
      );
    }
    sent++;
  }
  return sent;
}
