/**
 * Payloads of the external events the HTTP triggers raise to a run. They cross a boundary (anyone holding the
 * durable extension's key can raise an event), so the orchestration parses them before recording them.
 *
 * Who decided is the authenticated principal as App Service authentication names it (never a request field): its
 * display name (`…By`) and, when the platform gives one, its stable object id (`…ById`), which is what the four-eyes
 * rule compares.
 */
import { z } from "zod";

const Who = z.string().trim().min(1).max(256);
const WhoId = z.string().trim().min(1).max(256);
const When = z.iso.datetime({ offset: true });

/** The identity the scheduled re-verification acts as when it starts the stragglers' run: never a person. */
export const SYSTEM_REVERIFICATION = "system:reverification";

export const ApproveEventSchema = z.object({
  approvedBy: Who,
  approvedById: WhoId.optional(),
  approvedAt: When,
  /** Set when the approver is the starter, which the run's `allowSelfApproval` permitted (single-operator lab). */
  selfApproval: z.literal(true).optional(),
  /** Set when authentication is off (function keys only): the approver's name is as declared, nobody vouched for it. */
  unverified: z.literal(true).optional(),
});
export type ApproveEvent = z.output<typeof ApproveEventSchema>;

export const CancelEventSchema = z.object({
  cancelledBy: Who,
  cancelledById: WhoId.optional(),
  cancelledAt: When,
  /** As for an approval: authentication was off, the canceller's name is as declared. */
  unverified: z.literal(true).optional(),
});
export type CancelEvent = z.output<typeof CancelEventSchema>;

/** A human decision on the record: who made it (name and principal id) and when (the time the endpoint received it). */
export const DecisionSchema = z.object({
  by: z.string(),
  byId: z.string().optional(),
  at: z.string(),
  /** The approver was the starter, allowed by the start request's `allowSelfApproval`. */
  selfApproval: z.literal(true).optional(),
  /** Authentication was off (function keys only): who decided is as declared, not verified. */
  unverified: z.literal(true).optional(),
});
export type Decision = z.output<typeof DecisionSchema>;

/** The decision an approve event records. */
export function approvalDecision(event: ApproveEvent): Decision {
  return {
    by: event.approvedBy,
    byId: event.approvedById,
    at: event.approvedAt,
    ...(event.selfApproval ? { selfApproval: true as const } : {}),
    ...(event.unverified ? { unverified: true as const } : {}),
  };
}

/** The decision a cancel event records. */
export function cancellationDecision(event: CancelEvent): Decision {
  return {
    by: event.cancelledBy,
    byId: event.cancelledById,
    at: event.cancelledAt,
    ...(event.unverified ? { unverified: true as const } : {}),
  };
}
