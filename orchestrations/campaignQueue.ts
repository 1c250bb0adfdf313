/**
 * One queue of a campaign: its share of the subscriptions, taken one after another in lanes of LANE_MEMBERS_MAX
 * (campaignLane.ts), one lane at a time, so that neither this history nor a lane's grows with the estate. The
 * campaign runs as many queues as its cap on concurrent subscriptions: a slow subscription holds back only its queue.
 *
 * Cancel: "cancel" keeps every subscription whose lane has not started from starting (reported cancelled); a lane in
 * flight is told by the cancel endpoint itself. `cancel-<subscription>` (cancelMemberEvent) keeps one subscription
 * whose lane has not started from starting; one whose lane has started is cancelled through that lane.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { registerOrchestration, subOrchestrationTask } from "./toolkit/calls";
import { parseWith } from "../src/contracts/parse";
import {
  campaignLaneOrchestration,
  CampaignLaneOutput,
  campaignQueueOrchestration,
  cancelMemberEvent,
  laneInstanceId,
  QUEUE_STATUS_CANCELLED_MAX,
  type CampaignQueueInput,
  type CampaignQueueOutput,
  type QueueStatus,
} from "../src/contracts/durable/campaign";
import { cancelledBeforeRun, failedWithHolder, LANE_MEMBERS_MAX, type CampaignMember } from "../src/contracts/campaign";
import { CANCEL_EVENT } from "../src/contracts/names";
import { awaitGroup } from "./toolkit/groupWait";

function* campaignQueue(
  context: OrchestrationContext,
  input: CampaignQueueInput,
): Generator<Task, CampaignQueueOutput, unknown> {
  // One waiter for the queue and one per subscription, for the queue's whole life (held by every wait below).
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);
  const memberCancels = new Map(
    input.members.map(
      (m) => [m.subscriptionId, context.df.waitForExternalEvent(cancelMemberEvent(m.subscriptionId))] as const,
    ),
  );
  const out: CampaignMember[] = [];
  const cancelledAhead: string[] = [];
  let lanes = 0;
  const publish = (): void => {
    const status: QueueStatus = {
      queue: input.queue,
      lanes,
      cancelled: cancelledAhead.slice(0, QUEUE_STATUS_CANCELLED_MAX),
      ...(cancel.isCompleted ? { cancelRequested: true } : {}),
    };
    context.df.setCustomStatus(status);
  };
  publish();
  for (let start = 0; start < input.members.length; start += LANE_MEMBERS_MAX) {
    const go: CampaignQueueInput["members"] = [];
    for (const m of input.members.slice(start, start + LANE_MEMBERS_MAX)) {
      const own = memberCancels.get(m.subscriptionId);
      if (!cancel.isCompleted && own?.isCompleted !== true) {
        go.push(m);
        continue;
      }
      out.push(cancelledBeforeRun(m, cancel.isCompleted ? cancel.result : own?.result));
    }
    if (go.length === 0) continue;
    const task = subOrchestrationTask(
      context,
      campaignLaneOrchestration,
      {
        campaignId: input.campaignId,
        campaignInstanceId: input.campaignInstanceId,
        lane: input.queue,
        members: go,
        run: input.run,
      },
      laneInstanceId(context.df.instanceId, lanes),
    );
    lanes++;
    publish();
    // The lane's wait holds the waiters too (toolkit/groupWait.ts): a waiter never yielded is never handed its event.
    yield* awaitGroup(context, [task], [cancel, ...memberCancels.values()], {
      done: (raw) => out.push(...parseWith(CampaignLaneOutput, raw, "output of campaignLane").members),
      failed: (e) => {
        for (const m of go) out.push(failedWithHolder(m, "lane", e.message));
      },
    });
    // Subscriptions cancelled one by one while this lane ran, whose lane is still to come.
    for (const m of input.members.slice(start + LANE_MEMBERS_MAX)) {
      if (memberCancels.get(m.subscriptionId)?.isCompleted === true && !cancelledAhead.includes(m.subscriptionId))
        cancelledAhead.push(m.subscriptionId);
    }
    publish();
  }
  return { members: out, cancelled: cancel.isCompleted };
}

registerOrchestration(campaignQueueOrchestration, campaignQueue);
