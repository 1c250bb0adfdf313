/**
 * Refreshes one VNet with a delegated subnet: add the temporary subnet the plan allocated, wait until it is
 * Succeeded, then delete it and wait until it is gone. The delete is a compensation: once the add has been
 * attempted it runs whatever happened (failure, timeout, an activity that kept throwing), so a temporary subnet
 * is never left behind silently. 409/429 are retried with backoff; each VNet has its own instance, so
 * operations on one VNet are serial while VNets proceed in parallel.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity, registerOrchestration } from "../src/contracts/durable";
import { refreshVnetSubnetOrchestration, type RefreshVnetSubnetInput } from "../src/contracts/functions/refreshVnetSubnet";
import { addTemporarySubnetActivity } from "../src/contracts/functions/addTemporarySubnet";
import { readSubnetStateActivity } from "../src/contracts/functions/readSubnetState";
import { removeTemporarySubnetActivity } from "../src/contracts/functions/removeTemporarySubnet";
import { addSeconds } from "../src/contracts/functions/clock";
import type { OperationHandle } from "../src/contracts/azure";
import type { ReasonCode, ResourceOutcome } from "../src/contracts/outcome";
import { ensureError } from "../src/errors";
import { backoffSeconds, nowIso, outcomeBase, skippedOutcome, sleep, transientRetry } from "./shared";

const POLL_SECONDS = 10;
const MAX_ADD_ATTEMPTS = 8;
/** A leaked subnet is worse than a slow run: the delete is retried longer. */
const MAX_REMOVE_ATTEMPTS = 16;

interface Failure {
  reasonCode: ReasonCode;
  message: string;
  errorCode?: string;
}

type Phase = { ok: true } | ({ ok: false } & Failure);

function* addSubnet(context: OrchestrationContext, input: RefreshVnetSubnetInput, name: string, prefix: string): Generator<Task, Phase, unknown> {
  const vnetId = input.entry.resourceId;
  const deadline = addSeconds(context.df.currentUtcDateTime, input.transitionTimeoutMinutes * 60);
  let handle: OperationHandle | undefined;
  for (let attempt = 1; ; attempt++) {
    const r = yield* callActivity(context, addTemporarySubnetActivity, { vnetId, subnetName: name, addressPrefix: prefix }, transientRetry());
    if (r.status === "started") {
      handle = r.handle.completed ? undefined : r.handle;
      break;
    }
    if (r.status === "exists") {
      if (r.provisioningState?.toLowerCase() === "succeeded") return { ok: true };
      break;
    }
    if (r.status === "failed" || r.status === "notFound") {
      return { ok: false, reasonCode: r.status === "notFound" ? "disappeared" : "operationFailed", message: `adding ${name} (${prefix}) was refused: ${r.message}`, errorCode: r.code };
    }
    if (attempt >= MAX_ADD_ATTEMPTS) {
      return { ok: false, reasonCode: r.status, message: `adding ${name} was still ${r.status} after ${attempt} attempts: ${r.message}`, errorCode: r.code };
    }
    yield* sleep(context, backoffSeconds(attempt, r.retryAfterSeconds));
  }
  let lastState = "unknown";
  for (let busy = 0; ; ) {
    if (context.df.currentUtcDateTime.getTime() >= deadline.getTime()) {
      return { ok: false, reasonCode: "transitionTimedOut", message: `${name} was not Succeeded within ${input.transitionTimeoutMinutes} min (last state ${lastState})` };
    }
    yield* sleep(context, POLL_SECONDS);
    const r = yield* callActivity(context, readSubnetStateActivity, { vnetId, subnetName: name, ...(handle !== undefined ? { handle } : {}) }, transientRetry());
    if (r.status !== "ok") {
      if (r.status === "failed" || r.status === "notFound" || ++busy >= MAX_ADD_ATTEMPTS) {
        return { ok: false, reasonCode: "operationFailed", message: `reading ${name} failed: ${r.message}`, errorCode: r.code };
      }
      continue;
    }
    if (r.operation?.status === "Failed" || r.operation?.status === "Canceled") {
      return { ok: false, reasonCode: "operationFailed", message: `adding ${name} failed: ${r.operation.error?.message ?? r.operation.status}`, errorCode: r.operation.error?.code ?? r.operation.status };
    }
    if (r.operation?.status === "Succeeded") handle = undefined;
    if (r.subnet !== undefined) {
      lastState = r.subnet.exists ? (r.subnet.provisioningState ?? "unknown") : "absent";
      if (r.subnet.provisioningState?.toLowerCase() === "succeeded") return { ok: true };
      if (r.subnet.provisioningState?.toLowerCase() === "failed") {
        return { ok: false, reasonCode: "operationFailed", message: `${name} ended in provisioning state Failed` };
      }
    }
  }
}

/** Polls without an operation in flight that find the subnet still present before the delete is sent again. */
const RESEND_AFTER_POLLS = 6;

