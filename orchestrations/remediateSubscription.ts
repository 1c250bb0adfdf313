/**
 * The run for one subscription (docs/architecture.md, "The workflow"): verify → discover → plan → (approve) → subnets → canary → waves →
 * report. One instance per subscription (remediationInstanceId). Every resource of the plan ends with exactly one
 * outcome; nothing that is refused, planned only or halted writes to ARM beyond what is described below.
 *
 * Cancel ("cancel" event): stops what has not started — no new VNet refresh, wave or lane — while work in flight
 * finishes, so no VM is left half-cycled. The run's custom status lists the wave in flight (`activeBatches`), whose
 * own status lists its lanes in flight; the cancel endpoint raises "cancel" to this instance first, then to the wave,
 * then to each of its lanes, which stops them starting new lanes and resources (a wave or lane that misses its copy —
 * created in the very instant of the cancel — runs its resources normally; every resource is still accounted for
 * and left running, and no later wave starts). The run keeps one "cancel" waiter for its
 * whole life and checks it before starting anything, so the event counts wherever the run is blocked.
 *
 * Canary: the plan's canary wave (tagged VMs, else the first eligible running VM with the Network Watcher agent)
 * is cycled first, then TCP 25 is probed from each canary VM (probeSmtp.ts, shared with the re-verification).
 * Unreachable (or no verdict) halts the run with the canary running again and the rest of the fleet untouched.
 * Temporary subnets are refreshed before the canary: they do not disrupt anything, and the canary's own network
 * may depend on them. With verification "attestationOnly" the probe is skipped and the summary says so. When
 * there are resources to cycle but no eligible canary, "canaryProbe" halts before touching any VM (tag a VM
 * port25-canary=true with the Network Watcher agent installed, or choose "attestationOnly"); with nothing to
 * cycle there is nothing to protect.
 *
 * Waves run in order, each a runWave sub-orchestration (so this history holds a few events per wave, not per lane).
 * The plan deals each wave's resources into lanes (src/domain/lanes.ts), each a cycleBatch instance run exactly as
 * planned; the lanes run in parallel within the global cap, and in successive groups when a wave needs more of them.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import { activityTask, callActivity, parseActivityResult, registerOrchestration, subOrchestrationTask } from "../src/contracts/durable";
import { signalRunEndedActivity } from "../src/contracts/functions/runStart";
import { parseWith } from "../src/contracts/parse";
import type { ActivityDefinition } from "../src/contracts/define";
import { remediateSubscriptionOrchestration } from "../src/contracts/functions/remediateSubscription";
import { classifySubscriptionActivity } from "../src/contracts/functions/classifySubscription";
import { recordRunStartedActivity } from "../src/contracts/functions/recordRunStarted";
import { recordRunCompletedActivity } from "../src/contracts/functions/recordRunCompleted";
import { refreshVnetSubnetOrchestration } from "../src/contracts/functions/refreshVnetSubnet";
import { RunWaveOutput, runWaveOrchestration, waveInstanceId } from "../src/contracts/functions/runWave";
import { addSeconds } from "../src/contracts/functions/clock";
import { APPROVE_EVENT, CANCEL_EVENT } from "../src/contracts/names";
import { ApproveEventSchema, approvalDecision, CancelEventSchema, cancellationDecision, type Decision } from "../src/contracts/events";
import { resourceKey } from "../src/contracts/ids";
import type { Classification } from "../src/contracts/classification";
import type { Discovery } from "../src/contracts/discovery";
import type { Plan, PlanEntry, Wave } from "../src/contracts/plan";
import { ResourceOutcomeSchema, type ReasonCode, type ResourceOutcome } from "../src/contracts/outcome";
import type {
  CanaryResult,
  Phase,
  Progress,
  RemediationInput,
  RemediationOutput,
  RemediationResult,
  RunStatus,
} from "../src/contracts/remediation";
import { buildPlan, capsFrom } from "../src/domain/planWaves";
import { countOutcomes, groupByReason, leftBehindSubnets, leftDownResources } from "../src/domain/summarize";
import { ensureError } from "../src/errors";
import { probeSmtp, type ProbeFacts } from "./probeSmtp";
import type { PathConfirmation, PathVerdict } from "../src/contracts/egress";
import { confirmPath } from "./confirmEgress";
import { describeVerdict, hopWithSubscription, pathsNotOut, pathsToProve, pathVerdict } from "../src/domain/canaryPaths";
import { pathKeyOf } from "../src/domain/planResources";
import { announce } from "./notify";
import { completionEvent } from "../src/domain/notifications";
import { discoverSubscription, discoveryMemo } from "./discovery";
import { ReplayMemo } from "./replayMemo";
import { backoffSeconds, classifyWithWaits, nowIso, skippedOutcome, transientRetry, unexpectedOutcome } from "./shared";
import { listVmPagesActivity } from "../src/contracts/functions/listVmPages";
import type { VmPowerStatus } from "../src/contracts/azure";
import { shortenForStatus } from "../src/contracts/statusText";

/**
 * What each replay of a run would otherwise redo over the whole fleet: parse the discovery, build the plan,
 * parse every finished lane's outcomes. Scoped by the run (see replayMemo.ts).
 */
