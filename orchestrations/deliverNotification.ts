/**
 * Delivers one notification: the sendNotification activity writes the App Insights trace and posts to every
 * webhook; webhooks that fail are posted to again after durable timers (30 s, 2 min, 8 min); what still fails then
 * is recorded in the audit under the run, by webhook index and error, never by address. It runs as its own
 * instance, started by the run without being waited for (notify.ts), so a slow or failing receiver never holds up
 * or fails the run; the run may even end first.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity, registerOrchestration } from "./toolkit/calls";
import {
  deliverNotificationOrchestration,
  type DeliverNotificationInput,
} from "../src/contracts/durable/deliverNotification";
import { sendNotificationActivity, type SendNotificationOutput } from "../src/contracts/durable/sendNotification";
import { recordNotificationActivity } from "../src/contracts/durable/recordNotification";
import { notificationKey, type NotificationRecord } from "../src/contracts/notification";
import { ensureError } from "../src/errors";
import { nowIso, sleep, transientRetry } from "./shared";
import { clip, TEXT_LIMITS } from "../src/contracts/textLimits";

/** Attempts at each webhook, the first included. */
const NOTIFY_ATTEMPTS = 4;

/** The wait after attempt `attempt` (1-based): 30 s, then four times longer each time. */
function notifyBackoffSeconds(attempt: number): number {
  return 30 * 4 ** (attempt - 1);
}

export function* deliverNotification(
  context: OrchestrationContext,
  input: DeliverNotificationInput,
): Generator<Task, NotificationRecord, unknown> {
  const { event } = input;
  let targets: number[] | undefined;
  let configured: number | undefined;
  let delivered = 0;
  let failed: { index: number; error: string }[] = [];
  let attempts = 0;
  for (let attempt = 1; attempt <= NOTIFY_ATTEMPTS; attempt++) {
    attempts = attempt;
    let out: SendNotificationOutput | undefined;
    try {
      out = yield* callActivity(context, sendNotificationActivity, { event, attempt, targets });
    } catch (e) {
      // The activity itself failed (not a webhook): the same webhooks are tried again.
      const error = clip(`the sending activity failed: ${ensureError(e).message}`, TEXT_LIMITS.deliveryError);
      failed = (targets ?? []).map((index) => ({ index, error }));
    }
    if (out !== undefined) {
      configured = out.configured;
      delivered += out.results.filter((r) => r.delivered).length;
      failed = out.results.flatMap((r) => (r.delivered ? [] : [{ index: r.index, error: r.error ?? "failed" }]));
      if (failed.length === 0) break;
    }
    targets = out === undefined ? targets : failed.map((f) => f.index);
    if (attempt < NOTIFY_ATTEMPTS) yield* sleep(context, notifyBackoffSeconds(attempt));
  }
  const unsent = configured === undefined;
  const record: NotificationRecord = {
    runId: event.runId,
    key: notificationKey(event),
    subscriptionId: event.subscriptionId,
    type: event.type,
    at: event.at,
    finishedAt: nowIso(context),
    attempts,
    webhooks: configured ?? 0,
    delivered,
    failed: unsent ? [{ index: 0, error: "the sending activity failed on every attempt" }] : failed,
    status: unsent || failed.length > 0 ? "failed" : configured === 0 ? "noWebhooks" : "delivered",
  };
  try {
    yield* callActivity(context, recordNotificationActivity, record, transientRetry());
  } catch {
    // The record is the audit's; a store that stays down loses it, and the run it belongs to is long unaffected.
  }
  return record;
}

registerOrchestration(deliverNotificationOrchestration, deliverNotification);
