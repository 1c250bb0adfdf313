/**
 * Turns what one simulated run leaves behind (outcomes, the host's per-instance stats, the simulator's request log
 * and timeline) into the benchmark's figures, including where the time between the bound and the run goes.
 */
import type { HostStats } from "../src/durable-host";
import type { RequestLogEntry, Scenario, SimState, StateChange } from "../src/simulator";
import type { ResourceOutcome } from "../src/contracts/outcome";
import type { AvailabilitySetRule, RunningVmCycle } from "../src/contracts/options";
import type { Caps, Plan, PowerStep } from "../src/contracts/plan";
import { availabilitySetRounds, domainKey, type SchedItem } from "../src/domain/scheduler";
import {
  LISTING_PAGE_VMS,
  NOMINAL_CYCLE_SECONDS,
  READ_BUCKET,
  WRITE_BUCKET,
  type AvailabilitySetsDown,
  type FleetMetrics,
  type HonestBound,
} from "./spec";

type Orchestration = FleetMetrics["orchestration"];
type Arm = FleetMetrics["arm"];
type Time = FleetMetrics["time"];
type Outcomes = FleetMetrics["outcomes"];

const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : 0);
const ms = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso));
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Resources whose power cycle the run performed: the N of the bound. */
export function cycledResources(outcomes: readonly ResourceOutcome[]): ResourceOutcome[] {
  return outcomes.filter((o) => o.outcome === "cycled" && o.kind !== "vnet");
}

export function summariseOutcomes(outcomes: readonly ResourceOutcome[]): Outcomes {
  const cycled = cycledResources(outcomes);
  const failed = outcomes.filter((o) => o.outcome === "failed");
  const failedByReason: Record<string, number> = {};
  for (const o of failed)
    failedByReason[o.reasonCode ?? "unknown"] = (failedByReason[o.reasonCode ?? "unknown"] ?? 0) + 1;
  return {
    total: outcomes.length,
    cycled: cycled.length,
    cycledVms: cycled.filter((o) => o.kind === "vm").length,
    cycledScaleSets: cycled.filter((o) => o.kind === "scaleSet").length,
    cycledFullVms: cycled.filter((o) => o.kind === "vm" && o.actions.length >= 3).length,
    failed: failed.length,
    skipped: outcomes.filter((o) => o.outcome === "skipped").length,
    failedByReason,
    failedByThrottling: failed.filter(
      (o) => o.reasonCode === "throttled" || o.errorCode === "SubscriptionRequestsThrottled",
    ).length,
  };
}

export function summariseOrchestration(stats: HostStats, cycled: number): Orchestration {
  const byName: Orchestration["byName"] = {};
  let largest = { events: 0, instanceId: "", name: "" };
  for (const i of stats.instances) {
    const b = (byName[i.name] ??= { instances: 0, replays: 0, maxReplays: 0, maxHistory: 0, cpuMs: 0 });
    b.instances += 1;
    b.replays += i.replays;
    b.maxReplays = Math.max(b.maxReplays, i.replays);
    b.maxHistory = Math.max(b.maxHistory, i.historyLength);
    b.cpuMs += i.orchestratorCpuMs;
    if (i.historyLength > largest.events) largest = { events: i.historyLength, instanceId: i.instanceId, name: i.name };
  }
  for (const b of Object.values(byName)) b.cpuMs = round(b.cpuMs, 1);
  const episodes = stats.instances.reduce((n, i) => n + i.replays, 0);
  return {
    instances: stats.instances.length,
    episodes,
    orchestratorCpuMs: round(stats.orchestratorCpuMs, 1),
    orchestratorHandlerMs: round(stats.orchestratorHandlerMs, 1),
    episodeMs: round(stats.episodeMs, 1),
    replaysPerCycledVm: round(episodes / Math.max(1, cycled)),
    maxHistory: largest,
    byName,
  };
}

