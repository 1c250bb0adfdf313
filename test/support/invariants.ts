/**
 * The six invariants of a remediation run, checked against what the SIMULATOR saw (its state timeline, request
 * log and final state) rather than what the product reports. Returns every violation; empty means all hold.
 *
 * 1. Every VM (and scale-set instance) that was running ends running, unless its outcome says it was left down,
 *    with a reason and a manual action (for a scale set, naming that instance). No other excuse: a failed
 *    resource must have been brought back.
 * 2. No VM that was deallocated, and no resource the run reports skipped, is started or stopped.
 * 3. Never more VMs of one availability set (or flexible scale set) in transition at once than its cap, and
 *    never more resources than the global cap. Under the run option `availabilitySetRule: "updateDomain"` an
 *    availability set's cap is one update domain (the simulator's platformUpdateDomain; a member without one counts
 *    as a domain of its own), whatever the number of its members in it.
 * 4. Every temporary subnet that was created is deleted, unless its VNet's outcome reports it left behind
 *    (`detail.leftBehind` naming it, with the command that deletes it): a management lock can keep it.
 * 5. Every discovered resource (VM, uniform scale set, VNet) has exactly one outcome in the result.
 * 6. A refused subscription or a plan-only run writes nothing to ARM; a halted run writes nothing beyond the
 *    canary's own cycle, its probe and the temporary subnets (which precede the canary).
 */
import type { Scenario, SimulatorHandle, StateChange } from "../../src/simulator";
import type { RemediationResult } from "../../src/contracts/remediation";
import { TEMP_SUBNET_PREFIX } from "../../src/contracts/options";

export interface Violation {
  invariant: 1 | 2 | 3 | 4 | 5 | 6;
  message: string;
}

const key = (id: string): string => id.replace(/\/+$/, "").toLowerCase();
const machineKey = (c: { resourceId: string; instanceId?: string | undefined }): string =>
  c.instanceId === undefined ? key(c.resourceId) : `${key(c.resourceId)}#${c.instanceId}`;

interface Interval {
  start: number;
  end: number;
}

/** Busy interval of each machine: from its first to its last state change (a cycle is one contiguous stretch). */
function busyIntervals(timeline: readonly StateChange[]): Map<string, Interval> {
  const busy = new Map<string, Interval>();
  for (const c of timeline) {
    const k = machineKey(c);
    const b = busy.get(k);
    if (b === undefined) busy.set(k, { start: c.at, end: c.at });
    else {
      b.start = Math.min(b.start, c.at);
      b.end = Math.max(b.end, c.at);
    }
  }
  return busy;
}

/** Largest number of intervals overlapping at one instant (half-open: one ending when another starts is fine). */
function maxOverlap(intervals: readonly Interval[]): { count: number; at: number } {
  const points = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: Math.max(i.end, i.start + 0.001), d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let best = { count: 0, at: 0 };
  for (const p of points) {
    cur += p.d;
    if (cur > best.count) best = { count: cur, at: p.t };
  }
  return best;
}

