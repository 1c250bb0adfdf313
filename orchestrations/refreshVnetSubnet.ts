/**
 * Refreshes one VNet with a delegated subnet: add the temporary subnet the plan allocated, wait until it is
 * Succeeded, then delete it and wait until it is gone. The delete is a compensation: once the add has been
 * attempted it runs whatever happened (failure, timeout, an activity that kept throwing), so a temporary subnet
 * is never left behind silently (orchestrations/temporarySubnet.ts, shared with the re-verification). 409/429, and an
 * add that ARM ended Failed because another write on the VNet won (AnotherOperationInProgress), are retried with
 * backoff; each VNet has its own instance, so operations on one VNet are serial while VNets proceed in parallel.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import { callActivity, registerOrchestration } from "./toolkit/calls";
import {
  refreshVnetSubnetOrchestration,
  type RefreshVnetSubnetInput,
} from "../src/contracts/durable/refreshVnetSubnet";
import { addTemporarySubnetActivity } from "../src/contracts/durable/addTemporarySubnet";
import { readSubnetStateActivity } from "../src/contracts/durable/readSubnetState";
import type { OperationHandle } from "../src/contracts/azure";
import { governanceReason, lockManualAction, type ResourceOutcome } from "../src/contracts/outcome";
import { backoffSeconds, nowIso, outcomeBase, skippedOutcome, transientRetry } from "./shared";
import { deleteTemporarySubnet, subnetReadFailed, type SubnetStep } from "./temporarySubnet";
import { awayClock, monitor, type Failure } from "./toolkit/monitor";
import { clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

const POLL_SECONDS = 10;
/** Sends of the add (throttled, conflicting, or lost to another write on the VNet) before it counts as failed. */
const MAX_ADD_ATTEMPTS = 8;

type Phase = SubnetStep;

/** A phase that threw (a bug, or the engine gave up) ends as an unexpected failure, so the delete still runs. */
function* orUnexpected(what: string, phase: Generator<Task, Phase, unknown>): Generator<Task, Phase, unknown> {
  try {
    return yield* phase;
  } catch (e) {
    return { ok: false, reasonCode: "unexpected", message: `${what}: ${clippedMessage(e, TEXT_LIMITS.reason)}` };
  }
}

function* addSubnet(
  context: OrchestrationContext,
  input: RefreshVnetSubnetInput,
  name: string,
  prefix: string,
): Generator<Task, Phase, unknown> {
  const vnetId = input.entry.resourceId;
  // Time the host was away while the add was watched (late timers) does not count against its deadline.
  const clock = awayClock(context);
  const deadline = clock.deadline(input.transitionTimeoutMinutes * 60);
  let lastState = "unknown";
  let attempt = 1;
  let handle: OperationHandle | undefined;
  let busy = 0;
  type Read = z.output<typeof readSubnetStateActivity.output>;
  /** Sends the add again after ARM lost it, until the attempts are spent. */
  const again = (lost: Phase): Failure<Phase> =>
    ++attempt > MAX_ADD_ATTEMPTS ? { end: lost } : { resend: backoffSeconds(attempt, undefined) };
  return yield* monitor<Read, Phase>(context, {
    // 1. Send (the activity reads first: a subnet of that name, from a re-run, is watched rather than re-sent).
    *begin() {
      handle = undefined;
      busy = 0;
      for (; ; attempt++) {
        const nsg = input.entry.tempSubnetNetworkSecurityGroupId;
        const r = yield* callActivity(
          context,
          addTemporarySubnetActivity,
          { vnetId, subnetName: name, addressPrefix: prefix, networkSecurityGroupId: nsg },
          transientRetry(),
        );
        if (r.status === "started") {
          handle = r.handle.completed ? undefined : r.handle;
          return { wait: POLL_SECONDS };
        }
        if (r.status === "exists")
          return r.provisioningState?.toLowerCase() === "succeeded" ? { end: { ok: true } } : { wait: POLL_SECONDS };
        if (r.status === "failed" || r.status === "notFound") {
          // A lock or a policy deny is the owner's answer: final, with its own reason.
          // So is a refusal for want of the subnet role (revoked since the plan read the group's permissions): 403
          // AuthorizationFailed, or LinkedAuthorizationFailed for the NSG's join; nothing was added.
          const unauthorized = /^(Linked)?AuthorizationFailed$/i.test(r.code ?? "");
          const reasonCode =
            r.status === "notFound"
              ? "disappeared"
              : (governanceReason(r.code) ?? (unauthorized ? "noSubnetPermission" : "operationFailed"));
          return {
            end: {
              ok: false,
              reasonCode,
              message: `adding ${name} (${prefix}) was refused: ${r.message}`,
              errorCode: r.code,
            },
          };
        }
        if (attempt >= MAX_ADD_ATTEMPTS) {
          return {
            end: {
              ok: false,
              reasonCode: r.status,
              message: `adding ${name} was still ${r.status} after ${attempt} attempts: ${r.message}`,
              errorCode: r.code,
            },
          };
        }
        yield* clock.pause(backoffSeconds(attempt, r.retryAfterSeconds));
      }
    },
    // 2. Poll until Succeeded, or until ARM says this send is over without it.
    beforeWait: (wait) =>
      deadline.passed()
        ? {
            end: {
              ok: false,
              reasonCode: "transitionTimedOut",
              message: `${name} was not Succeeded within ${input.transitionTimeoutMinutes} min (last state ${lastState})`,
            },
          }
        : { wait },
    *readStatus() {
      const r = yield* callActivity(
        context,
        readSubnetStateActivity,
        { vnetId, subnetName: name, handle },
        transientRetry(),
      );
      if (r.status === "ok" && r.subnet !== undefined)
        lastState = r.subnet.exists ? (r.subnet.provisioningState ?? "unknown") : "absent";
      return r;
    },
    readError(r) {
      if (r.status !== "ok") {
        if (r.status === "failed" || r.status === "notFound" || ++busy >= MAX_ADD_ATTEMPTS) {
          return subnetReadFailed(name, r);
        }
        return undefined;
      }
      const op = r.operation;
      if (op?.status === "Failed" || op?.status === "Canceled") {
        const failed: Phase = {
          ok: false,
          reasonCode: "operationFailed",
          message: `adding ${name} failed: ${op.error?.message ?? op.status}`,
          errorCode: op.error?.code ?? op.status,
        };
        // Lost to another write on the VNet (AnotherOperationInProgress): send the add again once that one is done.
        return op.error?.retryable === true ? again(failed) : { end: failed };
      }
      if (op?.status === "Succeeded") handle = undefined;
      if (r.subnet?.provisioningState?.toLowerCase() === "failed") {
        return {
          end: { ok: false, reasonCode: "operationFailed", message: `${name} ended in provisioning state Failed` },
        };
      }
      // Accepted without anything to poll (a synchronous answer), then gone: ARM rolled the add back.
      if (r.subnet !== undefined && !r.subnet.exists && handle === undefined) {
        return again({ ok: false, reasonCode: "operationFailed", message: `${name} was accepted, then disappeared` });
      }
      return undefined;
    },
    isDone: (r) =>
      r.status === "ok" && r.subnet?.provisioningState?.toLowerCase() === "succeeded" ? { ok: true } : undefined,
    nextWait: () => POLL_SECONDS,
    pause: clock.pause,
  });
}

