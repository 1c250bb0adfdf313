/** Counts of per-resource outcomes, for progress and summaries. */
import { resourceKey } from "../contracts/ids";
import type { LeftDownResource, ReasonCode, ResourceOutcome } from "../contracts/outcome";
import type { OutcomeCounts } from "../contracts/remediation";
import { MAX_NAMED, type FailureNote } from "../contracts/notification";
import type { OutcomeTally } from "../contracts/durable/recordLaneOutcomes";

/** The latest outcome per resource (ids compared case-insensitively), so a re-reported resource counts once. */
function latestPerResource(outcomes: readonly ResourceOutcome[]): ResourceOutcome[] {
  const latest = new Map<string, ResourceOutcome>();
  for (const o of outcomes) latest.set(resourceKey(o.resourceId), o);
  return [...latest.values()];
}

/** Outcome counts against `total` resources; those without an outcome yet are pending. */
export function countOutcomes(outcomes: readonly ResourceOutcome[], total: number): OutcomeCounts {
  const counts = { cycled: 0, skipped: 0, failed: 0 };
  let leftDown = 0;
  for (const o of latestPerResource(outcomes)) {
    counts[o.outcome]++;
    if (o.leftDown !== undefined) leftDown++;
  }
  const done = counts.cycled + counts.skipped + counts.failed;
  return { total: Math.max(total, done), ...counts, pending: Math.max(0, total - done), leftDown };
}

/** The resources the run took down and could not bring back, with the reason and the manual action of each. */
export function leftDownResources(outcomes: readonly ResourceOutcome[]): LeftDownResource[] {
  return latestPerResource(outcomes).flatMap((o) =>
    o.leftDown === undefined
      ? []
      : [{ resourceId: o.resourceId, kind: o.kind, name: o.name, resourceGroup: o.resourceGroup, ...o.leftDown }],
  );
}

/** Number of resources per reason code (outcomes without a reason, e.g. plain cycles, are not counted). */
export function groupByReason(outcomes: readonly ResourceOutcome[]): Partial<Record<ReasonCode, number>> {
  const byReason: Partial<Record<ReasonCode, number>> = {};
  for (const o of latestPerResource(outcomes)) {
    if (o.reasonCode !== undefined) byReason[o.reasonCode] = (byReason[o.reasonCode] ?? 0) + 1;
  }
  return byReason;
}

/**
 * Temporary subnets the run could not delete (a management lock on the VNet or above it, or a delete that kept
 * failing), each as one line with the command that deletes it: the outcome's `detail.leftBehind`.
 */
export function leftBehindSubnets(outcomes: readonly ResourceOutcome[]): string[] {
  return latestPerResource(outcomes).flatMap((o) => {
    const lb = o.detail?.["leftBehind"];
    if (typeof lb !== "object" || lb === null) return [];
    const subnet = "subnet" in lb && typeof lb.subnet === "string" ? lb.subnet : "?";
    const todo = "manualAction" in lb && typeof lb.manualAction === "string" ? lb.manualAction : "";
    return [`temporary subnet ${subnet} LEFT BEHIND in VNet ${o.name} (${o.resourceGroup}): ${todo}`];
  });
}

/** The tally a lane hands up for the outcomes it recorded itself (src/contracts/durable/recordLaneOutcomes.ts). */
export function tallyOf(outcomes: readonly ResourceOutcome[], lane: string): OutcomeTally {
  const latest = latestPerResource(outcomes);
  const counts = { cycled: 0, skipped: 0, failed: 0 };
  for (const o of latest) counts[o.outcome]++;
  return {
    resources: latest.length,
    ...counts,
    byReason: groupByReason(latest),
    leftDown: leftDownResources(latest),
    failures: failureNotes(latest),
    lanes: [lane],
  };
}

/** Two tallies as one (the first's failures named first). */
export function mergeTallies(a: OutcomeTally | undefined, b: OutcomeTally): OutcomeTally {
  if (a === undefined) return b;
  return {
    resources: a.resources + b.resources,
    cycled: a.cycled + b.cycled,
    skipped: a.skipped + b.skipped,
    failed: a.failed + b.failed,
    byReason: mergeReasons(a.byReason, b.byReason),
    leftDown: [...a.leftDown, ...b.leftDown],
    failures: [...a.failures, ...b.failures].slice(0, MAX_NAMED),
    lanes: [...a.lanes, ...b.lanes],
  };
}

/** Failed resources not left down (those are named apart), the first MAX_NAMED, as a message names them. */
export function failureNotes(outcomes: readonly ResourceOutcome[]): FailureNote[] {
  return outcomes
    .filter((o) => o.outcome === "failed" && o.leftDown === undefined)
    .slice(0, MAX_NAMED)
    .map((o) => ({
      name: o.name,
      resourceGroup: o.resourceGroup,
      ...(o.reasonCode !== undefined ? { reasonCode: o.reasonCode } : {}),
      ...(o.errorCode !== undefined ? { errorCode: o.errorCode } : {}),
    }));
}

/** The counts of the outcomes a run holds with those its lanes recorded themselves. */
export function withTally(counts: OutcomeCounts, tally: OutcomeTally | undefined): OutcomeCounts {
  if (tally === undefined) return counts;
  return {
    ...counts,
    total: counts.total + tally.resources,
    cycled: counts.cycled + tally.cycled,
    skipped: counts.skipped + tally.skipped,
    failed: counts.failed + tally.failed,
    leftDown: (counts.leftDown ?? 0) + tally.leftDown.length,
  };
}

/** Two counts by reason as one. */
export function mergeReasons(
  a: Partial<Record<ReasonCode, number>>,
  b: Readonly<Record<string, number>> | undefined,
): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [reason, n] of Object.entries(b ?? {})) out[reason] = (out[reason] ?? 0) + n;
  return out;
}
