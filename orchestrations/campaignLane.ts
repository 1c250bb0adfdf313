/**
 * One lane of a campaign's queue (campaignQueue.ts): up to LANE_MEMBERS_MAX subscriptions, one after another; a
 * queue runs its lanes one at a time. Each lane's history holds a few events per subscription, and its custom status
 * one short line per subscription (laneStatusMember), under the extension's 16 KB cap: LANE_MEMBERS_MAX bounds both.
 *
 * For each subscription, in order:
 * 1. classified (all of the lane's at once when the lane starts, so the view shows their verdicts early): blocked
 *    and not exemptible, or unknown (unless the run's options force unknown billing), → reported with the reason and
 *    left alone; not blocked → nothing to do;
 * 2. a live run of the subscription (started by hand, by another campaign or by the re-verification) → reported
 *    `alreadyRunning` with that run's id, never started twice;
 * 3. otherwise its run starts under the subscription's own instance id (remediationInstanceId), so every endpoint of a
 *    run (status, approve, cancel) works on it as on any run, and the one-live-run-per-subscription rule holds against
 *    starts from anywhere. It is started through the durable client, not as a sub-orchestration, and followed to its
 *    end with a deadline (orchestrations/runStart.ts, docs/architecture.md).
 *
 * Cancel: "cancel" stops the lane starting anything new; `cancel-<subscription>` (cancelMemberEvent) keeps one
 * subscription from starting. A run in flight is cancelled through its own instance (the campaign's cancel endpoint
 * does both), and the lane waits for it to end, so nothing is left half-done.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { activityTask, parseActivityResult, registerOrchestration } from "./toolkit/calls";
import {
  campaignLaneOrchestration,
  cancelMemberEvent,
  laneStatusMember,
  type CampaignLaneInput,
  type CampaignLaneOutput,
  type LaneStatus,
} from "../src/contracts/durable/campaign";
import { campaignRunId, cancelledBeforeRun, runInputOf, type CampaignMember } from "../src/contracts/campaign";
import type { z } from "zod";
import {
  classifySubscriptionActivity,
  type ClassifySubscriptionOutput,
} from "../src/contracts/durable/classifySubscription";
import { CANCEL_EVENT } from "../src/contracts/names";
import { remediationInstanceId } from "../src/contracts/remediation";
import type { Classification } from "../src/contracts/classification";
import { classifyWithWaits, nowIso, sleep, transientRetry, unreadableSubscription } from "./shared";
import { followRun, runDeadlineMinutes, startRunOf } from "./runStart";
import { awaitGroup } from "./toolkit/groupWait";
import { classificationDecision } from "./toolkit/decision";
import { clip, TEXT_LIMITS } from "../src/contracts/textLimits";

type ClassifyAnswer = z.output<typeof ClassifySubscriptionOutput>;

/** The member a verdict leaves alone (toolkit/decision.ts), or undefined when the subscription's run should start. */
function leftAlone(member: CampaignMember, c: Classification, forceUnknown: boolean): CampaignMember | undefined {
  const base = {
    ...member,
    category: c.category,
    reason: clip(c.reason, TEXT_LIMITS.reason),
    ...(c.advice !== undefined ? { advice: clip(c.advice, TEXT_LIMITS.reason) } : {}),
  };
  const decided = classificationDecision(c, forceUnknown);
  if (decided === "nothingToDo") return { ...base, state: "nothingToDo" };
  if (decided !== "refuse") return undefined;
  // An unknown verdict names the permission to check first.
  const permission =
    c.category === "unknown" && c.missingPermission !== undefined ? ` (check ${c.missingPermission})` : "";
  return { ...base, state: "notExemptible", reason: clip(`${c.reason}${permission}`, TEXT_LIMITS.reason) };
}