/** When the fleet phase began: the first start of a resource outside the canary wave. */
export function fleetStart(outcomes: readonly ResourceOutcome[]): number | undefined {
  const starts = cycledResources(outcomes)
    .filter((o) => o.canary !== true)
    .flatMap((o) => ms(o.startedAt) ?? []);
  return starts.length === 0 ? undefined : Math.min(...starts);
}

export function summariseArm(log: readonly RequestLogEntry[], cycled: number, fleetAt: number | undefined): Arm {
  const byOperation: Record<string, number> = {};
  for (const r of log) {
    // The simulator throttles before routing, so a 429 names no operation.
    const key = r.operation ?? (r.status === 429 ? `${r.method} throttled (429)` : `${r.method} unrouted`);
    byOperation[key] = (byOperation[key] ?? 0) + 1;
  }
  const beforeFleet = fleetAt === undefined ? log.length : log.filter((r) => r.at < fleetAt).length;
  const n = Math.max(1, cycled);
  return {
    requests: log.length,
    reads: log.filter((r) => r.kind === "read").length,
    writes: log.filter((r) => r.kind === "write").length,
    deletes: log.filter((r) => r.kind === "delete").length,
    throttled: log.filter((r) => r.status === 429).length,
    beforeFleet,
    perCycledVm: round(log.length / n),
    fleetPerCycledVm: round((log.length - beforeFleet) / n),
    byOperation: Object.fromEntries(Object.entries(byOperation).sort((a, b) => b[1] - a[1])),
  };
}

/** A running VM's cycle: its writes, and the seconds Azure's operations take at the scenario's nominal latencies. */
export interface CycleShape {
  writes: number;
  seconds: number;
}
export const CYCLE_SHAPES: Readonly<Record<RunningVmCycle, CycleShape>> = {
  powerOffDeallocateStart: { writes: 3, seconds: NOMINAL_CYCLE_SECONDS },
  deallocateStart: { writes: 2, seconds: NOMINAL_CYCLE_SECONDS - 30 },
};

/** Lower bound of a run's duration in seconds: N cycles at the cap, or N cycles' writes through ARM's write bucket. */
export function lowerBound(
  n: number,
  concurrency: number,
  shape: CycleShape = CYCLE_SHAPES.powerOffDeallocateStart,
): { concurrency: number; writes: number; bound: number } {
  const byConcurrency = Math.ceil(n / Math.max(1, concurrency)) * shape.seconds;
  const byWrites = Math.max(0, (shape.writes * n - WRITE_BUCKET.capacity) / WRITE_BUCKET.refillPerSecond);
  return { concurrency: byConcurrency, writes: byWrites, bound: Math.max(byConcurrency, byWrites) };
}

/**
 * A wave as the honest bound sees it: what it set out to cycle, the Azure seconds and writes of each resource's
 * planned steps (a stopped VM is only deallocated: one write, not a whole cycle), and its slowest availability set.
 */
export interface HonestWaveInput {
  wave: number;
  canary: boolean;
  resources: number;
  /** Resources whose steps take the whole cycle (a running VM's). */
  fullCycles: number;
  /** Σ of every resource's steps at the nominal latencies, and of its writes (one a step). */
  workSeconds: number;
  writes: number;
  /** Rounds of the wave's largest availability set under the run's rule (members over the cap, or update domains). */
  setRounds: number;
  /**
   * Seconds the slowest availability set needs at least under the run's rule: its members' steps in groups of at
   * most the per-set cap (the longer of whole rounds of full cycles and its work over the cap), or each update
   * domain in turn at its longest member, at the nominal latencies.
   */
  setSeconds: number;
  /** The same at Azure's own durations in the run (nominal where the run's timeline does not show them). */
  actualSetSeconds: number;
  /**
   * The longest any one resource of the wave spent in Azure's own operations in the run (its nominal steps where the
   * run's timeline does not show them): no wave ends before its slowest resource, whatever the cap.
   */
  slowestSeconds: number;
  /** Σ of Azure's own operation seconds of the wave's resources in the run (nominal where not shown). */
  actualWorkSeconds: number;
}

