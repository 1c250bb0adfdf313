/**
 * A campaign (src/contracts/campaign.ts): resolve its subscriptions (the list given, or every subscription under a
 * management group), deal them into queues (campaignQueue.ts) — as many as the cap on concurrent subscriptions, each
 * taking its subscriptions one after another, in lanes of LANE_MEMBERS_MAX (campaignLane.ts) so that no history
 * grows with the estate — and report every subscription: left alone with its reason, already running, cancelled
 * before its run, or run to its end with its counts.
 *
 * Cancel ("cancel", raised by the campaign's cancel endpoint, which also cancels the queues, their lanes in flight
 * and every run in flight): no subscription starts after it; those not started are reported cancelled; runs in
 * flight finish their work in flight as a cancelled run does.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import { activityTask, parseActivityResult, registerOrchestration, subOrchestrationTask } from "./toolkit/calls";
import { parseWith } from "../src/contracts/parse";
import {
  campaignQueueOrchestration,
  CampaignQueueOutput,
  queueInstanceId,
  listManagementGroupSubscriptionsActivity,
  type ListManagementGroupSubscriptionsOutput,
  recordCampaignCompletedActivity,
  recordCampaignStartedActivity,
  remediateCampaignOrchestration,
  type CampaignSubscription,
} from "../src/contracts/durable/campaign";
import {
  cancelledBeforeRun,
  campaignTotals,
  failedWithHolder,
  MAX_CAMPAIGN_SUBSCRIPTIONS,
  type CampaignInput,
  type CampaignMember,
  type CampaignOutput,
  type CampaignPhase,
  type CampaignProgress,
  type CampaignStatus,
  type CampaignSummary,
  type CampaignTotals,
} from "../src/contracts/campaign";
import { CANCEL_EVENT } from "../src/contracts/names";
import { cancellationDecision, CancelEventSchema, type Decision } from "../src/contracts/events";
import type { RunStatus } from "../src/contracts/remediation";
import { MAX_READ_ATTEMPTS, nowIso, transientRetry } from "./shared";
import { writeAudit } from "./toolkit/auditWrite";
import { awaitUnlessCancelled } from "./toolkit/cancelAwareWait";
import { awaitGroup } from "./toolkit/groupWait";
import { retryWhileBusy } from "./toolkit/retry";
import { addSeconds } from "../src/contracts/durable/clock";
import { clip, clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

/** Run statuses that mean the subscription's run did not do all it set out to do. */
const UNFINISHED: readonly RunStatus[] = [
  "completedWithFailures",
  "halted",
  "approvalTimedOut",
  "refused",
  "cancelled",
];

type Resolved = { subscriptions: CampaignSubscription[] } | { halt: string };

/** Waits for a task the campaign's own way (holding its cancel waiter): its result, or it throws. */
type Hold = (task: Task) => Generator<Task, unknown, unknown>;

/**
 * The campaign's subscriptions: the list given, or the management group's, waiting out throttling (`hold` waits,
 * `cancelled` stops the waiting).
 */
