/**
 * Re-verification rules: which machines still run with the network policy they had before the exemption, and
 * which temporary subnets were left behind.
 *
 * A machine picks up the new policy only when it is started from deallocated after the exemption took effect. ARM
 * has no "last started" time (the instance view's PowerState carries none), so each running VM or uniform
 * scale-set instance is judged from what Azure does record:
 *   1. its `timeCreated`: created at or after the exemption ⇒ remediated;
 *   2. the audit store: a run since the exemption cycled (deallocated) it ⇒ remediated;
 *   3. the Activity Log (90 days): a Succeeded start at or after the exemption whose previous power event is a
 *      Succeeded deallocate ⇒ remediated; a start whose previous event is a start came from "stopped" (same host,
 *      old policy) and does not count.
 * Otherwise it is stale when the log covers the whole time since the exemption and shows nothing that could have
 * re-allocated it, and unknown when it does not (the exemption is older than the log's retention, the log could
 * not be read, a start's earlier history is past the window, or a scale-set-wide start does not say which
 * instances it started). Unknown is reported as such and never auto-remediated by default.
 */
import type { Discovery, PowerEvent, ScaleSetInfo, VmInfo } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";
import { TEMP_SUBNET_PREFIX } from "../contracts/options";
import type { ResourceOutcome } from "../contracts/outcome";
import type { CycledResource, Straggler } from "../contracts/reverify";

/** The Activity Log as read: the window it covers and the Succeeded deallocate/start events in it. */
export interface ActivityLogView {
  from: string;
  to: string;
  events: readonly PowerEvent[];
}

export interface LastRunView {
  /** When the exemption took effect: the last run's attestation.approvedAt. */
  exemptionEffectiveAt: string;
  /** Every resource a run gave an outcome (any kind, any outcome). */
  resourceIds: readonly string[];
  /** What runs since the exemption cycled (audit store). */
  cycled?: readonly CycledResource[];
  /** The Activity Log's power events; undefined when it could not be read (with the reason). */
  activityLog?: ActivityLogView | undefined;
  activityLogUnreadable?: string | undefined;
}

type Verdict =
  | { kind: "remediated" }
  | { kind: "stale"; since?: string | undefined }
  | { kind: "unknown"; since?: string | undefined; why: string };

interface Timed {
  operation: PowerEvent["operation"];
  at: number;
  text: string;
  /** A scale-set-wide event: it may or may not concern a given instance. */
  wide: boolean;
}

function ms(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** Events of one machine (and, for an instance, its scale set's own), oldest first. */
function eventsOf(byResource: ReadonlyMap<string, PowerEvent[]>, key: string, wideKey?: string): Timed[] {
  const out: Timed[] = [];
  const add = (events: readonly PowerEvent[] | undefined, wide: boolean): void => {
    for (const e of events ?? []) {
      const at = ms(e.at);
      if (at !== undefined) out.push({ operation: e.operation, at, text: e.at, wide });
    }
  };
  add(byResource.get(key), false);
  if (wideKey !== undefined) add(byResource.get(wideKey), true);
  // A deallocate and a start at the same instant: the deallocate came first.
  return out.sort((a, b) => a.at - b.at || (a.operation === b.operation ? 0 : a.operation === "deallocate" ? -1 : 1));
}

interface MachineFacts {
  timeCreated?: string | undefined;
  /** Runs since the exemption deallocated it. */
  cycledByRun: boolean;
  events: Timed[];
}

function judge(facts: MachineFacts, effectiveAtMs: number, view: LastRunView): Verdict {
  const created = ms(facts.timeCreated);
  if (created !== undefined && created >= effectiveAtMs) return { kind: "remediated" };
  if (facts.cycledByRun) return { kind: "remediated" };
  const log = view.activityLog;
  if (log === undefined)
    return {
      kind: "unknown",
      why: `the Activity Log could not be read (${view.activityLogUnreadable ?? "no reason given"})`,
    };
  const events = facts.events;
  const lastStart = [...events].reverse().find((e) => e.operation === "start" && !e.wide)?.text;
  const since = lastStart !== undefined ? { since: lastStart } : {};
  let unattributed: string | undefined;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e === undefined || e.at < effectiveAtMs || e.operation !== "start") continue;
    const previous = i > 0 ? events[i - 1] : undefined;
    if (e.wide) {
      unattributed ??= `a scale-set-wide start at ${e.text} does not say which instances it started`;
      continue;
    }
    if (previous?.operation === "deallocate" && !previous.wide) return { kind: "remediated" };
    if (previous === undefined)
      unattributed ??= `it was started at ${e.text}, and whether from deallocated is past the Activity Log's window`;
    else if (previous.wide)
      unattributed ??= `it was started at ${e.text} after a scale-set-wide ${previous.operation} that may not have included it`;
  }
  const wideDeallocate = events.find((e) => e.wide && e.operation === "deallocate" && e.at >= effectiveAtMs);
  if (wideDeallocate !== undefined)
    unattributed ??= `a scale-set-wide deallocate at ${wideDeallocate.text} may have included it`;
  const logFrom = ms(log.from);
  if (logFrom === undefined || logFrom > effectiveAtMs) {
    return {
      kind: "unknown",
      ...since,
      why: `the exemption took effect (${view.exemptionEffectiveAt}) before the Activity Log's window (from ${log.from}), and no run cycled it since`,
    };
  }
  if (unattributed !== undefined) return { kind: "unknown", ...since, why: unattributed };
  return { kind: "stale", ...since };
}