/** Seconds of a power step at the scenario's nominal latencies (bench/fleetCase.ts REALISTIC). */
export const STEP_SECONDS: Readonly<Record<PowerStep, number>> = { powerOff: 30, deallocate: 60, start: 60 };

/**
 * The waves of a run from its outcomes (resources it set out to cycle: cycled or failed) and its plan (each
 * resource's steps, availability set and update domain, and the rule in the plan's caps). A resource the plan does
 * not list counts as a whole cycle of the run's shape.
 */
export function honestWaves(
  outcomes: readonly ResourceOutcome[],
  plan: Plan | undefined,
  shape: CycleShape = CYCLE_SHAPES.powerOffDeallocateStart,
  actual: ReadonlyMap<string, number> = new Map(),
): HonestWaveInput[] {
  const entries = new Map((plan?.entries ?? []).map((e) => [e.resourceId.toLowerCase(), e] as const));
  const caps: Caps = plan?.caps ?? {
    maxConcurrency: 1,
    maxUnavailablePerAvailabilitySet: 1,
    maxUnavailablePerScaleSet: 1,
  };
  type Item = SchedItem & { seconds: number; actualSeconds: number; writes: number };
  const byWave = new Map<number, { canary: boolean; items: Item[] }>();
  for (const o of outcomes) {
    if (o.kind === "vnet" || (o.outcome !== "cycled" && o.outcome !== "failed")) continue;
    const w = byWave.get(o.wave ?? -1) ?? { canary: false, items: [] };
    const e = entries.get(o.resourceId.toLowerCase());
    const steps = e?.steps ?? [];
    w.canary ||= o.canary === true;
    const seconds = steps.length === 0 ? shape.seconds : steps.reduce((t, step) => t + STEP_SECONDS[step], 0);
    w.items.push({
      id: o.resourceId,
      ...(e?.availabilitySetId !== undefined ? { availabilitySetId: e.availabilitySetId } : {}),
      ...(e?.updateDomain !== undefined ? { updateDomain: e.updateDomain } : {}),
      seconds,
      actualSeconds: actual.get(o.resourceId.toLowerCase()) ?? seconds,
      writes: steps.length === 0 ? shape.writes : steps.length,
    });
    byWave.set(o.wave ?? -1, w);
  }
  return [...byWave.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wave, w]) => ({
      wave,
      canary: w.canary,
      resources: w.items.length,
      fullCycles: w.items.filter((i) => i.seconds >= shape.seconds).length,
      workSeconds: w.items.reduce((t, i) => t + i.seconds, 0),
      writes: w.items.reduce((t, i) => t + i.writes, 0),
      setRounds: Math.max(0, ...availabilitySetRounds(w.items, caps).values()),
      setSeconds: slowestSetSeconds(w.items, caps, shape),
      actualSetSeconds: slowestSetSeconds(
        w.items.map((i) => ({ ...i, seconds: i.actualSeconds })),
        caps,
      ),
      slowestSeconds: Math.max(0, ...w.items.map((i) => i.actualSeconds)),
      actualWorkSeconds: w.items.reduce((t, i) => t + i.actualSeconds, 0),
    }));
}

/**
 * The slowest availability set's least duration under the run's rule (see HonestWaveInput.setSeconds). With a cycle
 * shape, whole rounds of full cycles count too; without one (Azure's own durations, which differ member by member),
 * only the members' work over the per-set cap, or each update domain at its longest member.
 */
