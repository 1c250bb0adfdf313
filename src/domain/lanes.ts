/**
 * How a wave is run: its resources are dealt into lanes, each lane one cycleBatch instance. The plan deals them
 * (planWaves.ts), so the lanes the plan shows and the audit digests are exactly the lanes that run.
 *
 * With a global cap of c (≤ MAX_LANES) a wave runs c serial lanes at once: one resource in flight per lane keeps
 * the global cap by construction, and an availability set (or flexible scale set) with a cap of k is split over
 * at most k chunks, so at most k of its members are ever down together. Chunks are dealt longest first to the
 * least-loaded lane, so the wave takes about ceil(N / c) cycle times whatever the plan's lane sizes — integer
 * shares of the cap among uneven lanes would leave some lanes serial and others idle. No lane holds more
 * than about batchSize resources (more lanes run in successive groups), which bounds every history.
 * Above MAX_LANES the cap is shared among MAX_LANES lanes and groups stay whole, each lane enforcing the group
 * caps itself; so too, whatever the cap, when availability sets are taken by update domain.
 */
import { resourceKey } from "../contracts/ids";
import type { Caps, PlanEntry } from "../contracts/plan";

/** Lanes of one wave in flight at most (each is listed in the run's custom status for cancel). */
const MAX_LANES = 50;

interface LanePlan {
  /** Lanes in running order; consecutive groups of `parallel` run together. */
  lanes: PlanEntry[][];
  parallel: number;
  /** Cap share of each lane (1 when lanes are serial). */
  shares: number[];
}

function groupKey(e: PlanEntry, caps: Caps): { key: string; cap: number } {
  if (e.availabilitySetId !== undefined)
    return { key: `as:${resourceKey(e.availabilitySetId)}`, cap: caps.maxUnavailablePerAvailabilitySet };
  if (e.flexScaleSetId !== undefined)
    return { key: `fx:${resourceKey(e.flexScaleSetId)}`, cap: caps.maxUnavailablePerScaleSet };
  return { key: `id:${resourceKey(e.resourceId)}`, cap: 1 };
}

/** Deals `entries` (one wave) into lanes; deterministic for a given input. */
export function dealLanes(entries: readonly PlanEntry[], caps: Caps, batchSize: number): LanePlan {
  if (entries.length === 0) return { lanes: [], parallel: 1, shares: [] };
  const parallel = Math.max(1, Math.min(caps.maxConcurrency, MAX_LANES));
  // By update domain, a set's members go down a domain at a time, together: serial lanes could not take a domain
  // down together nor hold the next one back, so a set stays whole in one lane whose scheduler does both.
  const byDomain =
    caps.availabilitySetRule === "updateDomain" && entries.some((e) => e.availabilitySetId !== undefined);
  const serial = caps.maxConcurrency <= MAX_LANES && !byDomain;

  const generations = Math.max(1, Math.ceil(entries.length / (parallel * batchSize)));
  const lanes = dealChunks(entries, caps, serial, parallel * generations);
  const shares: number[] = [];
  for (let start = 0; start < lanes.length; start += parallel) {
    const group = lanes.slice(start, start + parallel);
    shares.push(
      ...(serial
        ? group.map(() => 1)
        : divideCap(
            group.map((l) => l.length),
            caps.maxConcurrency,
          )),
    );
  }
  return { lanes, parallel, shares };
}

/**
 * Deals `entries` into at most `count` serial sequences (lanes, or a lane's columns) so that one resource in flight
 * per sequence keeps every group's cap: with `splitGroups`, an availability set (or flexible scale set) with a cap
 * of k is split over at most k chunks, else kept whole; chunks go longest first to the least-loaded sequence. Each
 * sequence keeps the entries' order. Deterministic for a given input.
 */
export function dealChunks(
  entries: readonly PlanEntry[],
  caps: Caps,
  splitGroups: boolean,
  count: number,
): PlanEntry[][] {
  const order = new Map(entries.map((e, i) => [resourceKey(e.resourceId), i] as const));
  const groups = new Map<string, { cap: number; members: PlanEntry[] }>();
  for (const e of entries) {
    const g = groupKey(e, caps);
    const cur = groups.get(g.key) ?? { cap: g.cap, members: [] };
    cur.members.push(e);
    groups.set(g.key, cur);
  }
  const chunks: PlanEntry[][] = [];
  for (const g of groups.values()) {
    const k = splitGroups ? Math.max(1, Math.min(g.cap, g.members.length)) : 1;
    const split: PlanEntry[][] = Array.from({ length: k }, () => []);
    g.members.forEach((m, i) => split[i % k]?.push(m));
    chunks.push(...split);
  }
  const sequences: PlanEntry[][] = Array.from({ length: Math.max(1, Math.min(chunks.length, count)) }, () => []);
  const first = (c: PlanEntry[]): number => order.get(resourceKey(c[0]?.resourceId ?? "")) ?? 0;
  chunks.sort((a, b) => b.length - a.length || first(a) - first(b));
  for (const chunk of chunks) {
    let best = 0;
    for (let i = 1; i < sequences.length; i++)
      if ((sequences[i]?.length ?? 0) < (sequences[best]?.length ?? 0)) best = i;
    sequences[best]?.push(...chunk);
  }
  for (const seq of sequences)
    seq.sort((a, b) => (order.get(resourceKey(a.resourceId)) ?? 0) - (order.get(resourceKey(b.resourceId)) ?? 0));
  return sequences;
}

/**
 * Splits `cap` among lanes (at most `cap` of them) in proportion to their sizes: each gets at least 1, none more
 * than its size, and together never more than `cap`. A lane whose proportion rounds down to 0 still gets 1: what
 * that takes above the cap is given back by the lanes with the least work per unit of share.
 */
function divideCap(sizes: readonly number[], cap: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const shares = sizes.map((s) => Math.max(1, Math.min(s, Math.floor((cap * s) / Math.max(1, total)))));
  let over = shares.reduce((a, b) => a + b, 0) - cap;
  while (over > 0) {
    let worst = -1;
    for (const [i, s] of sizes.entries()) {
      const share = shares[i] ?? 1;
      if (share > 1 && (worst < 0 || s / share < (sizes[worst] ?? 0) / (shares[worst] ?? 1))) worst = i;
    }
    // Every lane at 1 and still over: more lanes than the cap, which dealLanes never makes.
    if (worst < 0) throw new RangeError(`${sizes.length} lanes cannot share a cap of ${cap}`);
    shares[worst] = (shares[worst] ?? 1) - 1;
    over--;
  }
  let left = cap - shares.reduce((a, b) => a + b, 0);
  while (left > 0) {
    let best = -1;
    for (const [i, s] of sizes.entries()) {
      const room = s - (shares[i] ?? 0);
      if (room > 0 && (best < 0 || room > s - (shares[best] ?? 0))) best = i;
    }
    if (best < 0) break;
    shares[best] = (shares[best] ?? 0) + 1;
    left--;
  }
  return shares;
}
