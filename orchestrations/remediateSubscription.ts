/**
 * The run for one subscription (docs/architecture.md, "The workflow"): verify → discover → plan → (approve) → subnets → canary → waves →
 * report. One instance per subscription (remediationInstanceId). Every resource of the plan ends with exactly one
 * outcome; nothing that is refused, planned only or halted writes to ARM beyond what is described below.
 *
 * Cancel ("cancel" event): stops what has not started — no new VNet refresh, wave or lane — while work in flight
 * finishes, so no VM is left half-cycled. The run's custom status lists the wave in flight (`activeWaves`), whose
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
 *
 * The run's state and its cancel-aware waits are subscriptionRun.ts; the VNet refreshes and the waves,
 * subscriptionWaves.ts; the canary step, subscriptionCanary.ts; the closing outcomes and status, subscriptionClose.ts;
 * the waits they share, toolkit/.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { activityTask, callActivity, registerOrchestration } from "./toolkit/calls";
import { signalRunEndedActivity } from "../src/contracts/durable/runStart";
import { remediateSubscriptionOrchestration } from "../src/contracts/durable/remediateSubscription";
import { classifySubscriptionActivity } from "../src/contracts/durable/classifySubscription";
import { recordRunStartedActivity } from "../src/contracts/durable/recordRunStarted";
import { recordRunCompletedActivity } from "../src/contracts/durable/recordRunCompleted";
import { addSeconds } from "../src/contracts/durable/clock";
import { APPROVE_EVENT } from "../src/contracts/names";
import { ApproveEventSchema, approvalDecision, type Decision } from "../src/contracts/events";
import { resourceKey } from "../src/contracts/ids";
import type { Classification } from "../src/contracts/classification";
import type { Discovery } from "../src/contracts/discovery";
import type { Plan, PlanEntry } from "../src/contracts/plan";
import type { ResourceOutcome } from "../src/contracts/outcome";
import type {
  CanaryResult,
  RemediationInput,
  RemediationOutput,
  RemediationResult,
  RunStatus,
} from "../src/contracts/remediation";
import { buildPlan } from "../src/domain/planWaves";
import {
  countOutcomes,
  groupByReason,
  leftBehindSubnets,
  leftDownResources,
  mergeReasons,
  withTally,
} from "../src/domain/summarize";
import { announce } from "./notify";
import { completionEvent } from "../src/domain/notifications";
import { discoverSubscription, discoveryMemo } from "./discovery";
import { ReplayMemo } from "./replayMemo";
import { classifyWithWaits, nowIso, skippedOutcome, transientRetry } from "./shared";
import { MEMO_RUNS, Run, unrecordedDecision } from "./subscriptionRun";
import { dropWaveMemos, runVnets, runWave } from "./subscriptionWaves";
import { runCanary } from "./subscriptionCanary";
import { writeAudit } from "./toolkit/auditWrite";
import { classificationDecision } from "./toolkit/decision";
import { UNTOUCHED_REASON, createdAfterPlan, statusMessage, untouchedMessage, withEgress } from "./subscriptionClose";
import { clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

const planMemo = new ReplayMemo<Plan>(MEMO_RUNS);
const planIndexMemo = new ReplayMemo<ReadonlyMap<string, number>>(MEMO_RUNS);

/** Each entry's index in the plan, by resource: its place in the run's record. */
function planIndexOf(plan: Plan): ReadonlyMap<string, number> {
  return new Map(plan.entries.map((e, i) => [resourceKey(e.resourceId), i] as const));
}