function slowestSetSeconds(
  items: readonly (SchedItem & { seconds: number })[],
  caps: Caps,
  shape?: CycleShape,
): number {
  const sets = new Map<string, (SchedItem & { seconds: number })[]>();
  for (const i of items) {
    if (i.availabilitySetId === undefined) continue;
    const key = i.availabilitySetId.toLowerCase();
    sets.set(key, [...(sets.get(key) ?? []), i]);
  }
  let slowest = 0;
  for (const members of sets.values()) {
    let seconds: number;
    if (caps.availabilitySetRule === "updateDomain") {
      const domains = new Map<string, number>();
      for (const m of members) domains.set(domainKey(m), Math.max(domains.get(domainKey(m)) ?? 0, m.seconds));
      seconds = [...domains.values()].reduce((t, d) => t + d, 0);
    } else {
      const k = Math.max(1, caps.maxUnavailablePerAvailabilitySet);
      const work = members.reduce((t, m) => t + m.seconds, 0) / k;
      const full = shape === undefined ? 0 : members.filter((m) => m.seconds >= shape.seconds).length;
      seconds = Math.max(Math.ceil(full / k) * (shape?.seconds ?? 0), work, ...members.map((m) => m.seconds));
    }
    slowest = Math.max(slowest, seconds);
  }
  return slowest;
}

/** What the honest bound needs besides the waves: the run's cap, cycle, rule, and the fixed steps around the canary. */
export interface HonestBoundInput {
  concurrency: number;
  shape: CycleShape;
  rule: AvailabilitySetRule;
  /**
   * Seconds from the canary's start to its probe's verdict beyond its cycle: the guest agents reporting ready after
   * the start (the scenario's behaviour.agentReady), then the connectivity check.
   */
  probeSeconds: number;
  /** Seconds of a delegated-subnet refresh (temporary subnet added, then deleted), which precedes the canary; 0 when none. */
  subnetSeconds: number;
  simulatedSeconds: number;
}

/**
 * The honest bound: the subnet refresh and the canary's wave with its probe, then each wave in order — they never
 * overlap — at the largest of its floors: the cap's rounds (ceil(full cycles / cap) cycle times, or the wave's
 * Azure seconds spread over the cap's slots when that is longer); its writes through ARM's write bucket; the reads
 * that must see each resource after each step, 50 VMs a listing page, through ARM's read bucket; and its slowest
 * availability set under the run's rule (one member at a time, or one update domain at a time). A resource's time
 * is that of its own planned steps: a stopped VM's deallocation is not counted as a whole cycle, which would raise
 * the bound above what the run could reach. Each wave is given a full bucket, so the sum stays a lower bound.
 *
 * Azure's operations do not take their nominal time: each is drawn within the scenario's jitter. So the bound also
 * holds each wave to the floors of the durations Azure actually took in the run, where the timeline shows them: its
 * slowest resource's operations (a wave of one round cannot end before its slowest member, which with hundreds of
 * members is near the top of the jitter), its operations' seconds over the cap's slots, and its slowest set at those
 * durations. Without them, a wave of 300 VMs at ±20 % could not come within 1.15x of its bound even if every step
 * were seen the instant it ended. The bound at the nominal latencies alone is kept beside it.
 */
