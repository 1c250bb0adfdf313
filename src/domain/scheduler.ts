/** Which pending items of a batch may start now without breaking the concurrency and availability caps. */
import { resourceKey } from "../contracts/ids";
import type { Caps } from "../contracts/plan";

export interface SchedItem {
  id: string;
  availabilitySetId?: string;
  flexScaleSetId?: string;
}

function bump(map: Map<string, number>, key: string | undefined): void {
  if (key !== undefined) map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * Returns the pending items, in their order, that may start together (nothing else in flight) within
 * maxConcurrency overall, maxUnavailablePerAvailabilitySet per availability set and maxUnavailablePerScaleSet
 * per flexible scale set. An item held back by its group's cap does not hold back the items behind it.
 * Group ids compare case-insensitively; an item listed twice is returned at most once.
 */
export function scheduleNext(pending: readonly SchedItem[], caps: Caps): SchedItem[] {
  const perAvSet = new Map<string, number>();
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
    if (av !== undefined && (perAvSet.get(av) ?? 0) >= caps.maxUnavailablePerAvailabilitySet) continue;
    if (fx !== undefined && (perFlex.get(fx) ?? 0) >= caps.maxUnavailablePerScaleSet) continue;
    chosen.push(item);
    busy.add(key);
    running++;
    bump(perAvSet, av);
    bump(perFlex, fx);
  }
  return chosen;
}
