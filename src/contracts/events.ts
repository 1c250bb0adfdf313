/**
 * Payloads of the external events the HTTP triggers raise to a run. They cross a boundary (anyone holding the
 * durable extension's key can raise an event), so the orchestration parses them before recording them.
 */
import { z } from "zod";

const Who = z.string().trim().min(1).max(256);
const When = z.iso.datetime({ offset: true });

export const ApproveEventSchema = z.object({ approvedBy: Who, approvedAt: When });
export type ApproveEvent = z.output<typeof ApproveEventSchema>;

export const CancelEventSchema = z.object({ cancelledBy: Who, cancelledAt: When });
export type CancelEvent = z.output<typeof CancelEventSchema>;

/** A human decision on the record: who made it and when (the time the endpoint received it). */
export const DecisionSchema = z.object({ by: z.string(), at: z.string() });
export type Decision = z.output<typeof DecisionSchema>;