export function honestBound(waves: readonly HonestWaveInput[], o: HonestBoundInput): HonestBound {
  const { shape } = o;
  const cap = Math.max(1, o.concurrency);
  const terms = waves.map((w) => {
    const nominalCapSeconds = Math.max(Math.ceil(w.fullCycles / cap) * shape.seconds, w.workSeconds / cap);
    const capSeconds = Math.max(nominalCapSeconds, w.actualWorkSeconds / cap);
    const setSeconds = Math.max(w.setSeconds, w.actualSetSeconds);
    const writeFloorSeconds = Math.max(0, (w.writes - WRITE_BUCKET.capacity) / WRITE_BUCKET.refillPerSecond);
    const readFloorSeconds = Math.max(
      0,
      (Math.ceil(w.writes / LISTING_PAGE_VMS) - READ_BUCKET.capacity) / READ_BUCKET.refillPerSecond,
    );
    const around = w.canary ? o.subnetSeconds + o.probeSeconds : 0;
    const boundSeconds =
      Math.max(capSeconds, writeFloorSeconds, readFloorSeconds, setSeconds, w.slowestSeconds) + around;
    const nominalSeconds = Math.max(nominalCapSeconds, writeFloorSeconds, readFloorSeconds, w.setSeconds) + around;
    return {
      wave: w.wave,
      canary: w.canary,
      resources: w.resources,
      capSeconds: round(capSeconds, 1),
      writeFloorSeconds: round(writeFloorSeconds, 1),
      readFloorSeconds: round(readFloorSeconds, 1),
      setRounds: w.setRounds,
      setSeconds: round(setSeconds, 1),
      slowestSeconds: round(w.slowestSeconds, 1),
      boundSeconds: round(boundSeconds, 1),
      nominalSeconds: round(nominalSeconds, 1),
    };
  });
  const canarySeconds = terms.filter((t) => t.canary).reduce((s, t) => s + t.boundSeconds, 0);
  const boundSeconds = round(
    terms.reduce((s, t) => s + t.boundSeconds, 0),
    0,
  );
  const nominalBoundSeconds = round(
    terms.reduce((s, t) => s + t.nominalSeconds, 0),
    0,
  );
  return {
    availabilitySetRule: o.rule,
    canarySeconds,
    waves: terms,
    boundSeconds,
    ratio: round(o.simulatedSeconds / Math.max(1, boundSeconds), 3),
    nominalBoundSeconds,
    nominalRatio: round(o.simulatedSeconds / Math.max(1, nominalBoundSeconds), 3),
  };
}