function* resolve(
  context: OrchestrationContext,
  input: CampaignInput,
  hold: Hold,
  cancelled: () => boolean,
): Generator<Task, Resolved, unknown> {
  const target = input.target;
  if (target.kind === "subscriptions")
    return { subscriptions: target.subscriptionIds.map((subscriptionId) => ({ subscriptionId })) };
  let out: z.output<typeof ListManagementGroupSubscriptionsOutput>;
  try {
    ({ last: out } = yield* retryWhileBusy(
      function* (): Generator<Task, z.output<typeof ListManagementGroupSubscriptionsOutput>, unknown> {
        return parseActivityResult(
          listManagementGroupSubscriptionsActivity,
          yield* hold(
            activityTask(
              context,
              listManagementGroupSubscriptionsActivity,
              { managementGroupId: target.managementGroupId },
              transientRetry(),
            ),
          ),
        );
      },
      function* (seconds) {
        yield* hold(context.df.createTimer(addSeconds(context.df.currentUtcDateTime, Math.max(1, seconds))));
      },
      { maxAttempts: MAX_READ_ATTEMPTS, stop: cancelled },
    ));
  } catch (e) {
    return {
      halt: `the subscriptions of management group ${target.managementGroupId} could not be listed (${clippedMessage(e, TEXT_LIMITS.note)})`,
    };
  }
  if (out.status !== "ok") {
    const permission =
      out.statusCode === 403
        ? " (the identity needs Microsoft.Management/managementGroups/descendants/read at the group: see docs/deploy.md)"
        : "";
    return {
      halt: `the subscriptions of management group ${target.managementGroupId} could not be listed: ${out.code}: ${clip(out.message, TEXT_LIMITS.note)}${permission}`,
    };
  }
  if (out.subscriptions.length === 0)
    return {
      halt: `management group ${target.managementGroupId} has no subscriptions beneath it (or none this identity can read)`,
    };
  if (out.subscriptions.length > MAX_CAMPAIGN_SUBSCRIPTIONS) {
    return {
      halt: `management group ${target.managementGroupId} has ${out.subscriptions.length} subscriptions beneath it; a campaign takes at most ${MAX_CAMPAIGN_SUBSCRIPTIONS}: start campaigns on its child groups`,
    };
  }
  return { subscriptions: out.subscriptions };
}

/** Subscriptions dealt round-robin into at most `queues` queues, each subscription keeping its index in the campaign. */
function deal<T>(items: readonly T[], queues: number): T[][] {
  const out: T[][] = Array.from({ length: Math.min(queues, items.length) }, () => []);
  items.forEach((item, i) => out[i % out.length]?.push(item));
  return out;
}

function statusOf(members: readonly CampaignMember[], cancelled: boolean, halt: string | undefined): CampaignStatus {
  if (cancelled) return "cancelled";
  if (halt !== undefined) return "halted";
  const troubled = members.some(
    (m) =>
      m.state === "failed" ||
      (m.runStatus !== undefined && UNFINISHED.includes(m.runStatus)) ||
      (m.counts?.leftDown ?? 0) > 0,
  );
  return troubled ? "completedWithFailures" : "completed";
}

function messageOf(status: CampaignStatus, totals: CampaignTotals, halt: string | undefined): string {
  if (halt !== undefined) return `${status === "cancelled" ? "Cancelled" : "Halted"} before starting any run: ${halt}.`;
  const s = totals.byState;
  const r = totals.resources;
  const parts = [
    `${totals.subscriptions} subscription(s): ${s.done} run`,
    s.running > 0 ? `${s.running} still running` : "",
    s.notExemptible > 0 ? `${s.notExemptible} not exemptible (left alone)` : "",
    s.nothingToDo > 0 ? `${s.nothingToDo} with nothing to do` : "",
    s.alreadyRunning > 0 ? `${s.alreadyRunning} already running (not started twice)` : "",
    s.cancelled > 0 ? `${s.cancelled} cancelled before their run` : "",
    s.failed > 0 ? `${s.failed} failed` : "",
  ].filter((p) => p !== "");
  const leftDown = (r.leftDown ?? 0) > 0 ? `${r.leftDown} resource(s) LEFT DOWN: see the runs' reports. ` : "";
  const head =
    status === "cancelled"
      ? "Cancelled: runs in flight finished; nothing else was started. "
      : status === "completedWithFailures"
        ? "Completed with failures. "
        : "Completed. ";
  return `${leftDown}${head}${parts.join(", ")}; resources: ${r.cycled} cycled, ${r.skipped} skipped, ${r.failed} failed.`;
}