const MEMO_RUNS = 16;

/**
 * Longest message (JSON characters) the run's custom status carries: the summary's message names every resource
 * left down, which can pass the extension's 16 KB cap on custom status and fail the run; the summary, the audit and
 * the report keep it whole.
 */
const PROGRESS_MESSAGE_MAX = 1000;
const planMemo = new ReplayMemo<Plan>(MEMO_RUNS);
const waveMemo = new ReplayMemo<RunWaveOutput>(MEMO_RUNS);
const waveEntriesMemo = new ReplayMemo<PlanEntry[][]>(MEMO_RUNS);

/** Mutable state of one execution; rebuilt identically on every replay. */
class Run {
  cancelRequested = false;
  phase: Phase = "verify";
  wave: number | undefined;
  waves: number | undefined;
  activeBatches: string[] = [];
  readonly outcomes = new Map<string, ResourceOutcome>();
  readonly warnings: string[] = [];
  total = 0;

  constructor(
    readonly context: OrchestrationContext,
    readonly input: RemediationInput,
  ) {}

  /** Outcomes recorded so far by kind, kept as they are recorded: progress is published thousands of times. */
  private readonly tally = { cycled: 0, skipped: 0, failed: 0 };
  /** Resources the run took down and could not bring back: counted apart, the figure an operator looks for first. */
  private leftDown = 0;

  record(o: ResourceOutcome): void {
    const key = resourceKey(o.resourceId);
    const before = this.outcomes.get(key);
    if (before !== undefined) {
      this.tally[before.outcome]--;
      if (before.leftDown !== undefined) this.leftDown--;
    }
    this.tally[o.outcome]++;
    if (o.leftDown !== undefined) this.leftDown++;
    this.outcomes.set(key, o);
  }

  /** As countOutcomes over the recorded outcomes (one per resource), without walking them. */
  progressCounts(): Progress["counts"] {
    const done = this.tally.cycled + this.tally.skipped + this.tally.failed;
    return { total: Math.max(this.total, done), ...this.tally, pending: Math.max(0, this.total - done), leftDown: this.leftDown };
  }

  has(id: string): boolean {
    return this.outcomes.has(resourceKey(id));
  }

  publish(message?: string): void {
    const progress: Progress = {
      runId: this.input.runId,
      phase: this.phase,
      ...(this.wave !== undefined ? { wave: this.wave } : {}),
      ...(this.waves !== undefined ? { waves: this.waves } : {}),
      counts: this.progressCounts(),
      ...(message !== undefined ? { message: shortenForStatus(message, PROGRESS_MESSAGE_MAX) } : {}),
      ...(this.cancelRequested ? { cancelRequested: true } : {}),
      ...(this.activeBatches.length > 0 ? { activeBatches: this.activeBatches } : {}),
    };
    this.context.df.setCustomStatus(progress);
  }

  private cancelTask: Task | undefined;

  /**
   * The run's one "cancel" waiter. A single waiter (rather than a fresh one per wait) means the event is never
   * handed to a waiter nobody looks at any more: wherever the run is blocked when it arrives, this task records
   * it, and the run checks it before starting anything new. Waiters use no sequence ids, so putting the same one
   * in several Task.any calls is safe (unlike activities, timers and sub-orchestrations).
   */
  cancel(): Task {
    this.cancelTask ??= this.context.df.waitForExternalEvent(CANCEL_EVENT);
    return this.cancelTask;
  }

  /** Who cancelled and when, once the cancel has arrived. */
  cancellation(): Decision | undefined {
    const task = this.cancel();
    if (!task.isCompleted) return undefined;
    const event = CancelEventSchema.safeParse(task.result);
    return event.success ? cancellationDecision(event.data) : unrecordedDecision(this.context);
  }

  /** Whether a cancel has arrived (and says so in the custom status the first time it is seen). */
  cancelled(): boolean {
    if (!this.cancelRequested && this.cancel().isCompleted) {
      this.cancelRequested = true;
      this.publish("cancel requested: finishing the work in flight");
    }
    return this.cancelRequested;
  }

