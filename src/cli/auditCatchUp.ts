/**
 * The audit records a local durable host's state says were written, written again when a state folder is opened.
 *
 * The local audit store is Azurite on disk, whose table service keeps its data in LokiJS and saves it on an interval
 * (`autosaveInterval: 5000` in azurite's LokiTableMetadataStore): a process killed between a write and the next save
 * loses the write, while the durable state (written with fsync before the host acts on it) still records the
 * recording activity as done, so the host would never run it again. Every audit write is idempotent (the activities
 * run at least once: a replay of the same record is a no-op, a different one is refused), so each one the durable
 * state recorded as done is sent again, in the order the histories hold them. A write the store refuses stops the
 * open with an error naming the run: the record is still in the durable state and the next start tries again.
 */
import type { z } from "zod";
import type { DurableHost, HistoryEvent } from "../durable-host";
import { EventType } from "../durable-host";
import type { AuditStore } from "../audit/store";
import type { ActivityDefinition } from "../contracts/define";
import { AuditWriteOutput, recordRunStartedActivity } from "../contracts/durable/recordRunStarted";
import { recordRunCompletedActivity } from "../contracts/durable/recordRunCompleted";
import {
  recordCampaignCompletedActivity,
  recordCampaignStartedActivity,
  remediateCampaignOrchestration,
} from "../contracts/durable/campaign";
import { recordNotificationActivity } from "../contracts/durable/recordNotification";
import { recordReverificationActivity } from "../contracts/durable/recordReverification";
import { remediateSubscriptionOrchestration } from "../contracts/durable/remediateSubscription";
import { reverifySubscriptionOrchestration } from "../contracts/durable/reverifySubscription";
import { deliverNotificationOrchestration } from "../contracts/durable/deliverNotification";
import { ensureError, Port25Error } from "../errors";

type Write = (store: AuditStore, inputText: string) => Promise<unknown>;

function writer<I extends z.ZodType>(
  def: ActivityDefinition<I>,
  write: (store: AuditStore, input: z.output<I>) => Promise<unknown>,
): [string, Write] {
  return [def.name, (store, text) => write(store, def.input.parse(JSON.parse(text)))];
}

/** The recording activities, by name, and the store write each makes (the same as in activities/record*.ts). */
const WRITES = new Map<string, Write>([
  writer(recordRunStartedActivity, (s, i) => s.recordRunStarted(i)),
  writer(recordRunCompletedActivity, (s, i) => s.recordRunCompleted(i)),
  writer(recordCampaignStartedActivity, (s, i) => s.recordCampaignStarted(i)),
  writer(recordCampaignCompletedActivity, (s, i) => s.recordCampaignCompleted(i)),
  writer(recordNotificationActivity, (s, i) => s.recordNotification(i)),
  writer(recordReverificationActivity, (s, i) => s.recordReverification(i)),
]);

/** The orchestrations that call a recording activity themselves (others are never read back from disk). */
const RECORDING_ORCHESTRATIONS = new Set([
  remediateSubscriptionOrchestration.name,
  remediateCampaignOrchestration.name,
  reverifySubscriptionOrchestration.name,
  deliverNotificationOrchestration.name,
]);

/** The recording activities an instance's state holds as done and recorded: history first, then its inbox. */
export function recordedAuditWrites(events: readonly HistoryEvent[]): { name: string; input: string }[] {
  const scheduled = new Map<number, { name: string; input: string }>();
  const done: { name: string; input: string }[] = [];
  for (const e of events) {
    if (e.EventType === EventType.TaskScheduled && e.Name !== undefined && WRITES.has(e.Name))
      scheduled.set(e.EventId, { name: e.Name, input: e.Input ?? "null" });
    if (e.EventType !== EventType.TaskCompleted || e.TaskScheduledId === undefined) continue;
    const write = scheduled.get(e.TaskScheduledId);
    if (write === undefined) continue;
    const answer = AuditWriteOutput.safeParse(JSON.parse(e.Result ?? "null"));
    // `recorded: false` (no audit store configured) wrote nothing then: nothing to restore.
    if (answer.success && answer.data.recorded) done.push(write);
  }
  return done;
}

/**
 * Sends again every audit write the host's stored instances record as done; the number sent. Throws
 * `AuditNotRestored` naming the instance and the record when the store refuses one.
 */
export async function rewriteRecordedAudit(host: DurableHost, store: AuditStore): Promise<number> {
  const ids = [...host.store.summaries()]
    .filter((s) => RECORDING_ORCHESTRATIONS.has(s.name))
    .sort((a, b) => a.createdTime - b.createdTime)
    .map((s) => s.instanceId);
  let sent = 0;
  for (const id of ids) {
    const record = host.store.get(id);
    if (record === undefined) continue;
    for (const write of recordedAuditWrites([...record.history, ...record.inbox])) {
      try {
        await WRITES.get(write.name)?.(store, write.input);
      } catch (e) {
        throw new Port25Error(
          `the audit store did not take back the record ${write.name} of ${id}, which the durable state holds as written: ${ensureError(e).message}. Nothing was resumed; the record stays in the durable state and the same command tries again`,
          { code: "AuditNotRestored", cause: e },
        );
      }
      sent++;
    }
  }
  return sent;
}
