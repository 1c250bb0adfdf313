/** Orders the resources to cycle into waves and the lanes each wave runs in, and assembles the plan. */
import type { Discovery } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";
import type { RemediationOptions } from "../contracts/options";
import type { Caps, Plan, PlanEntry, Wave, WaveBatch } from "../contracts/plan";
import { dealLanes } from "./lanes";
import { planResources } from "./planResources";
import { planSetOutages } from "./planSetOutages";

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Groups that must stay in one lane: VMs sharing an availability set or a flexible scale set (transitively),
 * so that the per-group caps can be enforced inside one lane.
 */
function groupsOf(entries: readonly PlanEntry[]): PlanEntry[][] {
  const parent = entries.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] ?? r;
    let c = i;
    while (parent[c] !== r) {
      const next = parent[c] ?? r;
      parent[c] = r;
      c = next;
    }
    return r;
  };
  const firstWith = new Map<string, number>();
  entries.forEach((e, i) => {
    const keys = [
      ...(e.availabilitySetId !== undefined ? [`as:${resourceKey(e.availabilitySetId)}`] : []),
      ...(e.flexScaleSetId !== undefined ? [`fx:${resourceKey(e.flexScaleSetId)}`] : []),
    ];
    for (const k of keys) {
      const j = firstWith.get(k);
      if (j === undefined) firstWith.set(k, i);
      else {
        const a = find(i);
        const b = find(j);
        // The smaller index becomes the root, so group order follows first appearance.
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  });
  const groups = new Map<number, PlanEntry[]>();
  entries.forEach((e, i) => {
    const root = find(i);
    const g = groups.get(root);
    if (g === undefined) groups.set(root, [e]);
    else g.push(e);
  });
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, g]) => g);
}

/**
 * The wave's resources in dealing order: sorted by id, members of an availability set or flexible scale set
 * together (first-fit packing of whole groups into bins of batchSize, read back bin by bin).
 */
function dealingOrder(entries: readonly PlanEntry[], batchSize: number): PlanEntry[] {
  const sorted = entries
    .map((e) => ({ key: resourceKey(e.resourceId), e }))
    .sort((a, b) => compareKeys(a.key, b.key))
    .map((x) => x.e);
  const bins: PlanEntry[][] = [];
  // Bins before firstOpen are full, so the search for room starts there (keeps packing near-linear).
  let firstOpen = 0;
  for (const group of groupsOf(sorted)) {
    const ids = group;
    let bin: PlanEntry[] | undefined;
    if (ids.length <= batchSize) {
      for (let i = firstOpen; i < bins.length && bin === undefined; i++) {
        const b = bins[i];
        if (b !== undefined && b.length + ids.length <= batchSize) bin = b;
      }
    }
    if (bin === undefined) bins.push(ids);
    else bin.push(...ids);
    while (firstOpen < bins.length && (bins[firstOpen]?.length ?? 0) >= batchSize) firstOpen++;
  }
  return bins.flat();
}

/** The lanes of one wave, as the run executes them (lanes.ts): ids `w<wave>l<lane>`, members in running order. */
function lanesOf(
  entries: readonly PlanEntry[],
  waveIndex: number,
  options: RemediationOptions,
): { batches: WaveBatch[]; parallel: number } {
  const { lanes, parallel, shares } = dealLanes(
    dealingOrder(entries, options.batchSize),
    capsFrom(options),
    options.batchSize,
  );
  return {
    parallel,
    batches: lanes.map((lane, n) => ({
      id: `w${waveIndex}l${n}`,
      items: lane.map((e) => e.resourceId),
      share: shares[n] ?? 1,
    })),
  };
}

/**
 * Waves of the entries to cycle: canaries first (wave 0), then one wave per `port25-wave` tag value ascending,
 * then the untagged ones, each dealt into the lanes it runs in. Refreshes and skips are not part of any wave.
 */
export function planWaves(entries: readonly PlanEntry[], options: RemediationOptions): Wave[] {
  const cycle = entries.filter((e) => e.action === "cycle");
  const canaries = cycle.filter((e) => e.canary);
  const rest = cycle.filter((e) => !e.canary);
  const tags = [...new Set(rest.flatMap((e) => (e.waveTag !== undefined ? [e.waveTag] : [])))].sort((a, b) => a - b);

  const groups: { label: string; canary: boolean; entries: PlanEntry[] }[] = [
    ...(canaries.length > 0 ? [{ label: "canary", canary: true, entries: canaries }] : []),
    ...tags.map((t) => ({ label: `wave tag ${t}`, canary: false, entries: rest.filter((e) => e.waveTag === t) })),
    { label: "untagged", canary: false, entries: rest.filter((e) => e.waveTag === undefined) },
  ];
  return groups
    .filter((g) => g.entries.length > 0)
    .map((g, index) => ({ index, label: g.label, canary: g.canary, ...lanesOf(g.entries, index, options) }));
}

export function capsFrom(options: RemediationOptions): Caps {
  return {
    maxConcurrency: options.maxConcurrency,
    maxUnavailablePerAvailabilitySet: options.maxUnavailablePerAvailabilitySet,
    maxUnavailablePerScaleSet: options.maxUnavailablePerScaleSet,
    // Absent under the default rule, so the caps of a default run read as they always have.
    ...(options.availabilitySetRule === "updateDomain" ? { availabilitySetRule: options.availabilitySetRule } : {}),
  };
}

/** The whole plan: entries, waves, caps and counts. */
export function buildPlan(discovery: Discovery, options: RemediationOptions): Plan {
  const entries = planResources(discovery, options);
  const count = (p: (e: PlanEntry) => boolean): number => entries.filter(p).length;
  const waves = planWaves(entries, options);
  const setOutages = planSetOutages(entries, waves, capsFrom(options));
  return {
    entries,
    waves,
    caps: capsFrom(options),
    runningVmCycle: options.runningVmCycle,
    resourceGroups: options.resourceGroups,
    ...(setOutages.length > 0 ? { setOutages } : {}),
    counts: {
      vms: count((e) => e.kind === "vm"),
      scaleSets: count((e) => e.kind === "scaleSet"),
      vnets: count((e) => e.kind === "vnet"),
      toCycle: count((e) => e.action === "cycle"),
      toRefresh: count((e) => e.action === "refreshSubnet"),
      skipped: count((e) => e.action === "skip"),
    },
  };
}
