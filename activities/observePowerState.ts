/**
 * Activity: one poll of a VM's power step, answered from the subscription's shared status listing when that is the
 * cheaper way to observe the VMs in flight (src/azure/fleetObserver.ts), else by the VM's own reads.
 */
import type { z } from "zod";
import { bindActivity, type BoundActivity } from "./binding";
import {
  observePowerStateActivity,
  type ObservePowerStateInput,
  type ObservePowerStateOutput,
} from "../src/contracts/durable/observePowerState";
import { pollEndState, stepInTransition, stepSatisfied } from "../src/contracts/durable/common";
import { tryParseArmResourceId } from "../src/contracts/ids";
import type { ArmGateway } from "../src/azure/gateway";
import { FleetObserver, type ListingResult } from "../src/azure/fleetObserver";
import { withPacing } from "../src/azure/pacing";
import { readPowerStateWith } from "./readPowerState";
import { sendPowerStep, sentKey, type SentJournal } from "./beginPowerOperation";
import type { ActivityDeps } from "./deps";

type Input = z.output<typeof ObservePowerStateInput>;
type Output = z.input<typeof ObservePowerStateOutput>;

/** The observer of one gateway: shared by every poll the activity set it belongs to runs. */
function observerFor(arm: ArmGateway): FleetObserver {
  return new FleetObserver(async (subscriptionId, maxPages): Promise<ListingResult> => {
    const { value, budgets } = await withPacing(() => arm.listVmPowerStates(subscriptionId, maxPages));
    const highCostGet = budgets.find((b) => /HighCostGet/i.test(b.bucket) && !/VMScaleSet/i.test(b.bucket));
    return { listing: value, ...(highCostGet !== undefined ? { highCostGetRemaining: highCostGet.remaining } : {}) };
  });
}

export function observePowerState({ gateway }: ActivityDeps): BoundActivity {
  const observer = observerFor(gateway);
  const journal: SentJournal = new Map();
  return bindActivity(observePowerStateActivity, async (input) => {
    const seen = await observe(gateway, observer, input);
    return input.thenSend === undefined ? seen : sendNext(gateway, journal, input, seen);
  });
}

/**
 * The next step sent as soon as this poll shows the watched one ended in a stable state: the orchestration would send
 * it in its next episode on the same state (beginPowerOperation with `knownState`); sending it here saves that
 * episode and its wake-up. Anything else (still running, failed, gone, a transitional state) sends nothing.
 *
 * A write acts only on a state read just before it: the VM's own reads of this poll (its instance view, or our own
 * operation's end), never the shared listing alone, which may be as old as its freshness window (an owner may have
 * started or deallocated the VM since). A state seen in the listing is read again on the VM here, in this activity,
 * and the step is sent only when that read still shows it; otherwise that read is the poll's answer and nothing is sent.
 */
async function sendNext(arm: ArmGateway, journal: SentJournal, input: Input, seen: Output): Promise<Output> {
  const then = input.thenSend;
  if (then === undefined || seen.status !== "ok" || input.kind !== "vm") return seen;
  const state = pollEndState(then.after, { operation: seen.operation, resource: seen.resource });
  if (state !== "running" && state !== "stopped" && state !== "deallocated") return seen;
  const send = { resourceId: input.resourceId, kind: "vm" as const, step: then.step, requestedAt: then.requestedAt };
  // A re-run after a lost completion answers as the first run did, before any read (the VM may be in transition now).
  const answered = journal.get(sentKey(send));
  if (answered !== undefined) return { ...seen, next: answered };
  if (seen.observedBy !== "resource") {
    let now;
    try {
      now = await arm.getVmState(input.resourceId);
    } catch {
      // Unreadable now (throttled, unavailable): nothing is sent; the orchestration's own send reads first.
      return seen;
    }
    const read: Output = {
      status: "ok",
      observedBy: "resource",
      resource: { exists: now.exists, powerState: now.powerState, provisioningState: now.provisioningState },
    };
    if (!now.exists || now.powerState !== state) return read;
    return { ...read, next: await sendPowerStep(arm, { ...send, knownState: state }, journal) };
  }
  return { ...seen, next: await sendPowerStep(arm, { ...send, knownState: state }, journal) };
}

async function observe(arm: ArmGateway, observer: FleetObserver, input: Input): Promise<Output> {
  const id = tryParseArmResourceId(input.resourceId);
  if (input.kind !== "vm" || typeof id === "string") return ownReads(arm, input);
  const asOf = Date.parse(input.asOf);
  let observed;
  try {
    // A poll that sends on what it sees reads the VM anyway: a listing cannot spare it that read.
    observed = await observer.observe(id.subscriptionId, input.resourceId, asOf, Date.parse(input.notBefore), {
      reusesOnly: input.thenSend !== undefined,
      subscriptionVms: input.subscriptionVms,
    });
  } catch {
    // The listing failed (throttled, unavailable): this poll reads the VM itself; the observer waits before listing again.
    return ownReads(arm, input);
  }
  if (observed.kind === "perResource") return ownReads(arm, input);
  const s = observed.status;
  // Missing, no power state (ARM: "in some rare situations"), or failed: the VM's own reads say what happened.
  if (s === undefined || s.powerState === "unknown" || s.provisioningState.toLowerCase() === "failed")
    return ownReads(arm, input);
  // No sign of the step (still in the state it started from, or somewhere unexpected): ask the operation itself.
  if (
    input.step !== undefined &&
    !stepSatisfied(input.step, s.powerState) &&
    !stepInTransition(input.step, s.powerState)
  )
    return ownReads(arm, input);
  return {
    status: "ok",
    observedBy: "listing",
    resource: { exists: true, powerState: s.powerState, provisioningState: s.provisioningState },
    freshForSeconds: Math.max(0, Math.min(600, Math.ceil((observed.freshUntil - asOf) / 1000))),
  };
}

async function ownReads(arm: ArmGateway, input: Input): Promise<Output> {
  const r = await readPowerStateWith(arm, {
    resourceId: input.resourceId,
    kind: input.kind,
    instanceIds: input.instanceIds,
    handle: input.handle,
    readStateWhenDone: input.readStateWhenDone,
    stateFirstFor: input.stateFirstFor,
  });
  return r.status === "ok" ? { ...r, observedBy: "resource" } : r;
}
