/**
 * How long free text may grow before it enters an outcome, a record, a status or an answer. Each limit is the
 * `max()` of the schema that receives the text, or a share of it when the text is quoted inside a longer sentence,
 * so that a long error from ARM or a caller never makes a contract refuse the record that reports it.
 */
import { ensureError } from "../errors";

export const TEXT_LIMITS = {
  /** A person's or a subscription's name or id: `max(256)` in remediation.ts, events.ts, campaign.ts, refusal.ts. */
  name: 256,
  /** An error code or a function's name in a refusal record (refusal.ts). */
  code: 100,
  /** An HTTP method in a refusal record (refusal.ts). */
  method: 10,
  /** A request's path in a refusal record (refusal.ts). */
  path: 500,
  /** A whole message: a resource's outcome, a left-down reason, a refusal (refusal.ts `max(2000)`). */
  message: 2000,
  /** A campaign member's reason or advice (campaign.ts `max(1000)`); a subnet step's or a straggler run's message. */
  reason: 1000,
  /** Text quoted inside a reason, so that the sentence around it still fits `reason`. */
  quotedInReason: 500,
  /** An error quoted in a detail, a warning or a halt that sits beside others in a summary. */
  detail: 500,
  /** An error quoted in a one-line note (an audit write, a listing, a check that could not be made). */
  note: 300,
  /** A delivery error of a notification (sendNotification.ts `max(200)`). */
  deliveryError: 200,
} as const;

const CUT_MARK = "…";

/**
 * `text` whole when it fits in `limit` characters; otherwise its start with "…" at the end, `limit` characters in
 * all, so that a reader can tell the text was cut.
 */
export function clip(text: string, limit: number): string;
export function clip(text: string | undefined, limit: number): string | undefined;
export function clip(text: string | undefined, limit: number): string | undefined {
  if (text === undefined || text.length <= limit) return text;
  if (limit <= CUT_MARK.length) return text.slice(0, limit);
  let end = limit - CUT_MARK.length;
  // Never half of a surrogate pair: the cut text must stay valid UTF-16 for JSON and the audit store.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${CUT_MARK}`;
}

/** The message of anything thrown, clipped to `limit`. */
export function clippedMessage(error: unknown, limit: number): string {
  return clip(ensureError(error).message, limit);
}
