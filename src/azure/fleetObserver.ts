/**
 * Observes the power states of many VMs at once: one paged `statusOnly=true` listing of the subscription
 * (VirtualMachines_ListAll) answers every poll made within a few seconds of it, instead of an operation-status and an
 * instance-view read per VM and poll. The listing is taken only when it costs fewer requests than it spares; otherwise
 * the caller reads the VM itself.
 *
 * A poll spared by a listing is one the listing answers outright: a step's last confirmation, or a step still under
 * way. A poll that sends the VM's next step when it sees this one end (observePowerState's `thenSend`) is not: the
 * write must act on the VM's own read, taken anyway (activities/observePowerState.ts). Such a poll uses a listing
 * already current but never asks for one. A listing is taken when the polls it could have answered outright over the
 * last listing interval are at least three times its pages (its pages after a listing that paid): what a listing
 * spares is the polls of its interval, and polls come in clumps (a wave's VMs end their steps about together), so the
 * last interval is the best guess of the next, and the margin covers a clump ending. Its
 * pages are the last listing's, or before the first one ⌈n / 50⌉ for the plan's count of VMs (else for the VMs
 * polling): no listing is taken only to learn its cost.
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
/** How far back the VMs polling are counted (their number bounds a subscription of unknown size from below). */
const DEMAND_WINDOW_SECONDS = 180;
/** Azure pages VM listings at 50 (docs/performance.md, "Cost of a listing"). */
const VMS_PER_PAGE = 50;
/**
 * Most pages a listing may take: the share of one minute's High Cost Get budget. A subscription that needs more cannot
 * be listed within the budget (ARM throttles the rest: the listing would fail, or its first pages would be minutes
 * old by its last), so it is never listed: each poll reads its own VM. Azure's VM lists page at 50, so this is about
 * 12,000 VMs.
 */
export const MAX_LISTING_PAGES = Math.floor(HIGH_COST_GET_PER_MINUTE * HIGH_COST_GET_SHARE);
/** The longest interval between listings (a spent High Cost Get bucket): how far back answerable polls are kept. */
const LONGEST_INTERVAL_SECONDS = 60;
/** Wait after a listing failed before another is tried (ARM's Retry-After when longer). */
const FAILED_LISTING_HOLD_SECONDS = 5;

interface Listing {
  /** Caller time (epoch ms) of the poll that asked for it: its states are at least this recent. */
  takenAt: number;
  pages: number;
  /** Seconds the next listing must wait, from the pages it takes and Compute's remaining High Cost Get budget. */
  intervalSeconds: number;
  byId: ReadonlyMap<string, VmPowerStatus>;
  /** Polls it answered outright: the reads it spared. */
  answered: number;
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
  /**
   * Last poll time of each VM that asked (resource key → caller time), kept until the first listing: it only sizes
   * that listing when the plan's count is unknown; later listings take the last one's pages.
   */
  demand: Map<string, number>;
  /** A listing stopped at MAX_LISTING_PAGES with more to come: this subscription is read VM by VM from then on. */
  tooLarge?: boolean;
  /** Caller times of the recent polls a listing could answer outright (not a poll that sends), oldest first. */
  answerable: number[];
}

/** Seconds until the next listing may be taken: its pages against the share of High Cost Get it may use. */
export function listingIntervalSeconds(pages: number, highCostGetRemaining: number | undefined): number {
  const perMinute = HIGH_COST_GET_PER_MINUTE * HIGH_COST_GET_SHARE;
  let seconds = Math.max(MIN_LISTING_INTERVAL_SECONDS, Math.ceil((pages * 60) / perMinute));
  // Not enough tokens left for another listing: Compute refills its buckets once a minute.
  if (highCostGetRemaining !== undefined && highCostGetRemaining < pages) seconds = Math.max(seconds, 60);
  return seconds;
}

/**
 * Whether a listing of `pages` pays: the polls it could have answered outright over its interval (`answerable`, the
 * last interval's) are at least its pages — three times its pages unless the last listing paid (`lastPaid`), as a clump
 * may be over by the time the listing comes.
 */
export function listingPaysOff(pages: number, answerable: number, lastPaid = false): boolean {
  return pages <= MAX_LISTING_PAGES && answerable >= (lastPaid ? 1 : 3) * pages;
}

/** The pages a first listing is expected to take: the plan's count of VMs (else the VMs polling), 50 a page. */
export function expectedPages(vmsPolling: number, subscriptionVms?: number): number {
  return Math.max(1, Math.ceil(Math.max(subscriptionVms ?? 0, vmsPolling) / VMS_PER_PAGE));
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
    if (sub.latest === undefined) {
      sub.demand.set(resourceKey(resourceId), asOf);
      for (const [id, at] of sub.demand) if (at < asOf - DEMAND_WINDOW_SECONDS * 1000) sub.demand.delete(id);
    }
    if (!reusesOnly) sub.answerable.push(asOf);
    const horizon = asOf - LONGEST_INTERVAL_SECONDS * 1000;
    while ((sub.answerable[0] ?? asOf) < horizon) sub.answerable.shift();

    const usable = (l: Listing): boolean => l.takenAt >= notBefore && asOf < l.takenAt + l.intervalSeconds * 1000;
    let listing = sub.latest !== undefined && usable(sub.latest) ? sub.latest : undefined;
    if (listing === undefined) {
      if (sub.inFlight !== undefined && sub.inFlight.takenAt >= notBefore) {
        listing = await sub.inFlight.promise;
      } else {
        if (reusesOnly) return { kind: "perResource" };
        if (sub.failed !== undefined && asOf < sub.failed.until) throw sub.failed.error;
        const last = sub.latest;
        const pages = last?.pages ?? expectedPages(sub.demand.size, hints.subscriptionVms);
        const interval = last?.intervalSeconds ?? listingIntervalSeconds(pages, undefined);
        const since = asOf - interval * 1000;
        const answerable = sub.answerable.filter((at) => at > since).length;
        const lastPaid = last !== undefined && last.answered >= last.pages;
        if (!listingPaysOff(pages, answerable, lastPaid)) return { kind: "perResource" };
        listing = await this.take(subscriptionId, sub, Math.max(asOf, notBefore));
      }
    }
    if (listing === undefined) return { kind: "perResource" };
    if (!reusesOnly) listing.answered++;
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
      s = { demand: new Map(), answerable: [] };
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
        const listing: Listing = {
          takenAt,
          pages: r.listing.pages,
          intervalSeconds: listingIntervalSeconds(r.listing.pages, r.highCostGetRemaining),
          byId: new Map(r.listing.vms.map((v) => [resourceKey(v.id), v] as const)),
          answered: 0,
        };
        if (sub.latest === undefined || sub.latest.takenAt <= takenAt) sub.latest = listing;
        sub.demand.clear();
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