export function* remediateCampaign(
  context: OrchestrationContext,
  input: CampaignInput,
): Generator<Task, CampaignOutput, unknown> {
  const instanceId = context.df.instanceId;
  const startedAt = nowIso(context);
  const warnings: string[] = [];
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);
  let phase: CampaignPhase = "resolve";
  let subscriptions = 0;
  let queues: string[] = [];
  const publish = (message?: string): void => {
    const progress: CampaignProgress = {
      campaignId: input.campaignId,
      phase,
      subscriptions,
      queues,
      message,
      ...(cancel.isCompleted ? { cancelRequested: true } : {}),
    };
    context.df.setCustomStatus(progress);
  };
  publish(
    input.target.kind === "managementGroup"
      ? `listing the subscriptions of management group ${input.target.managementGroupId}`
      : "starting",
  );
  // Every wait before the queues holds the cancel waiter too (toolkit/cancelAwareWait.ts).
  const hold: Hold = (task) => awaitUnlessCancelled(context, task, cancel, () => cancel.isCompleted);

  yield* writeAudit(
    function* () {
      return parseActivityResult(
        recordCampaignStartedActivity,
        yield* hold(activityTask(context, recordCampaignStartedActivity, input, transientRetry())),
      );
    },
    "the start of the campaign",
    warnings,
  );

  const resolved = yield* resolve(context, input, hold, () => cancel.isCompleted);
  const halt = "halt" in resolved ? resolved.halt : undefined;
  const found = "subscriptions" in resolved ? resolved.subscriptions : [];
  subscriptions = found.length;
  const members: CampaignMember[] = [];

  // Queues, as many as the cap, each taking its subscriptions lane after lane.
  phase = "runs";
  const cap = Math.max(1, input.maxConcurrentSubscriptions);
  const indexed = found.map((s, index) => ({ ...s, index }));
  // Cancelled before any queue started: every subscription is reported cancelled, nothing is started.
  const dealt = cancel.isCompleted ? [] : deal(indexed, cap);
  if (cancel.isCompleted) for (const m of indexed) members.push(cancelledBeforeRun(m, cancel.result));
  queues = dealt.map((_, q) => queueInstanceId(instanceId, input.campaignId, q));
  const tasks = dealt.map((queueMembers, q) =>
    subOrchestrationTask(
      context,
      campaignQueueOrchestration,
      { campaignId: input.campaignId, campaignInstanceId: instanceId, queue: q, members: queueMembers, run: input.run },
      queues[q],
    ),
  );
  if (tasks.length > 0) publish(`${subscriptions} subscription(s), up to ${cap} at once`);
  // The queues are waited on as a group (toolkit/groupWait.ts) whose wait holds the cancel waiter, which then
  // records the event whenever it arrives; a queue that failed is reported and the others still awaited.
  yield* awaitGroup(context, tasks, [cancel], {
    done: (raw) => members.push(...parseWith(CampaignQueueOutput, raw, "output of campaignQueue").members),
    failed: (e, q) => {
      for (const m of dealt[q] ?? []) members.push(failedWithHolder(m, "queue", e.message));
    },
  });
  // Back into the campaign's order.
  const order = new Map(indexed.map((m, i) => [m.subscriptionId, i] as const));
  members.sort((a, b) => (order.get(a.subscriptionId) ?? 0) - (order.get(b.subscriptionId) ?? 0));
  publish();

  phase = "report";
  const totals = campaignTotals(members);
  const cancelled = cancel.isCompleted;
  const status = statusOf(members, cancelled, halt);
  let cancellation: Decision | undefined;
  if (cancelled) {
    const event = CancelEventSchema.safeParse(cancel.result);
    cancellation = event.success
      ? cancellationDecision(event.data)
      : { by: "unknown (the event did not name its sender)", at: nowIso(context) };
  }
  const summary: CampaignSummary = {
    campaignId: input.campaignId,
    target: input.target,
    status,
    mode: input.run.mode,
    message: messageOf(status, totals, halt),
    startedAt,
    endedAt: nowIso(context),
    requestedBy: input.run.requestedBy,
    members,
    totals,
    cancellation,
    warnings,
  };
  publish(summary.message);
  const { recorded } = yield* writeAudit(
    function* () {
      return parseActivityResult(
        recordCampaignCompletedActivity,
        yield activityTask(context, recordCampaignCompletedActivity, { summary, input }, transientRetry()),
      );
    },
    "the campaign's result",
    summary.warnings,
  );
  phase = "done";
  publish(summary.message);
  return { summary, recorded };
}

registerOrchestration(remediateCampaignOrchestration, remediateCampaign);