/** The union of intervals, as disjoint intervals. */
function union(intervals: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const i of [...intervals].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last !== undefined && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

function isWrite(entry: { kind: string }): boolean {
  return entry.kind === "write" || entry.kind === "delete";
}

/** Reasons that say another actor decided a resource's state. */
const OTHERS_REASONS: ReadonlySet<string> = new Set(["changedByOther", "evicted", "disappeared", "createdAfterPlan"]);

export function checkInvariants(sim: SimulatorHandle, result: RemediationResult, scenario: Scenario): Violation[] {
  const violations: Violation[] = [];
  const add = (invariant: Violation["invariant"], message: string): void => {
    violations.push({ invariant, message });
  };
  const snapshot = sim.snapshot();
  const timeline = sim.timeline();
  const log = sim.requestLog();
  const options = result.input.options;
  const outcomeOf = new Map<string, RemediationResult["outcomes"][number][]>();
  for (const o of result.outcomes) outcomeOf.set(key(o.resourceId), [...(outcomeOf.get(key(o.resourceId)) ?? []), o]);
  // Other actors (owners, the platform): what they did, by VM. Their changes are theirs, not the run's.
  const others = new Map<string, { kind: string; at: number }[]>();
  for (const a of sim.actorLog())
    if (a.outcome === "done")
      others.set(key(a.resourceId), [...(others.get(key(a.resourceId)) ?? []), { kind: a.kind, at: a.at }]);
  const byMachine = new Map<string, StateChange[]>();
  for (const c of timeline) byMachine.set(machineKey(c), [...(byMachine.get(machineKey(c)) ?? []), c]);

  // Every machine: its owning resource, initial and final state.
  const machines = [
    ...snapshot.vms.map((vm) => ({
      k: key(vm.id),
      resource: key(vm.id),
      name: vm.name,
      final: vm.powerState,
      instanceId: undefined,
    })),
    ...snapshot.scaleSets.flatMap((ss) =>
      ss.instances.map((i) => ({
        k: `${key(ss.id)}#${i.instanceId ?? ""}`,
        resource: key(ss.id),
        name: `${ss.name}_${i.instanceId ?? ""}`,
        final: i.powerState,
        instanceId: i.instanceId,
      })),
    ),
  ];

  for (const m of machines) {
    const changes = byMachine.get(m.k) ?? [];
    const initial = changes[0]?.from ?? m.final;
    const outcomes = outcomeOf.get(m.resource) ?? [];
    const leftDown = outcomes.some(
      (o) =>
        o.leftDown !== undefined &&
        o.leftDown.reason.trim().length > 0 &&
        o.leftDown.manualAction.trim().length > 0 &&
        (m.instanceId === undefined || (o.leftDown.instanceIds ?? []).includes(m.instanceId)),
    );
    const acted = m.instanceId === undefined ? others.get(m.resource) : undefined;
    if (acted !== undefined) {
      // 1 and 2 with other actors: it ends as they left it (or is reported otherwise), and the run never starts a
      // VM someone else stopped, deallocated or evicted before the run's first write on it.
      const last = acted[acted.length - 1]?.kind ?? "";
      const theirs: Record<string, string> = {
        stop: "stopped",
        deallocate: "deallocated",
        evict: "deallocated",
        start: "running",
        create: "running",
      };
      // Said: another actor's reason, left down, or the run's own outcome naming the state it ends in (an owner's
      // no-op, e.g. a stop of a VM already stopped, leaves the run's plan for it standing).
      const said =
        outcomes.some(
          (o) => (o.reasonCode !== undefined && OTHERS_REASONS.has(o.reasonCode)) || o.stateAfter === m.final,
        ) || leftDown;
      if (!said && m.final !== "running" && m.final !== theirs[last])
        add(
          1,
          `${m.name} ends ${m.final} after ${acted.map((a) => a.kind).join(", ")} by others, and no outcome says why`,
        );
      // What the run's read before its first write could see: a stop landing between that read and the powerOff is
      // joined by Azure (the same action already under way), indistinguishable from the run's own.
      const firstWrite =
        log.find((e) => e.method === "POST" && key(e.path).startsWith(`${m.resource}/`))?.at ??
        Number.POSITIVE_INFINITY;
      const readBefore = Math.max(
        Number.NEGATIVE_INFINITY,
        ...log
          .filter((e) => e.method === "GET" && e.at <= firstWrite && key(e.path).startsWith(m.resource))
          .map((e) => e.at),
      );
      const downedFirst = acted.find(
        (a) =>
          (a.kind === "stop" || a.kind === "deallocate" || a.kind === "evict") &&
          (a.at <= readBefore || (a.kind !== "stop" && a.at <= firstWrite)),
      );
      // Unless the plan itself saw the state they left (their change came before discovery) and the run's cycle of
      // that state starts it and ends it as found: a stopped VM cycled under `restoreStoppedVms`.
      const planned =
        downedFirst !== undefined &&
        m.final === theirs[downedFirst.kind] &&
        outcomes.some((o) => o.stateBefore === theirs[downedFirst.kind] && o.stateAfter === m.final);
      const started = log.filter(
        (e) =>
          e.method === "POST" &&
          key(e.path) === `${m.resource}/start` &&
          e.status < 300 &&
          downedFirst !== undefined &&
          !planned &&
          e.at >= downedFirst.at,
      );
      if (started.length > 0)
        add(
          2,
          `${m.name} was ${downedFirst?.kind ?? "stopped"} by someone else before the run touched it, and the run started it`,
        );
      continue;
    }
    // 1
    if (initial === "running" && m.final !== "running" && !leftDown)
      add(1, `${m.name} was running and ends ${m.final}, and is not reported left down with a reason`);
    // 2
    if (changes.length > 0 && initial === "deallocated")
      add(2, `${m.name} was deallocated but went ${changes.map((c) => c.to).join(" → ")}`);
    if (changes.length > 0 && outcomes.some((o) => o.outcome === "skipped" && o.reasonCode !== "disappeared")) {
      add(
        2,
        `${m.name} is reported skipped (${outcomes.map((o) => o.reasonCode ?? "").join(",")}) but went ${changes.map((c) => c.to).join(" → ")}`,
      );
    }
  }

  // 3: groups from the scenario (availability sets and flexible scale sets by resource group + name).
  // Transitions of VMs other actors moved are not the run's: they count toward no cap and no halted run's writes.
  const busy = busyIntervals(timeline.filter((c) => c.instanceId !== undefined || !others.has(key(c.resourceId))));
  const vmIdByName = new Map(
    snapshot.vms.map((vm) => [`${vm.resourceGroup}/${vm.name}`.toLowerCase(), key(vm.id)] as const),
  );
  const domainById = new Map(
    snapshot.vms.flatMap((vm) =>
      vm.platformUpdateDomain === undefined ? [] : [[key(vm.id), vm.platformUpdateDomain] as const],
    ),
  );
  const byDomain = options.availabilitySetRule === "updateDomain";
  const groups = new Map<string, { cap: number; ids: string[] }>();
  for (const vm of scenario.vms) {
    const id = vmIdByName.get(`${vm.resourceGroup}/${vm.name}`.toLowerCase());
    if (id === undefined) continue;
    const g =
      vm.availabilitySet !== undefined
        ? {
            k: `as:${vm.resourceGroup}/${vm.availabilitySet}`.toLowerCase(),
            cap: options.maxUnavailablePerAvailabilitySet,
          }
        : vm.flexScaleSet !== undefined
          ? { k: `fx:${vm.resourceGroup}/${vm.flexScaleSet}`.toLowerCase(), cap: options.maxUnavailablePerScaleSet }
          : undefined;
    if (g === undefined) continue;
    const entry = groups.get(g.k) ?? { cap: g.cap, ids: [] };
    entry.ids.push(id);
    groups.set(g.k, entry);
  }
  for (const [name, g] of groups) {
    if (byDomain && name.startsWith("as:")) {
      // Each domain's busy time as one union of its members' intervals: the overlap of those counts domains.
      const perDomain = new Map<string, Interval[]>();
      for (const id of g.ids) {
        const d = domainById.has(id) ? `ud${domainById.get(id) ?? ""}` : `vm:${id}`;
        const i = busy.get(id);
        if (i !== undefined) perDomain.set(d, [...(perDomain.get(d) ?? []), i]);
      }
      const peak = maxOverlap([...perDomain.values()].flatMap(union));
      if (peak.count > 1)
        add(
          3,
          `${peak.count} update domains of ${name} were in transition at once at ${new Date(peak.at).toISOString()} (one at a time)`,
        );
      continue;
    }
    const peak = maxOverlap(g.ids.flatMap((id) => busy.get(id) ?? []));
    if (peak.count > g.cap)
      add(
        3,
        `${peak.count} VMs of ${name} were in transition at once at ${new Date(peak.at).toISOString()} (cap ${g.cap})`,
      );
  }
  // Global: one interval per resource (a scale set's instances together).
  const perResource = new Map<string, Interval>();
  for (const [k, i] of busy) {
    const r = k.split("#")[0] ?? k;
    const cur = perResource.get(r);
    perResource.set(
      r,
      cur === undefined ? { ...i } : { start: Math.min(cur.start, i.start), end: Math.max(cur.end, i.end) },
    );
  }
  const globalPeak = maxOverlap([...perResource.values()]);
  if (globalPeak.count > options.maxConcurrency) {
    add(
      3,
      `${globalPeak.count} resources were in transition at once at ${new Date(globalPeak.at).toISOString()} (global cap ${options.maxConcurrency})`,
    );
  }

  // 4
  const reportedLeftBehind = new Set(
    result.outcomes.flatMap((o) => {
      const lb = o.detail?.["leftBehind"];
      const subnet =
        typeof lb === "object" && lb !== null && "subnet" in lb && typeof lb.subnet === "string"
          ? lb.subnet
          : undefined;
      const command =
        typeof lb === "object" && lb !== null && "command" in lb && typeof lb.command === "string" ? lb.command : "";
      return subnet !== undefined && command.includes(subnet)
        ? [`${key(o.resourceId)}/subnets/${subnet.toLowerCase()}`]
        : [];
    }),
  );
  for (const v of snapshot.vnets) {
    for (const s of v.subnets)
      if (
        s.name.startsWith(TEMP_SUBNET_PREFIX) &&
        !reportedLeftBehind.has(`${key(v.id)}/subnets/${s.name.toLowerCase()}`)
      )
        add(4, `temporary subnet ${s.name} is still in ${v.name}`);
  }
  const tempPath = (p: string): string | undefined => {
    const m = /\/subnets\/([^/?]+)$/i.exec(p);
    return m?.[1] !== undefined && decodeURIComponent(m[1]).startsWith(TEMP_SUBNET_PREFIX)
      ? p.toLowerCase()
      : undefined;
  };
  const created = new Set(
    log
      .filter((e) => e.method === "PUT" && e.status < 300 && tempPath(e.path) !== undefined)
      .map((e) => e.path.toLowerCase()),
  );
  const deleted = new Set(
    log
      .filter((e) => e.method === "DELETE" && e.status < 300 && tempPath(e.path) !== undefined)
      .map((e) => e.path.toLowerCase()),
  );
  for (const p of created)
    if (!deleted.has(p) && ![...reportedLeftBehind].some((r) => p.endsWith(r.slice(r.indexOf("/resourcegroups/")))))
      add(4, `temporary subnet ${p} was created but never deleted`);

  // 5
  const resources = [
    ...snapshot.vms.map((vm) => ({ id: key(vm.id), name: vm.name })),
    ...snapshot.scaleSets
      .filter((s) => s.orchestrationMode === "Uniform")
      .map((s) => ({ id: key(s.id), name: s.name })),
    ...snapshot.vnets.map((v) => ({ id: key(v.id), name: v.name })),
  ];
  if (result.plan !== undefined) {
    // A VM created during the run is listed once when the run completes; a run that stopped early does not list it.
    // (or one created after that listing).
    const lastListing = Math.max(0, ...log.filter((e) => e.operation === "listVms").map((e) => e.at));
    const completed = result.summary.status === "completed" || result.summary.status === "completedWithFailures";
    const unlisted = new Set(
      sim
        .actorLog()
        .filter((a) => a.kind === "create" && a.outcome === "done" && (!completed || a.at >= lastListing))
        .map((a) => key(a.resourceId)),
    );
    for (const r of resources) {
      const n = outcomeOf.get(r.id)?.length ?? 0;
      if (n !== 1 && !(n === 0 && unlisted.has(r.id))) add(5, `${r.name} has ${n} outcomes`);
    }
    // A VM others deleted during the run keeps its one outcome (disappeared, evicted).
    const known = new Set([...resources.map((r) => r.id), ...others.keys()]);
    for (const o of result.outcomes)
      if (!known.has(key(o.resourceId)))
        add(5, `outcome for a resource the subscription does not have: ${o.resourceId}`);
  } else if (result.outcomes.length > 0) {
    add(5, "outcomes were reported without a plan");
  }

  // 6
  const status = result.summary.status;
  const writes = log.filter(isWrite);
  if (
    status === "refused" ||
    status === "nothingToDo" ||
    result.input.mode === "plan" ||
    status === "approvalTimedOut"
  ) {
    for (const w of writes) add(6, `${status} run wrote to ARM: ${w.method} ${w.path}`);
  }
  if (status === "halted") {
    const canaries = new Set((result.summary.canary?.vmIds ?? []).map(key));
    for (const w of writes) {
      const p = key(w.path);
      const allowed =
        tempPath(w.path) !== undefined ||
        /\/networkwatchers\/[^/]+\/connectivitycheck$/.test(p) ||
        [...canaries].some((c) => p.startsWith(`${c}/`));
      if (!allowed) add(6, `halted run wrote beyond the canary: ${w.method} ${w.path}`);
    }
    for (const [k] of busy) {
      if (!canaries.has(k.split("#")[0] ?? k)) add(6, `halted run changed the power state of ${k}`);
    }
  }
  return violations;
}
