/**
 * Observes the power states of many VMs at once: one paged `statusOnly=true` listing of the subscription
 * (VirtualMachines_ListAll) answers every poll made within a few seconds of it, instead of an operation-status and an
 * instance-view read per VM and poll. The listing is taken only when it costs fewer requests than it spares; otherwise
 * the caller reads the VM itself.
 *
 * A poll spared by a listing is one the listing answers outright: a step's last confirmation, or a step still under
 * way. A poll that sends the VM's next step when it sees this one end (observePowerState's `thenSend`) is not: the
 * write must act on the VM's own read, taken anyway (activities/observePowerState.ts). Such a poll uses a listing
 * already current but never asks for one. So the first listing is taken when the VMs polling could pay for it (its
 * pages known from the plan's count of VMs, else the fewest their number implies), and another only while the
 * listings so far have spared at least as many reads as their pages, or once the VMs polling have doubled since the
 * last.
 *
 * Times are the callers' (an orchestration's replay-safe clock, passed in), never this process's own, so the same
 * rules hold under a virtual clock. A listing is stamped with the time of the poll that asked for it; as it is sent
 * after that poll was made, its states are at least that recent.
 */
import type { VmPowerListing, VmPowerStatus } from "../contracts/azure";
import { resourceKey } from "../contracts/ids";
import { AzureOperationError } from "../errors";

/** Compute's High Cost Get budget (list, list all) per subscription and minute; one token per page. */
const HIGH_COST_GET_PER_MINUTE = 300;
/** Fraction of that budget the listings may use: the rest is left to discovery and to anyone else. */
const HIGH_COST_GET_SHARE = 0.8;
/** Shortest time between two listings of a subscription. */
const MIN_LISTING_INTERVAL_SECONDS = 5;
/**
 * How far back a poll counts as demand: about one cycle (150 s) and then some, so that the VMs of the previous step
 * still count when the next step's first polls arrive.
 */
const DEMAND_WINDOW_SECONDS = 180;
/**
 * Requests a second a VM that polled within the demand window costs when read on its own: about six reads (the
 * operation's status, then the final state) over a 150 s cycle is 0.04 a second for a VM in flight, and the window
 * (180 s) counts about twice the VMs in flight when they come and go. A first listing is taken when its own rate
 * (pages / interval) is no more than this times the VMs counted: what it could spare at best, learnt after it.
 */
const PER_RESOURCE_READS_PER_SECOND = 0.02;
/** Azure pages VM listings at 50 (docs/performance.md, "Cost of a listing"). */
const VMS_PER_PAGE = 50;
/**
 * Most pages a listing may take: the share of one minute's High Cost Get budget. A subscription that needs more cannot
 * be listed within the budget (ARM throttles the rest: the listing would fail, or its first pages would be minutes
 * old by its last), so it is never listed: each poll reads its own VM. Azure's VM lists page at 50, so this is about
 * 12,000 VMs.
 */
export const MAX_LISTING_PAGES = Math.floor(HIGH_COST_GET_PER_MINUTE * HIGH_COST_GET_SHARE);
/** Wait after a listing failed before another is tried (ARM's Retry-After when longer). */
const FAILED_LISTING_HOLD_SECONDS = 5;

interface Listing {
  /** Caller time (epoch ms) of the poll that asked for it: its states are at least this recent. */
  takenAt: number;
  pages: number;
  /** Seconds the next listing must wait, from the pages it takes and Compute's remaining High Cost Get budget. */
  intervalSeconds: number;
  byId: ReadonlyMap<string, VmPowerStatus>;
  /** The VMs polling when it was taken. */
  demand: number;
}

type Observation =
  | { kind: "listed"; takenAt: number; freshUntil: number; status: VmPowerStatus | undefined }
  /** Reading the VMs in flight one by one is cheaper than listing the whole subscription now. */
  | { kind: "perResource" };

/** What a listing returned, and what Compute's rate-limit headers said of its High Cost Get budget afterwards. */
export interface ListingResult {
  listing: VmPowerListing;
  highCostGetRemaining?: number;
}

interface SubscriptionState {
  latest?: Listing;
  inFlight?: { takenAt: number; promise: Promise<Listing | undefined> } | undefined;
  failed?: { until: number; error: unknown } | undefined;
  /** Last poll time of each VM that asked (resource key → caller time). */
  demand: Map<string, number>;
  /** A listing stopped at MAX_LISTING_PAGES with more to come: this subscription is read VM by VM from then on. */
  tooLarge?: boolean;
  /** Polls the listings answered outright (a poll that sends reads the VM anyway): the reads they spared. */
  spared: number;
  /** Pages the listings took. */
  pagesTaken: number;
}

/** Seconds until the next listing may be taken: its pages against the share of High Cost Get it may use. */
export function listingIntervalSeconds(pages: number, highCostGetRemaining: number | undefined): number {
  const perMinute = HIGH_COST_GET_PER_MINUTE * HIGH_COST_GET_SHARE;
  let seconds = Math.max(MIN_LISTING_INTERVAL_SECONDS, Math.ceil((pages * 60) / perMinute));
  // Not enough tokens left for another listing: Compute refills its buckets once a minute.
  if (highCostGetRemaining !== undefined && highCostGetRemaining < pages) seconds = Math.max(seconds, 60);
  return seconds;
}

/** Whether one listing every interval could cost no more requests than reading the `demand` VMs polling one by one. */
export function listingPaysOff(pages: number, intervalSeconds: number, demand: number): boolean {
  return pages / intervalSeconds <= PER_RESOURCE_READS_PER_SECOND * demand;
}