/** Time-weighted mean number of intervals open over [from, to]. */
export function meanOverlap(intervals: readonly (readonly [number, number])[], from: number, to: number): number {
  if (to <= from) return 0;
  const total = intervals.reduce((s, [a, b]) => s + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
  return total / (to - from);
}

/** A VM's time in Azure's own operations within its outcome's span, and the first and last of them (epoch ms). */
interface OperationSpan {
  seconds: number;
  first: number;
  last: number;
}

/** The timeline's VM-level state changes by resource (lower-cased id). */
function changesByResource(timeline: readonly StateChange[]): Map<string, StateChange[]> {
  const byResource = new Map<string, StateChange[]>();
  for (const c of timeline) {
    if (c.instanceId !== undefined) continue;
    const key = c.resourceId.toLowerCase();
    const list = byResource.get(key);
    if (list) list.push(c);
    else byResource.set(key, [c]);
  }
  return byResource;
}

/** The time a VM spent in transitional states (Azure's operations) between `start` and `end`, or undefined when none. */
function operationSpan(changes: readonly StateChange[], start: number, end: number): OperationSpan | undefined {
  const within = changes.filter((c) => c.at >= start && c.at <= end).sort((a, b) => a.at - b.at);
  let opMs = 0;
  let first: number | undefined;
  let last: number | undefined;
  for (const [i, c] of within.entries()) {
    if (!c.to.endsWith("ing")) continue;
    const done = within.slice(i + 1).find((d) => d.from === c.to);
    if (done === undefined) continue;
    opMs += done.at - c.at;
    first ??= c.at;
    last = done.at;
  }
  return first === undefined || last === undefined ? undefined : { seconds: opMs / 1000, first, last };
}

/**
 * Seconds each VM the run cycled or failed spent in Azure's own operations (lower-cased id → seconds), as the
 * simulator drew them: the honest bound's floor of a resource's cycle as Azure took it.
 */
export function operationSeconds(
  outcomes: readonly ResourceOutcome[],
  timeline: readonly StateChange[],
): Map<string, number> {
  const byResource = changesByResource(timeline);
  const seconds = new Map<string, number>();
  for (const o of outcomes) {
    const start = ms(o.startedAt);
    const end = ms(o.endedAt);
    if (o.kind !== "vm" || start === undefined || end === undefined) continue;
    const key = o.resourceId.toLowerCase();
    const span = operationSpan(byResource.get(key) ?? [], start, end);
    if (span !== undefined) seconds.set(key, span.seconds);
  }
  return seconds;
}

/**
 * Splits each cycled VM's time in the run (its outcome's start to end) into Azure's own operation
 * time (the simulator's transitional states) and the rest: before the first operation (reads, the POST, throttled
 * retries), between operations (the wait until the poll that notices a step is done) and after the last one.
 */
export function perVmBreakdown(cycled: readonly ResourceOutcome[], timeline: readonly StateChange[]): Time["perVm"] {
  const byResource = changesByResource(timeline);
  const op: number[] = [];
  const e2e: number[] = [];
  const before: number[] = [];
  const between: number[] = [];
  const after: number[] = [];
  for (const o of cycled) {
    const start = ms(o.startedAt);
    const end = ms(o.endedAt);
    if (o.kind !== "vm" || start === undefined || end === undefined) continue;
    const span = operationSpan(byResource.get(o.resourceId.toLowerCase()) ?? [], start, end);
    if (span === undefined) continue;
    op.push(span.seconds);
    e2e.push((end - start) / 1000);
    before.push((span.first - start) / 1000);
    after.push((end - span.last) / 1000);
    between.push((span.last - span.first) / 1000 - span.seconds);
  }
  return {
    samples: op.length,
    meanOperationSeconds: round(mean(op), 1),
    meanEndToEndSeconds: round(mean(e2e), 1),
    meanBeforeFirstOpSeconds: round(mean(before), 1),
    meanBetweenOpsSeconds: round(mean(between), 1),
    meanAfterLastOpSeconds: round(mean(after), 1),
  };
}

export function summariseTime(
  outcomes: readonly ResourceOutcome[],
  timeline: readonly StateChange[],
  runStartedAt: number,
  runEndedAt: number,
  maxConcurrency: number,
  shape: CycleShape = CYCLE_SHAPES.powerOffDeallocateStart,
): Time {
  const cycled = cycledResources(outcomes);
  // A resource that failed was still meant to be cycled: leaving it out would make the bound easier to meet.
  const attempted = outcomes.filter(
    (o) => o.kind !== "vnet" && (o.outcome === "cycled" || o.outcome === "failed"),
  ).length;
  const b = lowerBound(attempted, maxConcurrency, shape);
  const simulated = (runEndedAt - runStartedAt) / 1000;
  const fleetAt = fleetStart(outcomes) ?? runEndedAt;
  const intervals = cycled
    .filter((o) => o.canary !== true)
    .flatMap((o): [number, number][] => {
      const s = ms(o.startedAt);
      const e = ms(o.endedAt);
      return s === undefined || e === undefined ? [] : [[s, e]];
    });
  const fleetEnd = intervals.length === 0 ? runEndedAt : Math.max(...intervals.map(([, e]) => e));
  const inFlight = meanOverlap(intervals, fleetAt, fleetEnd);

  const waves = new Map<number, ResourceOutcome[]>();
  for (const o of outcomes.filter((x) => x.kind !== "vnet" && (x.outcome === "cycled" || x.outcome === "failed"))) {
    const w = o.wave ?? -1;
    const list = waves.get(w);
    if (list) list.push(o);
    else waves.set(w, [o]);
  }
  const waveTimings = [...waves.entries()]
    .map(([wave, list]) => {
      const starts = list.flatMap((o) => ms(o.startedAt) ?? []);
      const ends = list.flatMap((o) => ms(o.endedAt) ?? []);
      const seconds = starts.length === 0 || ends.length === 0 ? 0 : (Math.max(...ends) - Math.min(...starts)) / 1000;
      return {
        wave,
        canary: list.some((o) => o.canary === true),
        resources: list.length,
        seconds: round(seconds, 0),
        boundSeconds: lowerBound(list.length, maxConcurrency, shape).bound,
      };
    })
    .sort((x, y) => (x.canary === y.canary ? x.wave - y.wave : x.canary ? -1 : 1));

  return {
    simulatedSeconds: round(simulated, 0),
    cycledForBound: attempted,
    concurrencyBoundSeconds: b.concurrency,
    writeBoundSeconds: b.writes,
    boundSeconds: b.bound,
    ratio: round(simulated / Math.max(1, b.bound), 3),
    ratioToWriteBound: round(simulated / Math.max(1, b.writes), 3),
    beforeFleetSeconds: round((fleetAt - runStartedAt) / 1000, 0),
    fleetSeconds: round((fleetEnd - fleetAt) / 1000, 0),
    waves: waveTimings,
    sumOfWaveBoundsSeconds: waveTimings.filter((w) => !w.canary).reduce((s, w) => s + w.boundSeconds, 0),
    meanInFlight: round(inFlight, 1),
    utilisation: round(inFlight / Math.max(1, maxConcurrency), 3),
    perVm: perVmBreakdown(cycled, timeline),
  };
}

/**
 * Availability sets of two or more VMs, and how many of them had every member down (not running) at the same
 * moment during the run, from the simulator's timeline. A set whose members were all down before the run began
 * counts only if a member went down again while the rest were down. Sets fully down that had a member already not
 * running at the start are counted apart: there the run took down the last running members, which the caps allow
 * and the plan must say beforehand (plan.setOutages); a set of running members all down at once is the run's own.
 */
export function availabilitySetsFullyDown(
  scenario: Scenario,
  state: SimState,
  timeline: readonly StateChange[],
): AvailabilitySetsDown {
  const idOf = new Map(
    state.vms.map((v) => [`${v.resourceGroup.toLowerCase()}/${v.name.toLowerCase()}`, v.id.toLowerCase()] as const),
  );
  const sets = new Map<string, { members: Set<string>; down: number }>();
  const setOf = new Map<string, string>();
  for (const vm of scenario.vms) {
    if (vm.availabilitySet === undefined) continue;
    const key = `${vm.resourceGroup.toLowerCase()}/${vm.availabilitySet.toLowerCase()}`;
    const id = idOf.get(`${vm.resourceGroup.toLowerCase()}/${vm.name.toLowerCase()}`);
    if (id === undefined) continue;
    const set = sets.get(key) ?? { members: new Set<string>(), down: 0 };
    set.members.add(id);
    if (vm.power !== "running") set.down++;
    sets.set(key, set);
    setOf.set(id, key);
  }
  const fullyDown = new Set<string>();
  const downBefore = new Set([...sets.entries()].filter(([, s]) => s.down > 0).map(([k]) => k));
  const changes = timeline
    .filter((c) => c.instanceId === undefined && setOf.has(c.resourceId.toLowerCase()))
    .sort((a, b) => a.at - b.at);
  for (const c of changes) {
    const key = setOf.get(c.resourceId.toLowerCase()) ?? "";
    const set = sets.get(key);
    if (set === undefined) continue;
    if (c.from === "running" && c.to !== "running") {
      set.down++;
      if (set.members.size >= 2 && set.down >= set.members.size) fullyDown.add(key);
    } else if (c.from !== "running" && c.to === "running") {
      set.down--;
    }
  }
  return {
    sets: [...sets.values()].filter((s) => s.members.size >= 2).length,
    fullyDown: fullyDown.size,
    withMembersDownBefore: [...fullyDown].filter((k) => downBefore.has(k)).length,
    fullyDownSets: [...fullyDown].sort(),
  };
}

/** The sets fully down (`resourceGroup/name`, lower case) that the run's plan named beforehand in its setOutages. */
export function setsNamedByPlan(down: AvailabilitySetsDown, plan: Plan | undefined): AvailabilitySetsDown {
  const named = new Set((plan?.setOutages ?? []).map((o) => `${o.resourceGroup}/${o.name}`.toLowerCase()));
  return { ...down, namedByPlan: (down.fullyDownSets ?? []).filter((k) => named.has(k)).length };
}
