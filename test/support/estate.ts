/**
 * Checking one subscription of an estate: the simulator seen through that subscription alone (its requests, its
 * power timeline, its state), so the run invariants (invariants.ts) hold per subscription of a campaign; and the
 * remediateSubscription instances live at once, counted from the durable host's own status events.
 */
import type { DurableHost, RuntimeStatus } from "../../src/durable-host";
import type { RemediationResult } from "../../src/contracts/remediation";
import { REMEDIATE_SUBSCRIPTION } from "../../src/contracts/names";
import type { Estate, RequestLogEntry, Scenario, SimulatorHandle } from "../../src/simulator";
import { checkInvariants, type Violation } from "./invariants";

/** The simulator as one subscription's run sees it: only that subscription's requests, state changes and state. */
export function subscriptionView(sim: SimulatorHandle, subscriptionId: string): SimulatorHandle {
  const id = subscriptionId.toLowerCase();
  const prefix = `/subscriptions/${id}/`;
  return {
    ...sim,
    subscriptionId: id,
    subscriptionIds: [id],
    subscriptions: sim.subscriptions.filter((s) => s.id === id),
    requestLog: () => sim.requestLog().filter((e) => e.subscriptionId === id),
    timeline: (resourceId?: string) =>
      sim.timeline(resourceId).filter((c) => c.resourceId.toLowerCase().startsWith(prefix)),
    snapshot: (other?: string) => sim.snapshot(other ?? id),
  };
}

/** The scenario the estate declares for the subscription; throws when the estate has no such subscription. */
export function scenarioOf(estate: Estate, subscriptionId: string): Scenario {
  const found = estate.subscriptions.find(
    (s) => s.scenario.subscription.id.toLowerCase() === subscriptionId.toLowerCase(),
  );
  if (found === undefined) throw new Error(`the estate has no subscription ${subscriptionId}`);
  return found.scenario;
}

/** Every request that would change the subscription (PUT, PATCH, POST actions, DELETE), whatever ARM answered. */
export function writesTo(sim: SimulatorHandle, subscriptionId: string): RequestLogEntry[] {
  const id = subscriptionId.toLowerCase();
  return sim.requestLog().filter((e) => e.subscriptionId === id && e.kind !== "read");
}

/** The run invariants of one subscription's run, checked against that subscription of the simulator alone. */
export function checkSubscriptionInvariants(
  sim: SimulatorHandle,
  estate: Estate,
  result: RemediationResult,
): Violation[] {
  const id = result.input.subscriptionId;
  return checkInvariants(subscriptionView(sim, id), result, scenarioOf(estate, id));
}

const LIVE: readonly RuntimeStatus[] = ["Pending", "Running"];

export interface LiveRuns {
  /** Most remediateSubscription instances live at one moment so far. */
  readonly peak: number;
  /** Every remediateSubscription instance seen to start, in order. */
  readonly started: readonly string[];
  stop(): void;
}

/** Counts the remediateSubscription instances live at once, from the host's statusChanged events. */
export function trackLiveRuns(host: DurableHost): LiveRuns {
  const live = new Set<string>();
  const started: string[] = [];
  let peak = 0;
  const stop = host.on((e) => {
    if (e.type !== "statusChanged" || e.name !== REMEDIATE_SUBSCRIPTION) return;
    if (LIVE.includes(e.runtimeStatus)) {
      if (!live.has(e.instanceId)) started.push(e.instanceId);
      live.add(e.instanceId);
    } else {
      live.delete(e.instanceId);
    }
    peak = Math.max(peak, live.size);
  });
  return {
    get peak() {
      return peak;
    },
    started,
    stop,
  };
}