/** What every event a run announces names: the run, its instance, the subscription, and when. */
function eventHead(
  context: OrchestrationContext,
  input: RemediationInput,
): { runId: string; instanceId: string; subscriptionId: string; at: string } {
  return {
    runId: input.runId,
    instanceId: context.df.instanceId,
    subscriptionId: input.subscriptionId,
    at: nowIso(context),
  };
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

export function* remediateSubscription(
  context: OrchestrationContext,
  input: RemediationInput,
): Generator<Task, RemediationOutput, unknown> {
  const run = new Run(context, input);
  const startedAt = nowIso(context);
  run.publish("verifying the subscription");

  const started = yield* writeAudit(
    () => run.activity(recordRunStartedActivity, input),
    "the start of the run",
    run.warnings,
  );
  // Lanes write their own outcomes to a record that took the run's start; without one they hand them up.
  run.lanesRecord = started.recorded;

  // 1 verify
  const classification = yield* verify(run);
  if (classification.warning !== undefined) run.warnings.push(classification.warning);
  let status: RunStatus | undefined;
  const decided = classificationDecision(classification, input.options.forceUnknownBilling);
  if (decided === "refuse") status = "refused";
  else if (decided === "nothingToDo") status = "nothingToDo";
  else if (decided === "proceedForced")
    run.warnings.push(`billing unknown, forced by option: ${classification.reason}`);

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
      haltReason = `the resources could not be listed (${clippedMessage(e, TEXT_LIMITS.note)})`;
      run.warnings.push(haltReason);
      status ??= "halted";
    }
  }

  // 3 plan
  if (discovery !== undefined) {
    run.phase = "plan";
    const found = discovery;
    plan = run.memo(planMemo, "plan", () => buildPlan(found, input.options));
    const planned = plan;
    run.planIndex = run.memo(planIndexMemo, "planIndex", () => planIndexOf(planned));
    run.total = plan.entries.length;
    run.subscriptionVms = plan.counts.vms;
    for (const e of plan.entries)
      if (e.action === "skip")
        run.record(skippedOutcome(e, e.skipReason ?? "skipTag", e.skipMessage ?? "skipped by the plan"));
    run.publish(
      `${plan.counts.toCycle} to cycle, ${plan.counts.toRefresh} VNets to refresh, ${plan.counts.skipped} skipped`,
    );
  }
  if (status === undefined && run.cancelled()) status = "cancelled";
  if (status === undefined && input.mode === "plan") status = "planned";

  // 4 approve
  let approval: Decision | undefined;
  if (status === undefined && input.requireApproval) {
    run.phase = "approve";
    run.publish(`waiting up to ${input.options.approvalTimeoutMinutes} min for approval`);
    // One deadline: the one the approvers are told is the one the timer keeps (announcing takes an episode).
    const deadline = addSeconds(context.df.currentUtcDateTime, input.options.approvalTimeoutMinutes * 60);
    if (plan !== undefined) {
      const counts = {
        total: plan.entries.length,
        toCycle: plan.counts.toCycle,
        toRefresh: plan.counts.toRefresh,
        skipped: plan.counts.skipped,
      };
      yield* announce(context, {
        type: "approvalNeeded",
        ...eventHead(context, input),
        deadline: deadline.toISOString(),
        requestedBy: input.requestedBy,
        counts,
      });
    }
    const approve = context.df.waitForExternalEvent(APPROVE_EVENT);
    const cancel = run.cancel();
    const timeout = context.df.createTimer(deadline);
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
        yield* announce(context, {
          type: "canaryHalted",
          ...eventHead(context, input),
          result: canary.result,
          detail: canary.detail ?? canary.result,
          counts: run.progressCounts(),
        });
      }
      if (canary?.verification === "attestationOnly")
        run.warnings.push(
          "verification attestationOnly: TCP 25 was not probed; the exemption is taken on the attestation",
        );
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
  // The outcomes the run holds: every resource's but those its lanes recorded themselves (counted by run.recorded).
  const outcomes: ResourceOutcome[] = (plan?.entries ?? []).flatMap((entry) => {
    const o = outcomeOf(entry);
    return o === undefined ? [] : [withEgress(entry, o)];
  });
  function outcomeOf(entry: PlanEntry): ResourceOutcome | undefined {
    if (run.has(entry.resourceId) && !run.outcomes.has(resourceKey(entry.resourceId))) return undefined;
    const done = run.outcomes.get(resourceKey(entry.resourceId));
    if (done !== undefined) return done;
    const untouched = status !== undefined ? status : "cancelled";
    // A refused run of an unclassified subscription says so: it is unknown, not known to be non-exemptible.
    if (untouched === "refused" && classification.category === "unknown") {
      return skippedOutcome(
        entry,
        "subscriptionUnknown",
        "the subscription could not be classified (see the classification); nothing was changed",
      );
    }
    return skippedOutcome(entry, UNTOUCHED_REASON[untouched] ?? "cancelled", untouchedMessage(untouched, entry));
  }
  if (status === undefined && plan !== undefined) {
    // VMs created after the plan start under the new network policy already: listed once, never touched.
    outcomes.push(...(yield* createdAfterPlan(run, input.subscriptionId, plan)));
  }
  const lanes = run.recorded;
  const counts = withTally(countOutcomes(outcomes, outcomes.length), lanes);
  const finalStatus: RunStatus = status ?? (counts.failed > 0 ? "completedWithFailures" : "completed");
  const byOutcome = { cycled: counts.cycled, skipped: counts.skipped, failed: counts.failed };
  const leftDown = [...leftDownResources(outcomes), ...(lanes?.leftDown ?? [])];
  const cancellation = run.cancellation();
  const leftBehind = leftBehindSubnets(outcomes);
  for (const line of leftBehind) if (!run.warnings.includes(line)) run.warnings.push(line);
  const leftDownNote =
    (leftDown.length === 0
      ? ""
      : `${leftDown.length} resource(s) LEFT DOWN by the run, not brought back (${leftDown.map((d) => `${d.name}: ${d.state}`).join(", ")}): see the manual action of each. `) +
    (leftBehind.length === 0
      ? ""
      : `${leftBehind.length} temporary subnet(s) LEFT BEHIND: see the warnings for the command that deletes each. `);
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
      byReason: mergeReasons(groupByReason(outcomes), lanes?.byReason),
      byOutcome,
      canary,
      warnings: run.warnings,
      leftDown,
      approval,
      cancellation,
    },
    classification,
    plan,
    outcomes,
    ...(lanes !== undefined ? { laneOutcomes: { count: lanes.resources, lanes: lanes.lanes } } : {}),
    input,
  };
  run.publish(result.summary.message);
  // The full record (plan, every outcome, input) is written once, through the activity; the run returns its summary.
  const { recorded } = yield* writeAudit(
    () => run.activity(recordRunCompletedActivity, result),
    "the result",
    result.summary.warnings,
  );
  run.phase = "done";
  run.publish(result.summary.message);
  yield* announce(context, completionEvent(context.df.instanceId, result, lanes?.failures));
  const output = { summary: result.summary, recorded };
  if (input.waiter !== undefined) {
    // The instance that started this run (a lane, a re-verification) waits for this event; should it not arrive,
    // the waiter reads this instance (orchestrations/runStart.ts).
    try {
      yield* callActivity(
        context,
        signalRunEndedActivity,
        { waiterInstanceId: input.waiter.instanceId, runId: input.runId, output },
        transientRetry(),
      );
    } catch {
      // Not told: the waiter's read of this instance finds the run ended within its poll interval.
    }
  }
  const scope = run.memoScope;
  if (scope !== undefined) {
    for (const memo of [discoveryMemo, planMemo]) memo.drop(scope);
    planIndexMemo.drop(scope);
    dropWaveMemos(scope);
  }
  return output;
}

registerOrchestration(remediateSubscriptionOrchestration, remediateSubscription);