function straggler(
  base: Pick<Straggler, "resourceId" | "kind" | "name" | "resourceGroup">,
  verdict: Exclude<Verdict, { kind: "remediated" }>,
  known: ReadonlySet<string>,
): Straggler {
  const since = verdict.since !== undefined ? { since: verdict.since } : {};
  if (verdict.kind === "unknown") return { ...base, reason: "startUnknown", ...since, detail: verdict.why };
  return {
    ...base,
    reason: known.has(resourceKey(base.resourceId)) ? "notStartedSinceRun" : "createdAfterRun",
    ...since,
  };
}

interface Context {
  effectiveAtMs: number;
  view: LastRunView;
  known: ReadonlySet<string>;
  cycled: ReadonlyMap<string, { all: boolean; instances: Set<string> }>;
  events: ReadonlyMap<string, PowerEvent[]>;
}

function vmStraggler(vm: VmInfo, c: Context): Straggler | undefined {
  if (vm.powerState !== "running") return undefined;
  const key = resourceKey(vm.id);
  const verdict = judge(
    { timeCreated: vm.timeCreated, cycledByRun: c.cycled.has(key), events: eventsOf(c.events, key) },
    c.effectiveAtMs,
    c.view,
  );
  if (verdict.kind === "remediated") return undefined;
  return straggler({ resourceId: vm.id, kind: "vm", name: vm.name, resourceGroup: vm.resourceGroup }, verdict, c.known);
}

/**
 * One straggler per scale set: established (stale) when any running instance is stale, else startUnknown when any
 * is unknown; `since` is the oldest known start among them.
 */
function scaleSetStraggler(ss: ScaleSetInfo, c: Context): Straggler | undefined {
  const key = resourceKey(ss.id);
  const run = c.cycled.get(key);
  const stale: Verdict[] = [];
  const unknown: Verdict[] = [];
  for (const i of ss.instances) {
    if (i.powerState !== "running") continue;
    const verdict = judge(
      {
        timeCreated: i.timeCreated,
        cycledByRun: run !== undefined && (run.all || run.instances.has(i.instanceId)),
        events: eventsOf(c.events, `${key}/virtualmachines/${i.instanceId.toLowerCase()}`, key),
      },
      c.effectiveAtMs,
      c.view,
    );
    if (verdict.kind === "stale") stale.push(verdict);
    else if (verdict.kind === "unknown") unknown.push(verdict);
  }
  const chosen = stale.length > 0 ? stale : unknown;
  const first = chosen[0];
  if (first === undefined || first.kind === "remediated") return undefined;
  const since = earliest(chosen.map((v) => (v.kind === "remediated" ? undefined : v.since)));
  const verdict: Exclude<Verdict, { kind: "remediated" }> =
    first.kind === "stale"
      ? { kind: "stale", since }
      : { kind: "unknown", since, why: `${chosen.length} running instance(s): ${first.why}` };
  return straggler(
    { resourceId: ss.id, kind: "scaleSet", name: ss.name, resourceGroup: ss.resourceGroup },
    verdict,
    c.known,
  );
}

function earliest(times: readonly (string | undefined)[]): string | undefined {
  let best: { at: number; text: string } | undefined;
  for (const text of times) {
    const at = ms(text);
    if (text !== undefined && at !== undefined && (best === undefined || at < best.at)) best = { at, text };
  }
  return best?.text;
}

/**
 * Running VMs and uniform scale sets not started from deallocated since the exemption took effect, or whose start
 * cannot be established (startUnknown), ordered by resource id. "createdAfterRun" when no run gave the resource an
 * outcome (it did not exist, or was not listed, then).
 */
