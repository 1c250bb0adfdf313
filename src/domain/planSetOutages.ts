/**
 * Availability sets the plan may leave with no member running: the caps bound how many members the run takes down
 * together, but they count only the members it cycles. A member already stopped or deallocated before the run
 * serves nothing either, so a set whose running members all go down together (one left running, or as many as the
 * set's cap allows, in one wave) is out for that moment. The caps permit it; the plan says so instead of letting
 * the operator find out from the outage. An availability set keeps its application up only while one member per
 * fault and update domain still runs (https://learn.microsoft.com/azure/virtual-machines/availability-set-overview).
 */
import { resourceKey } from "../contracts/ids";
import type { Caps, PlanEntry, SetOutage, Wave } from "../contracts/plan";

function setName(id: string): string {
  return id.split("/").pop() ?? id;
}

/**
 * Sets in which every member running before the run is cycled and those members may all be down at once: all in one
 * wave (waves never overlap) and, under the run's rule, no more of them than the set's member cap, or all in one
 * known update domain. A set with a running member the run leaves alone never counts.
 */
export function planSetOutages(entries: readonly PlanEntry[], waves: readonly Wave[], caps: Caps): SetOutage[] {
  const waveOf = new Map<string, number>();
  for (const w of waves) for (const b of w.batches) for (const id of b.items) waveOf.set(resourceKey(id), w.index);
  const sets = new Map<string, { id: string; resourceGroup: string; members: PlanEntry[] }>();
  for (const e of entries) {
    if (e.kind !== "vm" || e.availabilitySetId === undefined) continue;
    const key = resourceKey(e.availabilitySetId);
    const set = sets.get(key) ?? { id: e.availabilitySetId, resourceGroup: e.resourceGroup, members: [] };
    set.members.push(e);
    sets.set(key, set);
  }
  const out: SetOutage[] = [];
  for (const set of sets.values()) {
    const running = set.members.filter((e) => e.stateBefore === "running");
    const cycled = running.filter((e) => e.action === "cycle" && waveOf.has(resourceKey(e.resourceId)));
    if (running.length === 0 || cycled.length < running.length) continue;
    const inWaves = new Set(cycled.map((e) => waveOf.get(resourceKey(e.resourceId))));
    if (inWaves.size > 1) continue;
    const together =
      cycled.length === 1 ||
      (caps.availabilitySetRule === "updateDomain"
        ? cycled.every((e) => e.updateDomain !== undefined && e.updateDomain === cycled[0]?.updateDomain)
        : cycled.length <= caps.maxUnavailablePerAvailabilitySet);
    if (!together) continue;
    out.push({
      availabilitySetId: set.id,
      name: setName(set.id),
      resourceGroup: set.resourceGroup,
      members: set.members.length,
      notRunningBefore: set.members.length - running.length,
      runningCycled: cycled.length,
    });
  }
  return out.sort((a, b) => (resourceKey(a.availabilitySetId) < resourceKey(b.availabilitySetId) ? -1 : 1));
}

/** One line for the plan's text: the sets, and why each may have no member running. */
export function describeSetOutages(outages: readonly SetOutage[]): string {
  return outages
    .map((o) => {
      const before =
        o.notRunningBefore === 0 ? "" : `, ${o.notRunningBefore} of ${o.members} not running before the run`;
      return `${o.resourceGroup}/${o.name} (${o.runningCycled === 1 ? "its one running member cycled" : `its ${o.runningCycled} running members may be down together`}${before})`;
    })
    .join("; ");
}
