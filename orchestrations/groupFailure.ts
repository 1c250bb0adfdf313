/**
 * The availability rule after a failure: a member of an availability set or flexible scale set that failed may still
 * be down or in transition, so taking down another member of its group could exceed the group's cap; the rest of
 * the group that would take its place stays running, untouched, and is reported skipped `groupMemberFailed`. Kept by
 * a lane over its rounds and by a chain over its resources (orchestrations/cycleBatch.ts,
 * orchestrations/cycleChain.ts). A group with a cap of k is dealt over at most k serial lanes or columns, each one
 * resource at a time: the failed member's own sequence stops taking the group's members, the others go on, so at
 * most k members are ever down, the failed one among them.
 */
import { resourceKey } from "../src/contracts/ids";
import type { PlanEntry } from "../src/contracts/plan";
import type { ResourceOutcome } from "../src/contracts/outcome";
import { skippedOutcome } from "./shared";

/** The availability group whose cap a resource counts against, if any. */
export function groupKey(e: PlanEntry): string | undefined {
  if (e.availabilitySetId !== undefined) return `as:${resourceKey(e.availabilitySetId)}`;
  if (e.flexScaleSetId !== undefined) return `fx:${resourceKey(e.flexScaleSetId)}`;
  return undefined;
}

/** The groups with a failed member, each with the member that failed. */
export class FailedGroups {
  private readonly culprits = new Map<string, string>();

  /** Notes `outcome` of `entry`: a failure marks its group. */
  note(entry: PlanEntry, outcome: ResourceOutcome): void {
    const key = groupKey(entry);
    if (outcome.outcome === "failed" && key !== undefined)
      this.culprits.set(key, `${outcome.name} (${outcome.reasonCode ?? "failed"})`);
  }

  /** `entry`'s outcome when a member of its group failed: skipped, naming that member; else undefined. */
  skipOf(entry: PlanEntry, wave: number | undefined): ResourceOutcome | undefined {
    const key = groupKey(entry);
    const culprit = key === undefined ? undefined : this.culprits.get(key);
    if (culprit === undefined) return undefined;
    return skippedOutcome(
      entry,
      "groupMemberFailed",
      `not cycled: ${culprit}, a member of the same ${entry.availabilitySetId !== undefined ? "availability set" : "scale set"}, failed; cycle this VM once that one is healthy`,
      wave,
    );
  }
}
