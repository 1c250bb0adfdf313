/**
 * What the app tells people, one contract for every channel: the App Insights trace the alert rules query, and the
 * body each webhook receives (as JSON, or rendered for Teams or Slack). The orchestrations build a
 * `NotificationEvent`; the sending activity adds the links (it knows the app's public address, the orchestrations
 * do not) and makes it a `NotificationMessage`. No link carries a key: whoever follows one sends their own.
 */
import { z } from "zod";
import { SubscriptionIdSchema } from "./ids";
import { CategorySchema } from "./classification";
import { OutcomeCountsSchema, RunStatusSchema } from "./remediation";
import { LeftDownResourceSchema, ReasonCodeSchema } from "./outcome";
import { StragglerSchema } from "./reverify";

/** Resources named one by one in a message; the counts say how many there are in all. */
export const MAX_NAMED = 20;

const When = z.iso.datetime({ offset: true });

const RunFields = {
  /** The run's id (its audit key and report). */
  runId: z.string().min(1),
  /** The durable instance of the run (the status, approve and cancel routes take it). */
  instanceId: z.string().min(1),
  subscriptionId: SubscriptionIdSchema,
  at: When,
};

const PlanCountsSchema = z.object({
  total: z.number().int().min(0),
  toCycle: z.number().int().min(0),
  toRefresh: z.number().int().min(0),
  skipped: z.number().int().min(0),
});

export const FailureNoteSchema = z.object({
  name: z.string(),
  resourceGroup: z.string(),
  reasonCode: ReasonCodeSchema.optional(),
  errorCode: z.string().optional(),
});
export type FailureNote = z.output<typeof FailureNoteSchema>;

/** A run waits for a human: approve (or cancel) before the deadline, or it ends approvalTimedOut. */
const ApprovalNeededSchema = z.object({
  type: z.literal("approvalNeeded"),
  ...RunFields,
  deadline: When,
  requestedBy: z.string(),
  counts: PlanCountsSchema,
});

/** The canary could not prove TCP 25 open: the run stops with the rest of the fleet untouched. */
const CanaryHaltedSchema = z.object({
  type: z.literal("canaryHalted"),
  ...RunFields,
  result: z.string(),
  detail: z.string(),
  counts: OutcomeCountsSchema,
});

/** A run ended (any status but refused): failures and resources left down are named. */
const RunCompletedSchema = z.object({
  type: z.literal("runCompleted"),
  ...RunFields,
  status: RunStatusSchema,
  message: z.string(),
  counts: OutcomeCountsSchema,
  failures: z.array(FailureNoteSchema).max(MAX_NAMED),
  leftDown: z.array(LeftDownResourceSchema).max(MAX_NAMED),
});

/** The subscription is not exemptible (or could not be classified): nothing was changed. */
const RunRefusedSchema = z.object({
  type: z.literal("runRefused"),
  ...RunFields,
  category: CategorySchema,
  reason: z.string(),
  advice: z.string().optional(),
});

const ReverificationFields = {
  subscriptionId: SubscriptionIdSchema,
  at: When,
  /** The completed run the check compared against: the report link points to it. */
  runId: z.string().min(1),
};

/** The re-verification found machines running with the old network policy. */
const StragglersFoundSchema = z.object({
  type: z.literal("stragglersFound"),
  ...ReverificationFields,
  count: z.number().int().min(1),
  stragglers: z.array(StragglerSchema.pick({ name: true, resourceGroup: true, reason: true })).max(MAX_NAMED),
  /** The stragglers' run, when auto-remediation started one. */
  autoRemediation: z.object({ runId: z.string(), instanceId: z.string() }).optional(),
  /**
   * How many of `count` are only of unknown start (startUnknown: running, but whether they started since the
   * exemption cannot be established), so the message does not say they run with the old policy. Absent: none.
   */
  startUnknownCount: z.number().int().min(0).optional(),
});

/** The subscription's category moved away from the one the last run was made under: port 25 may be blocked again. */
const ClassificationChangedSchema = z.object({
  type: z.literal("classificationChanged"),
  ...ReverificationFields,
  previousCategory: CategorySchema,
  category: CategorySchema,
  reason: z.string(),
});

/** Temporary subnets a run left behind were removed (or could not be). */
const LeakedSubnetsRemovedSchema = z.object({
  type: z.literal("leakedSubnetsRemoved"),
  ...ReverificationFields,
  removed: z.array(z.string()).max(MAX_NAMED),
  removedCount: z.number().int().min(0),
  failedCount: z.number().int().min(0),
});

export const NotificationEventSchema = z.discriminatedUnion("type", [
  ApprovalNeededSchema,
  CanaryHaltedSchema,
  RunCompletedSchema,
  RunRefusedSchema,
  StragglersFoundSchema,
  ClassificationChangedSchema,
  LeakedSubnetsRemovedSchema,
]);
export type NotificationEvent = z.output<typeof NotificationEventSchema>;
export const NotificationTypeSchema = z.enum([
  "approvalNeeded",
  "canaryHalted",
  "runCompleted",
  "runRefused",
  "stragglersFound",
  "classificationChanged",
  "leakedSubnetsRemoved",
]);
type NotificationType = z.output<typeof NotificationTypeSchema>;

/** Where to look or act: plain API addresses, never with a key. */
const NotificationLinksSchema = z.object({
  status: z.url().optional(),
  approve: z.url().optional(),
  cancel: z.url().optional(),
  report: z.url().optional(),
});
export type NotificationLinks = z.output<typeof NotificationLinksSchema>;

/** The body of a `json` webhook, and of the App Insights trace: the event, its title and its links. */
export const NotificationMessageSchema = z.intersection(
  NotificationEventSchema,
  z.object({ source: z.literal("port25-remediation"), title: z.string(), links: NotificationLinksSchema }),
);
export type NotificationMessage = z.output<typeof NotificationMessageSchema>;

/**
 * The fixed start of the trace line each event is logged as. The Functions host sends `context.log` output to
 * Application Insights' `traces` table, the JSON message after this prefix; the alert rules select on it.
 */
export const EVENT_TRACE_PREFIX = "Port25Event ";

const RUN_EVENTS: readonly NotificationType[] = ["approvalNeeded", "canaryHalted", "runCompleted", "runRefused"];

/**
 * The notification's key under its run: the event type for a run's own events (each happens once per run), the
 * type and the check's time for a re-verification's (a subscription is re-verified again and again against the
 * same last run).
 */
export function notificationKey(event: NotificationEvent): string {
  return RUN_EVENTS.includes(event.type) ? event.type : `${event.type}@${event.at.replace(/[-:.]/g, "")}`;
}

/** How one notification went, kept in the audit under its run: every webhook by index, never by address. */
export const NotificationRecordSchema = z.object({
  runId: z.string().min(1),
  /** notificationKey of the event. */
  key: z.string().min(1).max(200),
  subscriptionId: SubscriptionIdSchema,
  type: NotificationTypeSchema,
  /** When the event happened (orchestration time). */
  at: When,
  /** When the last attempt finished (orchestration time). */
  finishedAt: When,
  attempts: z.number().int().min(1),
  webhooks: z.number().int().min(0),
  delivered: z.number().int().min(0),
  /** Webhooks still failing after the last attempt, with the last error of each. */
  failed: z.array(z.object({ index: z.number().int().min(0), error: z.string().max(200) })),
  status: z.enum(["delivered", "failed", "noWebhooks"]),
});
export type NotificationRecord = z.output<typeof NotificationRecordSchema>;