  /** Waits for `task`, waking early on a cancel; the task is still awaited, so work in flight always finishes. */
  *await(task: Task): Generator<Task, unknown, unknown> {
    if (!this.cancelled()) {
      yield this.context.df.Task.any([task, this.cancel()]);
      this.cancelled();
    }
    if (!task.isCompleted && !task.isFaulted) yield task;
    if (task.isFaulted) throw ensureError(task.result);
    return task.result;
  }

  *activity<I extends z.ZodType, O extends z.ZodType>(def: ActivityDefinition<I, O>, input: z.input<I>): Generator<Task, z.output<O>, unknown> {
    const raw = yield* this.await(activityTask(this.context, def, input, transientRetry()));
    return parseActivityResult(def, raw);
  }

  /** Memo scope of this execution (see replayMemo.ts): its listing's random id, once the listing is in. */
  memoScope: string | undefined;

  /** `compute()`, kept between replays when this execution has a memo scope. */
  memo<T>(memo: ReplayMemo<T>, key: string, compute: () => T): T {
    return this.memoScope === undefined ? compute() : memo.get(this.memoScope, key, compute);
  }

  *sleep(seconds: number): Generator<Task, void, unknown> {
    yield* this.await(this.context.df.createTimer(addSeconds(this.context.df.currentUtcDateTime, Math.max(1, seconds))));
  }
}

/**
 * An approve or cancel event whose payload is not the endpoints' (raised some other way): it still counts, but who
 * sent it is not known, and the record says so rather than guess.
 */
function unrecordedDecision(context: OrchestrationContext): Decision {
  return { by: "unknown (the event did not name its sender)", at: nowIso(context) };
}