export function findStragglers(discovery: Discovery, lastRun: LastRunView): Straggler[] {
  const effectiveAtMs = Date.parse(lastRun.exemptionEffectiveAt);
  if (Number.isNaN(effectiveAtMs))
    throw new RangeError(`exemptionEffectiveAt is not a time: ${lastRun.exemptionEffectiveAt}`);
  const cycled = new Map<string, { all: boolean; instances: Set<string> }>();
  for (const r of lastRun.cycled ?? []) {
    const at = ms(r.at);
    if (at === undefined || at < effectiveAtMs) continue;
    const key = resourceKey(r.resourceId);
    const entry = cycled.get(key) ?? { all: false, instances: new Set<string>() };
    if (r.instanceIds === undefined) entry.all = true;
    for (const id of r.instanceIds ?? []) entry.instances.add(id);
    cycled.set(key, entry);
  }
  const events = new Map<string, PowerEvent[]>();
  for (const e of lastRun.activityLog?.events ?? []) {
    const key = resourceKey(e.resourceId);
    events.set(key, [...(events.get(key) ?? []), e]);
  }
  const c: Context = {
    effectiveAtMs,
    view: lastRun,
    known: new Set(lastRun.resourceIds.map(resourceKey)),
    cycled,
    events,
  };
  const seen = new Set<string>();
  const out: Straggler[] = [];
  const add = (s: Straggler | undefined): void => {
    if (s === undefined) return;
    const key = resourceKey(s.resourceId);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(s);
  };
  for (const vm of discovery.vms) add(vmStraggler(vm, c));
  for (const ss of discovery.scaleSets) add(scaleSetStraggler(ss, c));
  return out.sort((a, b) => {
    const ka = resourceKey(a.resourceId);
    const kb = resourceKey(b.resourceId);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** How far back the Activity Log is read: inside its 90-day retention, with an hour to spare for clock skew. */
const ACTIVITY_LOG_WINDOW_MS = 90 * 86_400_000 - 3_600_000;

/** The Activity Log window a re-verification at `at` reads: as far back as the log keeps events. */
export function activityLogWindow(at: string): { from: string; to: string } {
  return {
    from: new Date(Date.parse(at) - ACTIVITY_LOG_WINDOW_MS).toISOString(),
    to: new Date(Date.parse(at)).toISOString(),
  };
}

/** Stragglers a re-verification may remediate on its own: established stale starts, and unknowns only when asked. */
export function autoRemediable(stragglers: readonly Straggler[], includeUnknownStarts: boolean): Straggler[] {
  return stragglers.filter((s) => s.reason !== "startUnknown" || includeUnknownStarts);
}

interface TemporarySubnet {
  vnetId: string;
  vnetName: string;
  subnetName: string;
  /** The subnet's ARM id. */
  subnetId: string;
}

/**
 * Subnets named with the product's temporary prefix. Outside a live run every one of them is a leak: a run removes
 * its temporary subnet before it ends, and the caller only looks while no run of the subscription is live.
 */
export function findTemporarySubnets(discovery: Discovery): TemporarySubnet[] {
  const out: TemporarySubnet[] = [];
  for (const vnet of discovery.vnets) {
    for (const subnet of vnet.subnets) {
      if (!subnet.name.startsWith(TEMP_SUBNET_PREFIX)) continue;
      out.push({
        vnetId: vnet.id,
        vnetName: vnet.name,
        subnetName: subnet.name,
        subnetId: `${vnet.id.replace(/\/+$/, "")}/subnets/${subnet.name}`,
      });
    }
  }
  return out.sort((a, b) =>
    a.subnetId.toLowerCase() < b.subnetId.toLowerCase()
      ? -1
      : a.subnetId.toLowerCase() > b.subnetId.toLowerCase()
        ? 1
        : 0,
  );
}

/**
 * The events findStragglers can use, to keep what an orchestration stores small: per resource, every event at or
 * after the exemption and the one just before each of them (it tells a start from deallocated from one from
 * stopped). Oldest first.
 */
export function relevantPowerEvents(events: readonly PowerEvent[], exemptionEffectiveAt: string): PowerEvent[] {
  const effectiveAtMs = Date.parse(exemptionEffectiveAt);
  const byResource = new Map<string, PowerEvent[]>();
  for (const e of events) {
    const key = resourceKey(e.resourceId);
    byResource.set(key, [...(byResource.get(key) ?? []), e]);
  }
  const out: PowerEvent[] = [];
  for (const list of byResource.values()) {
    const sorted = [...list].sort(
      (a, b) =>
        Date.parse(a.at) - Date.parse(b.at) ||
        (a.operation === b.operation ? 0 : a.operation === "deallocate" ? -1 : 1),
    );
    const first = sorted.findIndex((e) => Date.parse(e.at) >= effectiveAtMs);
    if (first === -1) {
      const last = sorted[sorted.length - 1];
      if (last !== undefined) out.push(last);
      continue;
    }
    out.push(...sorted.slice(Math.max(0, first - 1)));
  }
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** What a run cycled at or after `effectiveAtMs`: each resource it deallocated, with its scale-set instances. */
export function cycledBy(runId: string, outcomes: readonly ResourceOutcome[], effectiveAtMs: number): CycledResource[] {
  const out: CycledResource[] = [];
  for (const o of outcomes) {
    if (o.outcome !== "cycled" || (o.kind !== "vm" && o.kind !== "scaleSet") || o.startedAt === undefined) continue;
    const at = Date.parse(o.startedAt);
    if (Number.isNaN(at) || at < effectiveAtMs) continue;
    let instanceIds: string[] | undefined;
    if (o.kind === "scaleSet") {
      const d = o.detail ?? {};
      const list = (v: unknown): string[] =>
        Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
      instanceIds = [...list(d["instanceIds"]), ...list(d["stoppedInstanceIds"])];
    }
    out.push({ resourceId: o.resourceId, instanceIds, at: o.startedAt, runId });
  }
  return out;
}