/**
 * Whether a first listing may pay for the `demand` VMs polling: a subscription of `subscriptionVms` (the plan's
 * count) lists in ⌈n / 50⌉ pages; unknown, the fewest pages the VMs polling imply. Never for a canary's one poll, nor
 * (known) for 500 VMs with 20 in flight: a listing taken only to learn its cost cost its whole length.
 */
export function firstListingMayPay(demand: number, subscriptionVms?: number): boolean {
  const pages = Math.max(1, Math.ceil(Math.max(subscriptionVms ?? 0, demand) / VMS_PER_PAGE));
  return pages <= MAX_LISTING_PAGES && listingPaysOff(pages, listingIntervalSeconds(pages, undefined), demand);
}

/** What a poll tells the observer besides its VM and times. */
export interface PollHints {
  /** The poll sends on what it sees: a listing cannot spare its read, so it takes a current one or none. */
  reusesOnly?: boolean | undefined;
  /** VMs of the subscription the plan counted. */
  subscriptionVms?: number | undefined;
}

export class FleetObserver {
  private readonly subscriptions = new Map<string, SubscriptionState>();

  /** `list` takes at most `maxPages` pages and says when it stopped with more to come (`listing.truncated`). */
  constructor(private readonly list: (subscriptionId: string, maxPages: number) => Promise<ListingResult>) {}

  /**
   * The VM's status from a listing taken no earlier than `notBefore` (a poll must see what happened after the step it
   * watches began) and no longer ago than the listing interval at `asOf`; or "perResource" when listing does not pay.
   * A listing already under way is shared. Throws what the listing threw (AzureOperationError).
   */
  async observe(
    subscriptionId: string,
    resourceId: string,
    asOf: number,
    notBefore: number,
    hints: PollHints = {},
  ): Promise<Observation> {
    const reusesOnly = hints.reusesOnly === true;
    const sub = this.state(subscriptionId);
    if (sub.tooLarge === true) return { kind: "perResource" };
    sub.demand.set(resourceKey(resourceId), asOf);
    for (const [id, at] of sub.demand) if (at < asOf - DEMAND_WINDOW_SECONDS * 1000) sub.demand.delete(id);

    const usable = (l: Listing): boolean => l.takenAt >= notBefore && asOf < l.takenAt + l.intervalSeconds * 1000;
    let listing = sub.latest !== undefined && usable(sub.latest) ? sub.latest : undefined;
    if (listing === undefined) {
      if (sub.inFlight !== undefined && sub.inFlight.takenAt >= notBefore) {
        listing = await sub.inFlight.promise;
      } else {
        if (reusesOnly) return { kind: "perResource" };
        if (sub.failed !== undefined && asOf < sub.failed.until) throw sub.failed.error;
        // Polls come in clumps (a wave's VMs end their steps about together): what a listing spared is learnt after it.
        const last = sub.latest;
        const demand = sub.demand.size;
        const pays =
          last === undefined
            ? firstListingMayPay(demand, hints.subscriptionVms)
            : sub.spared >= sub.pagesTaken || demand >= 2 * last.demand;
        if (!pays) return { kind: "perResource" };
        listing = await this.take(subscriptionId, sub, Math.max(asOf, notBefore));
      }
    }
    if (listing === undefined) return { kind: "perResource" };
    if (!reusesOnly) sub.spared++;
    return {
      kind: "listed",
      takenAt: listing.takenAt,
      freshUntil: listing.takenAt + listing.intervalSeconds * 1000,
      status: listing.byId.get(resourceKey(resourceId)),
    };
  }

  private state(subscriptionId: string): SubscriptionState {
    const key = subscriptionId.toLowerCase();
    let s = this.subscriptions.get(key);
    if (s === undefined) {
      s = { demand: new Map(), spared: 0, pagesTaken: 0 };
      this.subscriptions.set(key, s);
    }
    return s;
  }

  /** Takes a listing; undefined when the subscription turned out too large to list (then never listed again). */
  private take(subscriptionId: string, sub: SubscriptionState, takenAt: number): Promise<Listing | undefined> {
    const promise = this.list(subscriptionId, MAX_LISTING_PAGES).then(
      (r): Listing | undefined => {
        if (r.listing.truncated === true) {
          sub.tooLarge = true;
          sub.demand.clear();
          return undefined;
        }
        sub.pagesTaken += r.listing.pages;
        const listing: Listing = {
          takenAt,
          pages: r.listing.pages,
          intervalSeconds: listingIntervalSeconds(r.listing.pages, r.highCostGetRemaining),
          byId: new Map(r.listing.vms.map((v) => [resourceKey(v.id), v] as const)),
          demand: sub.demand.size,
        };
        if (sub.latest === undefined || sub.latest.takenAt <= takenAt) sub.latest = listing;
        sub.failed = undefined;
        return listing;
      },
      (e: unknown): never => {
        const wait =
          e instanceof AzureOperationError && e.retryAfterSeconds !== undefined
            ? Math.max(e.retryAfterSeconds, FAILED_LISTING_HOLD_SECONDS)
            : FAILED_LISTING_HOLD_SECONDS;
        sub.failed = { until: takenAt + wait * 1000, error: e };
        throw e;
      },
    );
    const entry = { takenAt, promise };
    sub.inFlight = entry;
    const clear = (): void => {
      if (sub.inFlight === entry) sub.inFlight = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }
}