function normalRegion(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

function verify(run: Run): Generator<Task, Classification, unknown> {
  return classifyWithWaits(
    () => run.activity(classifySubscriptionActivity, { subscriptionId: run.input.subscriptionId }),
    (seconds) => run.sleep(seconds),
    () => run.cancelled(),
  );
}

/** How long discovery keeps waiting out throttling and conflicts without progress before the run halts. */
const DISCOVERY_BUDGET_SECONDS = 30 * 60;

/** Lists the subscription's resources (orchestrations/discovery.ts); throws when it cannot. */
function* discover(run: Run): Generator<Task, Discovery, unknown> {
  const { discovery, listingId } = yield* discoverSubscription(
    {
      call: (def, input) => run.await(activityTask(run.context, def, input, transientRetry())),
      sleep: (seconds) => run.sleep(seconds),
      nowMs: () => run.context.df.currentUtcDateTime.getTime(),
      cancelled: () => run.cancelled(),
    },
    run.input.subscriptionId,
    run.input.options,
    DISCOVERY_BUDGET_SECONDS,
  );
  run.memoScope = listingId;
  return discovery;
}

function* runVnets(context: OrchestrationContext, run: Run, entries: PlanEntry[]): Generator<Task, void, unknown> {
  const cap = Math.max(1, run.input.options.maxConcurrency);
  for (let start = 0; start < entries.length && !run.cancelled(); start += cap) {
    const group = entries.slice(start, start + cap);
    const tasks = group.map((entry, i) =>
      subOrchestrationTask(
        context,
        refreshVnetSubnetOrchestration,
        { entry, transitionTimeoutMinutes: run.input.options.transitionTimeoutMinutes },
        `${context.df.instanceId}:${run.input.runId}:vnet${start + i}`,
      ),
    );
    yield* collect(run, group, tasks, (raw) => [parseWith(ResourceOutcomeSchema, raw, "output of refreshVnetSubnet")]);
    run.publish();
  }
}

/**
 * Starts a group of sub-orchestrations and records what each returns, publishing progress as each finishes.
 * The first wait covers them all (it is what schedules them) and wakes on the first to finish or on a cancel;
 * after that each is awaited alone, in order — re-yielding a scheduled task alone adds no action, whereas putting
 * it in a new Task.any would schedule it again (azure-functions-durable-js#574).
 */
function* collect(
  run: Run,
  entriesPerTask: PlanEntry[] | PlanEntry[][],
  tasks: Task[],
  parse: (raw: unknown, index: number) => ResourceOutcome[],
): Generator<Task, void, unknown> {
  if (tasks.length === 0) return;
  yield run.cancelled() ? run.context.df.Task.all(tasks) : run.context.df.Task.any([...tasks, run.cancel()]);
  for (const [i, task] of tasks.entries()) {
    const owned = entriesPerTask[i];
    const entries = owned === undefined ? [] : Array.isArray(owned) ? owned : [owned];
    try {
      const raw: unknown = task.isCompleted || task.isFaulted ? task.result : yield task;
      if (task.isFaulted) throw ensureError(raw);
      for (const o of parse(raw, i)) run.record(o);
    } catch (e) {
      for (const entry of entries) if (!run.has(entry.resourceId)) run.record(unexpectedOutcome(entry, e));
    }
    run.cancelled();
    run.publish();
  }
}

/**
 * Runs a wave as its own sub-orchestration (runWave.ts), which runs the lanes exactly as the plan dealt them
 * (planWaves.ts), `parallel` at a time, in plan order. The run lists the wave as its active batch; the wave lists
 * its lanes in flight.
 */
function* runWave(context: OrchestrationContext, run: Run, wave: Wave, byId: ReadonlyMap<string, PlanEntry>): Generator<Task, void, unknown> {
  const o = run.input.options;
  const caps = capsFrom(o);
  const lanes = run.memo(waveEntriesMemo, `wave${wave.index}`, () => wave.batches.map((b) => b.items.flatMap((id) => byId.get(resourceKey(id)) ?? [])));
  if (lanes.length === 0 || run.cancelled()) return;
  const id = waveInstanceId(context.df.instanceId, run.input.runId, wave.index);
  const task = subOrchestrationTask(
    context,
    runWaveOrchestration,
    {
      runId: run.input.runId,
      runInstanceId: context.df.instanceId,
      wave: wave.index,
      lanes: wave.batches.map((b, i) => ({ id: b.id, share: b.share, entries: lanes[i] ?? [] })),
      parallel: Math.max(1, wave.parallel),
      caps,
      transitionTimeoutMinutes: o.transitionTimeoutMinutes,
      restoreStoppedVms: o.restoreStoppedVms,
      restoreTimeoutMinutes: o.restoreTimeoutMinutes,
      ...(run.memoScope !== undefined ? { replayScope: run.memoScope } : {}),
    },
    id,
  );
  run.activeBatches = [id];
  run.publish();
  yield* collect(run, [lanes.flat()], [task], (raw) => {
    const out = run.memo(waveMemo, id, () => parseWith(RunWaveOutput, raw, "output of runWave"));
    if (out.cancelled) run.cancelRequested = true;
    return out.outcomes;
  });
  run.activeBatches = [];
  run.publish();
}

function* runCanary(
  context: OrchestrationContext,
  run: Run,
  plan: Plan,
  discovery: Discovery,
  byId: ReadonlyMap<string, PlanEntry>,
): Generator<Task, CanaryResult | undefined, unknown> {
  const verification = run.input.options.verification;
  const host = run.input.probeHost;
  const canaryWave = plan.waves.find((w) => w.canary);
  const toCycle = plan.entries.filter((e) => e.action === "cycle");
  if (canaryWave === undefined) {
    if (toCycle.length === 0) return { vmIds: [], probeHost: host, verification, result: "skipped", detail: "nothing to cycle, so nothing to prove first" };
    if (verification === "attestationOnly") {
      return { vmIds: [], probeHost: host, verification, result: "skipped", detail: "attestation only: no canary was cycled first and TCP 25 was not probed" };
    }
    return {
      vmIds: [],
      probeHost: host,
      verification,
      result: "unavailable",
      detail:
        "no eligible canary: no running VM is tagged port25-canary=true and none has the Network Watcher agent; " +
        "tag one (with the agent installed) or start the run with verification attestationOnly",
    };
  }
  run.phase = "canary";
  run.wave = canaryWave.index;
  run.publish();
  yield* runWave(context, run, canaryWave, byId);
  const canaries = canaryWave.batches.flatMap((b) => b.items.flatMap((id) => byId.get(resourceKey(id)) ?? []));
  const vmIds = canaries.map((c) => c.resourceId);
  const failed = canaries.filter((c) => run.outcomes.get(resourceKey(c.resourceId))?.outcome !== "cycled");
  if (failed.length > 0) {
    const names = failed.map((c) => `${c.name} (${run.outcomes.get(resourceKey(c.resourceId))?.message ?? "not cycled"})`).join("; ");
    return { vmIds, probeHost: host, verification, result: run.cancelled() ? "skipped" : "unavailable", detail: `the canary could not be cycled: ${names}` };
  }
  if (verification === "attestationOnly") {
    return { vmIds, probeHost: host, verification, result: "skipped", detail: "attestation only: the canary was cycled first but TCP 25 was not probed" };
  }
  if (run.cancelled()) return { vmIds, probeHost: host, verification, result: "skipped", detail: "cancelled before the probe" };
  // One proof per egress path (src/domain/canaryPaths.ts): direct paths first, whose failure halts the run as it
  // always did; a path through an appliance or gateway gets its verdict and the run goes on.
  const details: string[] = [];
  let last: ProbeFacts = {};
  const verdicts: PathVerdict[] = [];
  const groups = pathsToProve(plan.entries);
  let directProven = false;
  for (const group of groups) {
    const onPath = canaries.filter((c) => c.kind === "vm" && pathKeyOf(c) === group.path.key);
    if (onPath.length === 0) {
      verdicts.push(pathVerdict(group, undefined, undefined));
      continue;
    }
    let verdict: PathVerdict | undefined;
    // The first canary's NIC's effective routes confirm (or contradict) the path; a "possible" path through a hub's
    // gateway is settled either way, and may turn out direct. Read only where discovery read the network (route
    // tables, NAT gateways or remote gateways exist): elsewhere every path is the system route to the Internet.
    let confirmation: PathConfirmation | undefined;
    const nicId = discovery.nics === undefined ? undefined : discovery.vms.find((v) => resourceKey(v.id) === resourceKey(onPath[0]?.resourceId ?? ""))?.nicIds?.[0];
    if (nicId !== undefined) {
      const confirmed = yield* confirmPath(context, (task) => run.await(task), nicId, group.path);
      confirmation = confirmed.confirmation;
      group.path = confirmed.path;
    }
    const withConfirmation = (v: PathVerdict): PathVerdict => (confirmation === undefined ? v : { ...v, confirmation });
    for (const vm of onPath) {
      const canary = { vmId: vm.resourceId, name: vm.name };
      const watcher = discovery.networkWatchers.find((w) => normalRegion(w.location) === normalRegion(vm.location));
      if (watcher === undefined) {
        const detail = `no Network Watcher in region ${vm.location} to probe from ${vm.name}; enable Network Watcher there or use attestationOnly`;
        if (group.path.direct) return { vmIds, probeHost: host, verification, result: "unavailable", detail, paths: [...verdicts, withConfirmation(pathVerdict(group, canary, { result: "unavailable", detail }))] };
        verdict = withConfirmation(pathVerdict(group, canary, { result: "unavailable", detail }));
        break;
      }
      const probe = yield* probeSmtp(
        context,
        {
          vmId: vm.resourceId,
          vmName: vm.name,
          watcher,
          host,
          unreachableMeans: group.path.direct ? "the exemption does not appear to be in effect" : `its traffic leaves through ${hopWithSubscription(group.path)}, which does not let it out`,
          // Just cycled: its agents report ready minutes after it runs (probeSmtp waits, and probes again, until then).
          agentReadyTimeoutSeconds: run.input.options.agentReadyTimeoutMinutes * 60,
        },
        (task) => run.await(task),
      );
      verdict = withConfirmation(pathVerdict(group, canary, probe));
      if (group.path.direct) {
        details.push(probe.detail);
        last = probe.facts;
        if (probe.result !== "reachable") {
          return {
            vmIds,
            probeHost: host,
            verification,
            result: probe.result,
            detail: details.join("; "),
            ...last,
            ...(probe.cause !== undefined ? { haltCause: probe.cause } : {}),
            paths: [...verdicts, verdict],
          };
        }
        directProven = true;
      } else if (probe.result !== "reachable") {
        break;
      }
    }
    if (verdict !== undefined) verdicts.push(verdict);
  }
  if (!directProven && groups.some((g) => g.path.direct)) {
    return {
      vmIds,
      probeHost: host,
      verification,
      result: "unavailable",
      detail: "no canary routes directly to the internet, so the exemption itself is unproven: tag a running VM on a direct path port25-canary=true (with the Network Watcher agent) or use attestationOnly",
      paths: verdicts,
    };
  }
  if (!directProven) {
    return { vmIds, probeHost: host, verification, result: "skipped", detail: `no resource to cycle routes directly to the internet: ${verdicts.map(describeVerdict).join("; ")}`, paths: verdicts };
  }
  return { vmIds, probeHost: host, verification, result: "reachable", detail: details.join("; "), ...last, paths: verdicts };
}

/** The outcome with the resource's egress path from the plan, so that the record says where its port 25 goes. */
function withEgress(entry: PlanEntry, outcome: ResourceOutcome): ResourceOutcome {
  return entry.egress === undefined ? outcome : { ...outcome, egress: entry.egress };
}

const UNTOUCHED_REASON: Readonly<Partial<Record<RunStatus, ReasonCode>>> = {
  planned: "planOnly",
  refused: "notExemptible",
  nothingToDo: "notBlocked",
  halted: "haltedByCanary",
  cancelled: "cancelled",
  approvalTimedOut: "approvalTimedOut",
};

function untouchedMessage(status: RunStatus, entry: PlanEntry): string {
  switch (status) {
    case "planned":
      return entry.action === "refreshSubnet"
        ? `plan only: would add and remove ${entry.tempSubnetName ?? "a temporary subnet"} (${entry.tempSubnetPrefix ?? "?"})`
        : `plan only: would ${entry.steps.join(" → ")}`;
    case "refused":
      return "the subscription is not exemptible; nothing was changed";
    case "nothingToDo":
      return "port 25 is not blocked on this subscription; nothing to do";
    case "halted":
      return "the canary proof failed; the run halted before this resource";
    case "approvalTimedOut":
      return "the run was not approved in time; nothing was changed";
    default:
      return "the run was cancelled before this resource was started";
  }
}

function statusMessage(
  status: RunStatus,
  classification: Classification,
  canary: CanaryResult | undefined,
  failed: number,
  haltReason: string | undefined,
): string {
  switch (status) {
    case "refused":
      return `Refused: ${classification.reason}.${classification.advice !== undefined ? ` ${classification.advice}` : ""}`;
    case "nothingToDo":
      return `Nothing to do: ${classification.reason}.`;
    case "planned":
      return "Plan only: nothing was changed.";
    case "halted":
      return haltReason !== undefined
        ? `Halted before changing anything: ${haltReason}.`
        : `Halted by the canary proof: ${canary?.detail ?? "no verdict"}. The rest of the fleet was not touched.`;
    case "cancelled":
      return "Cancelled: work in flight finished; nothing else was started.";
    case "approvalTimedOut":
      return "The run was not approved in time; nothing was changed.";
    case "completedWithFailures":
      return `Completed with ${failed} failure(s); see the per-resource outcomes.${pathsNotOut(canary?.paths)}`;
    default:
      return `Completed: every resource was cycled or skipped with a reason.${pathsNotOut(canary?.paths)}`;
  }
}

/** Pages of the closing VM listing read per activity call, and the waits it may spend on throttling before giving up. */
const LATE_LISTING_MAX_WAITS = 5;

/**
 * The VMs the subscription holds at the end of the run that the plan did not list: created after the plan, so
 * started under the new network policy (the exemption is in place). One statusOnly listing, followed page by page;
 * when ARM keeps refusing it, the run says so in a warning rather than wait on.
 */
function* createdAfterPlan(run: Run, subscriptionId: string, plan: Plan): Generator<Task, ResourceOutcome[], unknown> {
  const planned = new Set(plan.entries.map((e) => resourceKey(e.resourceId)));
  const found: VmPowerStatus[] = [];
  let nextLink: string | undefined;
  let waits = 0;
  for (;;) {
    const page = yield* run.activity(listVmPagesActivity, { subscriptionId, view: "status", ...(nextLink !== undefined ? { nextLink } : {}) });
    if (page.status !== "ok") {
      if ((page.status === "throttled" || page.status === "conflict") && waits < LATE_LISTING_MAX_WAITS) {
        waits++;
        yield* run.sleep(backoffSeconds(waits, page.retryAfterSeconds));
        continue;
      }
      run.warnings.push(`VMs created after the plan could not be listed (${page.code}: ${page.message.slice(0, 300)})`);
      break;
    }
    found.push(...page.statuses);
    nextLink = page.nextLink;
    if (nextLink === undefined) break;
    if (page.retryAfterSeconds !== undefined) yield* run.sleep(page.retryAfterSeconds);
  }
  const at = nowIso(run.context);
  return found
    .filter((s) => !planned.has(resourceKey(s.id)))
    .map((s) => {
      const name = /\/virtualMachines\/([^/]+)$/i.exec(s.id)?.[1] ?? s.id;
      const resourceGroup = /\/resourceGroups\/([^/]+)/i.exec(s.id)?.[1] ?? "";
      return {
        resourceId: s.id,
        kind: "vm" as const,
        name,
        resourceGroup,
        outcome: "skipped" as const,
        reasonCode: "createdAfterPlan" as const,
        message: `${name} was created after the plan: it started under the new network policy already (the exemption is in place); nothing was sent`,
        actions: [],
        stateAfter: s.powerState,
        endedAt: at,
      };
    });
}

export function* remediateSubscription(context: OrchestrationContext, input: RemediationInput): Generator<Task, RemediationOutput, unknown> {
  const run = new Run(context, input);
  const startedAt = nowIso(context);
  run.publish("verifying the subscription");

  try {
    const audit = yield* run.activity(recordRunStartedActivity, input);
    if (!audit.recorded) run.warnings.push(`audit: ${audit.detail ?? "not recorded"}`);
  } catch (e) {
    run.warnings.push(`audit: the start of the run was not recorded (${ensureError(e).message.slice(0, 300)})`);
  }

  // 1 verify
  const classification = yield* verify(run);
  if (classification.warning !== undefined) run.warnings.push(classification.warning);
  let status: RunStatus | undefined;
  if (classification.category === "blockedNotExemptible") status = "refused";
  else if (classification.category === "notBlocked") status = "nothingToDo";
  else if (classification.category === "unknown" && !input.options.forceUnknownBilling) status = "refused";
  else if (classification.category === "unknown") run.warnings.push(`billing unknown, forced by option: ${classification.reason}`);

  // 2 discover (reads only; a refused run still accounts for every resource)
  run.phase = "discover";
  run.publish("discovering resources");
  let plan: Plan | undefined;
  let discovery: Discovery | undefined;
  let haltReason: string | undefined;
  if (!run.cancelled()) {
    try {
      discovery = yield* discover(run);
    } catch (e) {
      // Nothing has been changed yet: halt with a record rather than fail without one.
      haltReason = `the resources could not be listed (${ensureError(e).message.slice(0, 300)})`;
      run.warnings.push(haltReason);
      status ??= "halted";
    }
  }

  // 3 plan
  if (discovery !== undefined) {
    run.phase = "plan";
    const found = discovery;
    plan = run.memo(planMemo, "plan", () => buildPlan(found, input.options));
    run.total = plan.entries.length;
    for (const e of plan.entries) if (e.action === "skip") run.record(skippedOutcome(e, e.skipReason ?? "skipTag", e.skipMessage ?? "skipped by the plan"));
    run.publish(`${plan.counts.toCycle} to cycle, ${plan.counts.toRefresh} VNets to refresh, ${plan.counts.skipped} skipped`);
  }
  if (status === undefined && run.cancelled()) status = "cancelled";
  if (status === undefined && input.mode === "plan") status = "planned";

  // 4 approve
  let approval: Decision | undefined;
  if (status === undefined && input.requireApproval) {
    run.phase = "approve";
    run.publish(`waiting up to ${input.options.approvalTimeoutMinutes} min for approval`);
    if (plan !== undefined) {
      const deadline = addSeconds(context.df.currentUtcDateTime, input.options.approvalTimeoutMinutes * 60).toISOString();
      const counts = { total: plan.entries.length, toCycle: plan.counts.toCycle, toRefresh: plan.counts.toRefresh, skipped: plan.counts.skipped };
      yield* announce(context, { type: "approvalNeeded", runId: input.runId, instanceId: context.df.instanceId, subscriptionId: input.subscriptionId, at: nowIso(context), deadline, requestedBy: input.requestedBy, counts });
    }
    const approve = context.df.waitForExternalEvent(APPROVE_EVENT);
    const cancel = run.cancel();
    const timeout = context.df.createTimer(addSeconds(context.df.currentUtcDateTime, input.options.approvalTimeoutMinutes * 60));
    const first = yield context.df.Task.any([approve, cancel, timeout]);
    if (first !== timeout) timeout.cancel();
    if (first === cancel) {
      run.cancelRequested = true;
      status = "cancelled";
    } else if (first === timeout) {
      status = "approvalTimedOut";
    } else {
      const event = ApproveEventSchema.safeParse(approve.result);
      approval = event.success ? approvalDecision(event.data) : unrecordedDecision(context);
    }
  }

  let canary: CanaryResult | undefined;
  if (status === undefined && plan !== undefined && discovery !== undefined) {
    const byId = new Map(plan.entries.map((e) => [resourceKey(e.resourceId), e] as const));
    // 5 subnets
    const vnets = plan.entries.filter((e) => e.action === "refreshSubnet");
    if (vnets.length > 0) {
      run.phase = "subnets";
      run.publish(`refreshing ${vnets.length} VNet(s) with delegated subnets`);
      yield* runVnets(context, run, vnets);
    }
    // 6 canary
    if (!run.cancelled()) {
      canary = yield* runCanary(context, run, plan, discovery, byId);
      if (canary?.result === "unreachable" || canary?.result === "unavailable") {
        status = "halted";
        yield* announce(context, { type: "canaryHalted", runId: input.runId, instanceId: context.df.instanceId, subscriptionId: input.subscriptionId, at: nowIso(context), result: canary.result, detail: canary.detail ?? canary.result, counts: run.progressCounts() });
      }
      if (canary?.verification === "attestationOnly") run.warnings.push("verification attestationOnly: TCP 25 was not probed; the exemption is taken on the attestation");
    }
    // 7 waves
    const waves = plan.waves.filter((w) => !w.canary);
    run.waves = plan.waves.length;
    if (status === undefined) {
      run.phase = "waves";
      for (const wave of waves) {
        if (run.cancelled()) break;
        run.wave = wave.index;
        run.publish(`wave ${wave.index} (${wave.label})`);
        yield* runWave(context, run, wave, byId);
      }
    }
    if (status === undefined && run.cancelled()) status = "cancelled";
  }

  // 8 report
  run.phase = "report";
  const outcomes: ResourceOutcome[] = (plan?.entries ?? []).map((entry) => withEgress(entry, outcomeOf(entry)));
  function outcomeOf(entry: PlanEntry): ResourceOutcome {
    const done = run.outcomes.get(resourceKey(entry.resourceId));
    if (done !== undefined) return done;
    const untouched = status !== undefined ? status : "cancelled";
    // A refused run of an unclassified subscription says so: it is unknown, not known to be non-exemptible.
    if (untouched === "refused" && classification.category === "unknown") {
      return skippedOutcome(entry, "subscriptionUnknown", "the subscription could not be classified (see the classification); nothing was changed");
    }
    return skippedOutcome(entry, UNTOUCHED_REASON[untouched] ?? "cancelled", untouchedMessage(untouched, entry));
  }
  if (status === undefined && plan !== undefined) {
    // VMs created after the plan start under the new network policy already: listed once, never touched.
    outcomes.push(...(yield* createdAfterPlan(run, input.subscriptionId, plan)));
  }
  const counts = countOutcomes(outcomes, outcomes.length);
  const finalStatus: RunStatus = status ?? (counts.failed > 0 ? "completedWithFailures" : "completed");
  const byOutcome = { cycled: counts.cycled, skipped: counts.skipped, failed: counts.failed };
  const leftDown = leftDownResources(outcomes);
  const cancellation = run.cancellation();
  const leftBehind = leftBehindSubnets(outcomes);
  for (const line of leftBehind) if (!run.warnings.includes(line)) run.warnings.push(line);
  const leftDownNote =
    (leftDown.length === 0
      ? ""
      : `${leftDown.length} resource(s) LEFT DOWN by the run, not brought back (${leftDown.map((d) => `${d.name}: ${d.state}`).join(", ")}): see the manual action of each. `) +
    (leftBehind.length === 0 ? "" : `${leftBehind.length} temporary subnet(s) LEFT BEHIND: see the warnings for the command that deletes each. `);
  const result: RemediationResult = {
    summary: {
      runId: input.runId,
      subscriptionId: input.subscriptionId,
      status: finalStatus,
      mode: input.mode,
      message: leftDownNote + statusMessage(finalStatus, classification, canary, counts.failed, haltReason),
      startedAt,
      endedAt: nowIso(context),
      counts,
      byReason: groupByReason(outcomes),
      byOutcome,
      ...(canary !== undefined ? { canary } : {}),
      warnings: run.warnings,
      leftDown,
      ...(approval !== undefined ? { approval } : {}),
      ...(cancellation !== undefined ? { cancellation } : {}),
    },
    classification,
    ...(plan !== undefined ? { plan } : {}),
    outcomes,
    input,
  };
  run.publish(result.summary.message);
  // The full record (plan, every outcome, input) is written once, through the activity; the run returns its summary.
  let recorded = false;
  try {
    const audit = yield* run.activity(recordRunCompletedActivity, result);
    recorded = audit.recorded;
    const note = `audit: ${audit.detail ?? "not recorded"}`;
    if (!audit.recorded && !result.summary.warnings.includes(note)) result.summary.warnings.push(note);
  } catch (e) {
    result.summary.warnings.push(`audit: the result was not recorded (${ensureError(e).message.slice(0, 300)})`);
  }
  run.phase = "done";
  run.publish(result.summary.message);
  yield* announce(context, completionEvent(context.df.instanceId, result));
  const output = { summary: result.summary, recorded };
  if (input.waiter !== undefined) {
    // The instance that started this run (a lane, a re-verification) waits for this event; should it not arrive,
    // the waiter reads this instance (orchestrations/runStart.ts).
    try {
      yield* callActivity(context, signalRunEndedActivity, { waiterInstanceId: input.waiter.instanceId, runId: input.runId, output }, transientRetry());
    } catch {
      // Not told: the waiter's read of this instance finds the run ended within its poll interval.
    }
  }
  const scope = run.memoScope;
  if (scope !== undefined) for (const memo of [discoveryMemo, planMemo, waveMemo, waveEntriesMemo]) memo.drop(scope);
  return output;
}

registerOrchestration(remediateSubscriptionOrchestration, remediateSubscription);