export function* refreshVnetSubnet(
  context: OrchestrationContext,
  input: RefreshVnetSubnetInput,
): Generator<Task, ResourceOutcome, unknown> {
  const entry = input.entry;
  const name = entry.tempSubnetName;
  const prefix = entry.tempSubnetPrefix;
  if (entry.action !== "refreshSubnet" || name === undefined || prefix === undefined) {
    return skippedOutcome(
      entry,
      entry.skipReason ?? "noDelegatedSubnet",
      entry.skipMessage ?? `${entry.name} has no temporary subnet planned`,
    );
  }
  const startedAt = nowIso(context);
  const actions: string[] = [];
  const added = yield* orUnexpected(`adding ${name}`, addSubnet(context, input, name, prefix));
  actions.push("addSubnet");
  const removed = yield* orUnexpected(
    `deleting ${name}`,
    deleteTemporarySubnet(context, { vnetId: entry.resourceId, subnetName: name }, input.transitionTimeoutMinutes),
  );
  actions.push("removeSubnet");
  const nsgId = entry.tempSubnetNetworkSecurityGroupId;
  const detail = { tempSubnet: name, prefix, networkSecurityGroupId: nsgId };
  const base = { ...outcomeBase(entry), actions, startedAt, endedAt: nowIso(context), detail };
  if (!removed.ok) {
    const why = added.ok ? "" : ` (the add had failed too: ${added.message})`;
    const command = `az network vnet subnet delete --resource-group ${entry.resourceGroup} --vnet-name ${entry.name} --name ${name}`;
    const locked = removed.reasonCode === "resourceLocked";
    // Loud: the subnet is reported left behind in the outcome, the summary's warnings and the report, with the command.
    const todo = locked
      ? `${lockManualAction(removed.message, `deleting ${name}`)} delete it: ${command}`
      : `delete it manually: ${command}`;
    return {
      ...base,
      detail: {
        ...detail,
        leftBehind: { subnet: name, vnet: entry.name, resourceGroup: entry.resourceGroup, command, manualAction: todo },
      },
      outcome: "failed",
      reasonCode: removed.reasonCode,
      message: `temporary subnet ${name} ${locked ? "LEFT BEHIND" : "may be left"} in ${entry.name}; ${todo}. ${removed.message}${why}`,
      errorCode: removed.errorCode,
    };
  }
  if (!added.ok) {
    if (added.reasonCode === "disappeared")
      return {
        ...base,
        outcome: "skipped",
        reasonCode: "disappeared",
        message: `${entry.name} disappeared during the run`,
      };
    // Refused before anything changed (a lock added after planning, a policy deny), and nothing is left behind.
    if (
      added.reasonCode === "resourceLocked" ||
      added.reasonCode === "deniedByPolicy" ||
      added.reasonCode === "noSubnetPermission"
    ) {
      const then =
        added.reasonCode === "resourceLocked"
          ? `${lockManualAction(added.message, `adding ${name}`)} run again for this VNet`
          : added.reasonCode === "noSubnetPermission"
            ? 'grant the subnet role at the resource group the refusal names (docs/deploy.md, "Subnet rights only where subnets change"; `port25 plan` prints the command), then run again for this VNet'
            : "ask the policy's owner for an exemption for the temporary subnet (or give the delegated subnet a network security group the temporary subnet can carry), then run again for this VNet";
      return {
        ...base,
        outcome: "skipped",
        reasonCode: added.reasonCode,
        message: `${added.message}; nothing was left behind. ${then}`,
        errorCode: added.errorCode,
      };
    }
    return {
      ...base,
      outcome: "failed",
      reasonCode: added.reasonCode,
      message: added.message,
      errorCode: added.errorCode,
    };
  }
  return { ...base, outcome: "cycled", message: `added and removed ${name} (${prefix})` };
}

registerOrchestration(refreshVnetSubnetOrchestration, refreshVnetSubnet);