function* removeSubnet(context: OrchestrationContext, input: RefreshVnetSubnetInput, name: string, resends = 0): Generator<Task, Phase, unknown> {
  const vnetId = input.entry.resourceId;
  let handle: OperationHandle | undefined;
  for (let attempt = 1; ; attempt++) {
    const r = yield* callActivity(context, removeTemporarySubnetActivity, { vnetId, subnetName: name }, transientRetry());
    if (r.status === "absent") return { ok: true };
    if (r.status === "started" || r.status === "deleting") {
      handle = r.status === "started" && !r.handle.completed ? r.handle : undefined;
      break;
    }
    if (r.status === "failed" || r.status === "notFound" || attempt >= MAX_REMOVE_ATTEMPTS) {
      return { ok: false, reasonCode: r.status === "throttled" || r.status === "conflict" ? r.status : "operationFailed", message: `deleting ${name} failed: ${r.message}`, errorCode: r.code };
    }
    yield* sleep(context, backoffSeconds(attempt, r.retryAfterSeconds));
  }
  const deadline = addSeconds(context.df.currentUtcDateTime, input.transitionTimeoutMinutes * 60);
  let lingering = 0;
  for (let busy = 0; ; ) {
    if (context.df.currentUtcDateTime.getTime() >= deadline.getTime()) {
      return { ok: false, reasonCode: "transitionTimedOut", message: `${name} was not deleted within ${input.transitionTimeoutMinutes} min` };
    }
    yield* sleep(context, POLL_SECONDS);
    const r = yield* callActivity(context, readSubnetStateActivity, { vnetId, subnetName: name, ...(handle !== undefined ? { handle } : {}) }, transientRetry());
    if (r.status !== "ok") {
      if (r.status === "notFound") return { ok: true };
      if (r.status === "failed" || ++busy >= MAX_REMOVE_ATTEMPTS) {
        return { ok: false, reasonCode: "operationFailed", message: `reading ${name} failed: ${r.message}`, errorCode: r.code };
      }
      continue;
    }
    if (r.operation?.status === "Failed" || r.operation?.status === "Canceled") {
      // The delete was superseded (e.g. by another operation on the VNet): send it again, a few times.
      if (resends >= 3) {
        return { ok: false, reasonCode: "operationFailed", message: `deleting ${name} failed: ${r.operation.error?.message ?? r.operation.status}`, errorCode: r.operation.error?.code ?? r.operation.status };
      }
      return yield* removeSubnet(context, input, name, resends + 1);
    }
    if (r.operation?.status === "Succeeded") handle = undefined;
    if (r.subnet !== undefined && !r.subnet.exists) return { ok: true };
    // No delete in flight as far as ARM says, yet the subnet is still there: send the delete again, a few times.
    if (handle === undefined && r.subnet?.exists === true && ++lingering % RESEND_AFTER_POLLS === 0 && resends < 3) {
      return yield* removeSubnet(context, input, name, resends + 1);
    }
  }
}

export function* refreshVnetSubnet(context: OrchestrationContext, input: RefreshVnetSubnetInput): Generator<Task, ResourceOutcome, unknown> {
  const entry = input.entry;
  const name = entry.tempSubnetName;
  const prefix = entry.tempSubnetPrefix;
  if (entry.action !== "refreshSubnet" || name === undefined || prefix === undefined) {
    return skippedOutcome(entry, entry.skipReason ?? "noDelegatedSubnet", entry.skipMessage ?? `${entry.name} has no temporary subnet planned`);
  }
  const startedAt = nowIso(context);
  const actions: string[] = [];
  let added: Phase;
  try {
    added = yield* addSubnet(context, input, name, prefix);
  } catch (e) {
    added = { ok: false, reasonCode: "unexpected", message: `adding ${name}: ${ensureError(e).message.slice(0, 1000)}` };
  }
  actions.push("addSubnet");
  let removed: Phase;
  try {
    removed = yield* removeSubnet(context, input, name);
  } catch (e) {
    removed = { ok: false, reasonCode: "unexpected", message: `deleting ${name}: ${ensureError(e).message.slice(0, 1000)}` };
  }
  actions.push("removeSubnet");
  const detail = { tempSubnet: name, prefix };
  const base = { ...outcomeBase(entry), actions, startedAt, endedAt: nowIso(context), detail };
  if (!removed.ok) {
    const why = added.ok ? "" : ` (the add had failed too: ${added.message})`;
    return {
      ...base,
      outcome: "failed",
      reasonCode: removed.reasonCode,
      message: `temporary subnet ${name} may be left in ${entry.name}; delete it manually. ${removed.message}${why}`,
      ...(removed.errorCode !== undefined ? { errorCode: removed.errorCode } : {}),
    };
  }
  if (!added.ok) {
    if (added.reasonCode === "disappeared") return { ...base, outcome: "skipped", reasonCode: "disappeared", message: `${entry.name} disappeared during the run` };
    return { ...base, outcome: "failed", reasonCode: added.reasonCode, message: added.message, ...(added.errorCode !== undefined ? { errorCode: added.errorCode } : {}) };
  }
  return { ...base, outcome: "cycled", message: `added and removed ${name} (${prefix})` };
}

registerOrchestration(refreshVnetSubnetOrchestration, refreshVnetSubnet);
