/**
 * Activity: one poll of a VM's power step, answered from the subscription's shared status listing when that is the
 * cheaper way to observe the VMs in flight (src/azure/fleetObserver.ts), else by the VM's own reads.
 */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  observePowerStateActivity,
  type ObservePowerStateInput,
  type ObservePowerStateOutput,
} from "../src/contracts/functions/observePowerState";
import { stepInTransition, stepSatisfied } from "../src/contracts/functions/common";
import { tryParseArmResourceId } from "../src/contracts/ids";
import type { ArmGateway } from "../src/azure/gateway";
import { FleetObserver, type ListingResult } from "../src/azure/fleetObserver";
import { withPacing } from "../src/azure/pacing";
import { readPowerState } from "./readPowerState";
import { gateway } from "./deps";

type Input = z.output<typeof ObservePowerStateInput>;
type Output = z.input<typeof ObservePowerStateOutput>;

/** One observer per gateway (per ARM endpoint and credential), shared by every poll this process runs. */
const observers = new WeakMap<ArmGateway, FleetObserver>();

function observerFor(arm: ArmGateway): FleetObserver {
  let o = observers.get(arm);
  if (o === undefined) {
    o = new FleetObserver(async (subscriptionId): Promise<ListingResult> => {
      const { value, budgets } = await withPacing(() => arm.listVmPowerStates(subscriptionId));
      const highCostGet = budgets.find((b) => /HighCostGet/i.test(b.bucket) && !/VMScaleSet/i.test(b.bucket));
      return { listing: value, ...(highCostGet !== undefined ? { highCostGetRemaining: highCostGet.remaining } : {}) };
    });
    observers.set(arm, o);
  }
  return o;
}

export async function observePowerState(input: Input): Promise<Output> {
  const id = tryParseArmResourceId(input.resourceId);
  if (input.kind !== "vm" || typeof id === "string") return ownReads(input);
  const asOf = Date.parse(input.asOf);
  let observed;
  try {
    observed = await observerFor(gateway()).observe(id.subscriptionId, input.resourceId, asOf, Date.parse(input.notBefore));
  } catch {
    // The listing failed (throttled, unavailable): this poll reads the VM itself; the observer waits before listing again.
    return ownReads(input);
  }
  if (observed.kind === "perResource") return ownReads(input);
  const s = observed.status;
  // Missing, no power state (ARM: "in some rare situations"), or failed: the VM's own reads say what happened.
  if (s === undefined || s.powerState === "unknown" || s.provisioningState.toLowerCase() === "failed") return ownReads(input);
  // No sign of the step (still in the state it started from, or somewhere unexpected): ask the operation itself.
  if (input.step !== undefined && !stepSatisfied(input.step, s.powerState) && !stepInTransition(input.step, s.powerState)) return ownReads(input);
  return {
    status: "ok",
    observedBy: "listing",
    resource: { exists: true, powerState: s.powerState, provisioningState: s.provisioningState },
    freshForSeconds: Math.max(0, Math.min(600, Math.ceil((observed.freshUntil - asOf) / 1000))),
  };
}

async function ownReads(input: Input): Promise<Output> {
  const r = await readPowerState({
    resourceId: input.resourceId,
    kind: input.kind,
    ...(input.instanceIds !== undefined ? { instanceIds: input.instanceIds } : {}),
    ...(input.handle !== undefined ? { handle: input.handle } : {}),
    readStateWhenDone: input.readStateWhenDone,
  });
  return r.status === "ok" ? { ...r, observedBy: "resource" } : r;
}

registerActivity(observePowerStateActivity, observePowerState);
