/**
 * Cycles a few resources of a lane one after the other in one instance, each with orchestrations/cycleResource.ts
 * inside this history. A serial lane hands out its resources CHAIN_LENGTH at a time: a resource cycled by an
 * orchestration of its own cost the instance's start and a wake of its lane, two of its nine episodes; a chain pays
 * them once for all its resources, and its history stays a few resources long. A lane with a larger share hands
 * each of its columns out the same way; by update domain it starts one chain per resource of a round.
 *
 * A chain its lane's round starts after the round's burst of first writes waits `startAfterSeconds` on a durable
 * timer first (src/domain/sendPace.ts); a cancel heard meanwhile skips all its entries "cancelled".
 *
 * Cancel: the lane hands its "cancel" on to a chain in flight (relayCancel), and the chain keeps one waiter for it,
 * held in each resource's first wait. The resource in flight finishes its cycle (a VM already powered off is started again); the
 * entries not yet started are skipped "cancelled". A member of an availability set or flexible scale set that fails
 * keeps the chain's later members of the same group from starting (orchestrations/groupFailure.ts), as a lane does.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { registerOrchestration } from "./toolkit/calls";
import {
  chainDone,
  cycleChainOrchestration,
  type ChainStatus,
  type CycleChainInput,
  type CycleChainOutput,
} from "../src/contracts/durable/cycleResource";
import { CANCEL_EVENT } from "../src/contracts/names";
import type { ResourceOutcome } from "../src/contracts/outcome";
import { cycleResource } from "./cycleResource";
import { FailedGroups } from "./groupFailure";
import { cancelledOutcome } from "./shared";
import { addSeconds } from "../src/contracts/durable/clock";
import { holdingFirst } from "./toolkit/cancelAwareWait";

export function* cycleChain(
  context: OrchestrationContext,
  input: CycleChainInput,
): Generator<Task, CycleChainOutput, unknown> {
  const { entries, ...options } = input;
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);
  const outcomes: ResourceOutcome[] = [];
  const failedGroups = new FailedGroups();
  let cancelled = false;
  const status = (current?: string): void => {
    const s: ChainStatus = { done: outcomes.map(chainDone), ...(current !== undefined ? { current } : {}) };
    context.df.setCustomStatus(s);
  };
  const { startAfterSeconds, ...resourceOptions } = options;
  if (startAfterSeconds !== undefined) {
    // The lane's pace of first writes: wait, unless a cancel comes first (then nothing starts).
    const timer = context.df.createTimer(addSeconds(context.df.currentUtcDateTime, startAfterSeconds));
    yield context.df.Task.any([timer, cancel]);
    if (!timer.isCompleted) {
      timer.cancel();
      cancelled = true;
    }
  }
  for (const [i, entry] of entries.entries()) {
    if (cancelled || (i > 0 && (cancelled = cancel.isCompleted))) {
      outcomes.push(cancelledOutcome(entry, input.wave));
      continue;
    }
    const skipped = failedGroups.skipOf(entry, input.wave);
    if (skipped !== undefined) {
      outcomes.push(skipped);
      continue;
    }
    status(entry.name);
    // Each resource's first wait also holds the waiter (once held, it hears a cancel whenever it comes; a resource
    // that waits on nothing, nothing to cycle, leaves it to the next).
    const outcome = yield* holdingFirst(context, cycleResource(context, { ...resourceOptions, entry }), cancel);
    outcomes.push(outcome);
    failedGroups.note(entry, outcome);
  }
  status();
  return { outcomes, cancelled };
}

registerOrchestration(cycleChainOrchestration, cycleChain);
