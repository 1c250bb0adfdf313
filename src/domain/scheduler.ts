/** Which pending items of a lane may start now without breaking the concurrency and availability caps. */
import { resourceKey } from "../contracts/ids";
import type { Caps } from "../contracts/plan";

export interface SchedItem {
  id: string;
  availabilitySetId?: string | undefined;
  flexScaleSetId?: string | undefined;
  /** The VM's update domain in its availability set (instanceView.platformUpdateDomain), when known. */
  updateDomain?: number | undefined;
}

function bump(map: Map<string, number>, key: string | undefined): void {
  if (key !== undefined) map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * The update domain an item of an availability set counts as: its platformUpdateDomain, or — unknown — a domain of
 * its own, so that it goes down with no other member of its set.
 */
export function domainKey(item: { id: string; updateDomain?: number | undefined }): string {
  return item.updateDomain !== undefined ? `ud:${item.updateDomain}` : `vm:${resourceKey(item.id)}`;
}

/**
 * Returns the pending items, in their order, that may start together (nothing else in flight) within
 * maxConcurrency overall, maxUnavailablePerScaleSet per flexible scale set and, per availability set, either
 * maxUnavailablePerAvailabilitySet members (rule "member") or the members of one update domain (rule
 * "updateDomain": the first domain met in pending order, as many of its members as the global cap allows). An item
 * held back by its group's cap does not hold back the items behind it. Group ids compare case-insensitively; an
 * item listed twice is returned at most once.
 */
export function scheduleNext(pending: readonly SchedItem[], caps: Caps): SchedItem[] {
  const byDomain = caps.availabilitySetRule === "updateDomain";
  const perAvSet = new Map<string, number>();
  const domainOfSet = new Map<string, string>();
  const perFlex = new Map<string, number>();
  const busy = new Set<string>();
  let running = 0;
  const chosen: SchedItem[] = [];
  for (const item of pending) {
    if (running >= caps.maxConcurrency) break;
    const key = resourceKey(item.id);
    if (busy.has(key)) continue;
    const av = item.availabilitySetId !== undefined ? resourceKey(item.availabilitySetId) : undefined;
    const fx = item.flexScaleSetId !== undefined ? resourceKey(item.flexScaleSetId) : undefined;
    if (av !== undefined && byDomain) {
      const down = domainOfSet.get(av);
      if (down !== undefined && down !== domainKey(item)) continue;
    } else if (av !== undefined && (perAvSet.get(av) ?? 0) >= caps.maxUnavailablePerAvailabilitySet) continue;
    if (fx !== undefined && (perFlex.get(fx) ?? 0) >= caps.maxUnavailablePerScaleSet) continue;
    chosen.push(item);
    busy.add(key);
    running++;
    bump(perAvSet, av);
    if (av !== undefined && byDomain) domainOfSet.set(av, domainKey(item));
    bump(perFlex, fx);
  }
  return chosen;
}

/**
 * Rounds each availability set needs at least under the run's rule, keyed by the set's id (resourceKey): its
 * members divided by the member cap, or its distinct update domains (each member of unknown domain one more).
 */
export function availabilitySetRounds(items: readonly SchedItem[], caps: Caps): Map<string, number> {
  const members = new Map<string, Set<string>>();
  for (const item of items) {
    if (item.availabilitySetId === undefined) continue;
    const set = resourceKey(item.availabilitySetId);
    const cur = members.get(set) ?? new Set<string>();
    cur.add(caps.availabilitySetRule === "updateDomain" ? domainKey(item) : resourceKey(item.id));
    members.set(set, cur);
  }
  const out = new Map<string, number>();
  for (const [set, keys] of members)
    out.set(
      set,
      caps.availabilitySetRule === "updateDomain"
        ? keys.size
        : Math.ceil(keys.size / Math.max(1, caps.maxUnavailablePerAvailabilitySet)),
    );
  return out;
}