export function* campaignLane(
  context: OrchestrationContext,
  input: CampaignLaneInput,
): Generator<Task, CampaignLaneOutput, unknown> {
  const members: CampaignMember[] = input.members.map((m) => ({
    subscriptionId: m.subscriptionId,
    displayName: m.displayName,
    state: "pending",
  }));
  // One waiter for the lane and one per subscription, for the lane's whole life: an event is recorded whenever it
  // arrives, and checked before each start.
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);
  const memberCancels = input.members.map((m) => context.df.waitForExternalEvent(cancelMemberEvent(m.subscriptionId)));
  let activeRun: string | undefined;
  const publish = (): void => {
    const status: LaneStatus = {
      lane: input.lane,
      members: members.map(laneStatusMember),
      activeRun,
      ...(cancel.isCompleted ? { cancelRequested: true } : {}),
    };
    context.df.setCustomStatus(status);
  };
  publish();

  // 1 classify every subscription of the lane at once, as a group (toolkit/groupWait.ts) whose wait also holds the
  // cancel waiters: a waiter the orchestration never yielded is never handed its event. A throttled or conflicting
  // answer is waited out alone below.
  const first = input.members.map((m) =>
    activityTask(context, classifySubscriptionActivity, { subscriptionId: m.subscriptionId }, transientRetry()),
  );
  const answers: (ClassifyAnswer | Error)[] = [];
  yield* awaitGroup(context, first, [cancel, ...memberCancels], {
    done: (raw, i) => (answers[i] = parseActivityResult(classifySubscriptionActivity, raw)),
    failed: (e, i) => (answers[i] = e),
  });
  for (const [i, m] of input.members.entries()) {
    const out = answers[i];
    let verdict: Classification;
    if (out === undefined || out instanceof Error) {
      // A read that kept failing: that subscription is unknown; the others' answers stand.
      verdict = unreadableSubscription(clip((out ?? new Error("no answer")).message, TEXT_LIMITS.note));
    } else if (out.status === "ok") {
      verdict = out.classification;
      const member = members[i];
      if (member !== undefined && member.displayName === undefined && out.subscription.displayName !== "")
        members[i] = { ...member, displayName: clip(out.subscription.displayName, TEXT_LIMITS.name) };
    } else {
      // Throttled or in conflict: waited out as the run's own verification does, starting from this answer.
      let answer: ClassifyAnswer | undefined = out;
      verdict = yield* classifyWithWaits(
        function* () {
          const given = answer;
          answer = undefined;
          if (given !== undefined) return given;
          return parseActivityResult(
            classifySubscriptionActivity,
            yield activityTask(
              context,
              classifySubscriptionActivity,
              { subscriptionId: m.subscriptionId },
              transientRetry(),
            ),
          );
        },
        (seconds) => sleep(context, seconds),
        () => cancel.isCompleted,
      );
    }
    const member = members[i];
    if (member === undefined) continue;
    const alone = leftAlone(member, verdict, input.run.options.forceUnknownBilling);
    if (alone !== undefined) members[i] = alone;
    else members[i] = { ...member, category: verdict.category };
  }
  publish();

  // 2-3 each subscription in turn
  for (const [i, m] of input.members.entries()) {
    const member = members[i];
    if (member === undefined || member.state !== "pending") continue;
    const memberCancel = memberCancels[i];
    if (cancel.isCompleted || memberCancel?.isCompleted === true) {
      members[i] = {
        ...cancelledBeforeRun(member, cancel.isCompleted ? cancel.result : memberCancel?.result),
        category: member.category,
      };
      publish();
      continue;
    }
    // 2-3 the live check and the start in one activity, right before the start: the engine refuses a start under a
    // live id (orchestrations/runStart.ts), so a run started from anywhere meanwhile is reported, never doubled.
    const runInstanceId = remediationInstanceId(m.subscriptionId);
    const runInput = runInputOf(
      input.run,
      m.subscriptionId,
      campaignRunId(input.campaignId, m.subscriptionId, m.index),
      {
        campaignId: input.campaignId,
        instanceId: input.campaignInstanceId,
      },
    );
    const start = yield* startRunOf(context, runInstanceId, runInput);
    if (start.status === "alreadyRunning") {
      members[i] = {
        ...member,
        state: "alreadyRunning",
        runInstanceId,
        runId: start.runId,
        reason: `a run of this subscription${start.runId !== undefined ? ` (${start.runId})` : ""}${start.requestedBy !== undefined ? ` started by ${start.requestedBy}` : ""} is ${start.runtimeStatus}: not started twice`,
      };
      publish();
      continue;
    }
    const startedAt = nowIso(context);
    members[i] = { ...member, state: "running", runInstanceId, runId: runInput.runId, startedAt };
    activeRun = runInstanceId;
    publish();
    const deadlineMinutes = runDeadlineMinutes(runInput);
    const followed = yield* followRun(context, { instanceId: runInstanceId, runId: runInput.runId, deadlineMinutes }, [
      cancel,
      ...memberCancels,
    ]);
    switch (followed.kind) {
      case "completed": {
        const out = followed.output;
        members[i] = {
          ...member,
          state: "done",
          runInstanceId,
          runId: runInput.runId,
          runStatus: out.summary.status,
          counts: out.summary.counts,
          startedAt: out.summary.startedAt,
          endedAt: out.summary.endedAt,
          recorded: out.recorded,
          ...(out.summary.status !== "completed" && out.summary.status !== "planned"
            ? { reason: clip(out.summary.message, TEXT_LIMITS.reason) }
            : {}),
        };
        break;
      }
      case "ended":
        members[i] = {
          ...member,
          state: "failed",
          runInstanceId,
          runId: runInput.runId,
          endedAt: nowIso(context),
          reason: `the run ended without a result: ${clip(followed.message, TEXT_LIMITS.quotedInReason)} (see /api/remediations/${runInstanceId} and the run's audit record)`,
        };
        break;
      case "deadline":
        // The run goes on by itself and writes its own audit record; the campaign stops following it.
        members[i] = {
          ...member,
          state: "running",
          runInstanceId,
          runId: runInput.runId,
          startedAt,
          reason: `still ${followed.runtimeStatus} after ${Math.round(followed.minutes / 60)} hours, when the campaign stopped following it: follow it at /api/remediations/${runInstanceId}; its audit record tells how it ended`,
        };
        break;
    }
    activeRun = undefined;
    publish();
  }
  return { members, cancelled: cancel.isCompleted };
}

registerOrchestration(campaignLaneOrchestration, campaignLane);
