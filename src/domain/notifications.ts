/** The notification events a finished run or a re-verification gives rise to (pure: the orchestrations call these). */
import { MAX_NAMED, type FailureNote, type NotificationEvent } from "../contracts/notification";
import { failureNotes } from "./summarize";
import type { RemediationResult } from "../contracts/remediation";
import type { ReverificationRecord } from "../contracts/reverify";

/** runRefused for a refused run; runCompleted for any other end, naming failures and what was left down. */
/**
 * The message of a finished run. `laneFailures`: the failures named by the lanes that recorded their own outcomes
 * (not in `result.outcomes`).
 */
export function completionEvent(
  instanceId: string,
  result: RemediationResult,
  laneFailures: readonly FailureNote[] = [],
): NotificationEvent {
  const { summary } = result;
  const base = { runId: summary.runId, instanceId, subscriptionId: summary.subscriptionId, at: summary.endedAt };
  if (summary.status === "refused") {
    const c = result.classification;
    return { type: "runRefused", ...base, category: c.category, reason: c.reason, advice: c.advice };
  }
  const failures = [...failureNotes(result.outcomes), ...laneFailures].slice(0, MAX_NAMED);
  return {
    type: "runCompleted",
    ...base,
    status: summary.status,
    message: summary.message,
    counts: summary.counts,
    failures,
    leftDown: (summary.leftDown ?? []).slice(0, MAX_NAMED),
  };
}

/** What a re-verification found that someone should hear of: stragglers, a changed category, subnets removed. */
export function reverificationEvents(
  record: ReverificationRecord,
  autoRemediation: { runId: string; instanceId: string } | undefined,
): NotificationEvent[] {
  const base = {
    subscriptionId: record.subscriptionId,
    at: record.at,
    runId: record.lastRunId ?? `reverification-${record.subscriptionId}`,
  };
  const events: NotificationEvent[] = [];
  if (record.stragglers.length > 0) {
    const unknown = record.stragglers.filter((st) => st.reason === "startUnknown").length;
    events.push({
      type: "stragglersFound",
      ...base,
      count: record.stragglers.length,
      stragglers: record.stragglers
        .slice(0, MAX_NAMED)
        .map((st) => ({ name: st.name, resourceGroup: st.resourceGroup, reason: st.reason })),
      ...(unknown > 0 ? { startUnknownCount: unknown } : {}),
      autoRemediation,
    });
  }
  if (record.categoryChanged && record.previousCategory !== undefined) {
    events.push({
      type: "classificationChanged",
      ...base,
      previousCategory: record.previousCategory,
      category: record.classification.category,
      reason: record.classification.reason,
    });
  }
  if (record.leakedSubnets.removed.length > 0 || record.leakedSubnets.failed.length > 0) {
    events.push({
      type: "leakedSubnetsRemoved",
      ...base,
      removed: record.leakedSubnets.removed.slice(0, MAX_NAMED),
      removedCount: record.leakedSubnets.removed.length,
      failedCount: record.leakedSubnets.failed.length,
    });
  }
  return events;
}
