/**
 * Writing an audit record from an orchestration, best effort: the record is what an operator reads afterwards, but
 * a store that refuses it (or an activity that keeps throwing past its retries) must not fail the work it records,
 * which has already happened. What was not recorded is said in the warnings of the result instead.
 */
import type { Task } from "durable-functions";
import { clippedMessage, TEXT_LIMITS } from "../../src/contracts/textLimits";

/** What the recording activities answer. */
export interface AuditAnswer {
  recorded: boolean;
  detail?: string | undefined;
}

/**
 * Calls `write`; never throws. `what` names the record in the note when the call itself failed ("the result").
 * When it was not recorded, the note (`audit: …`) is added to `warnings` once.
 */
export function* writeAudit(
  write: () => Generator<Task, AuditAnswer, unknown>,
  what: string,
  warnings?: string[],
): Generator<Task, AuditAnswer, unknown> {
  let answer: AuditAnswer;
  let note: string | undefined;
  try {
    answer = yield* write();
    if (!answer.recorded) note = `audit: ${answer.detail ?? "not recorded"}`;
  } catch (e) {
    answer = { recorded: false, detail: `${what} was not recorded (${clippedMessage(e, TEXT_LIMITS.note)})` };
    note = `audit: ${answer.detail ?? ""}`;
  }
  if (note !== undefined && warnings !== undefined && !warnings.includes(note)) warnings.push(note);
  return answer;
}
