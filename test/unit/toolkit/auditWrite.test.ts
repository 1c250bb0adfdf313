/**
 * The best-effort audit write (orchestrations/toolkit/auditWrite.ts), replayed through the SDK's own handler: a
 * record the store refuses, or an activity that keeps failing, never fails the orchestration; it becomes one warning.
 */
import { describe, expect, it } from "vitest";
import type { OrchestrationContext, Task } from "durable-functions";
import { writeAudit, type AuditAnswer } from "../../../orchestrations/toolkit/auditWrite";
import { drive, type Answer } from "./replayHistory";

/** Writes the same record twice into one warnings list, then returns the answers and the warnings. */
function* writeTwice(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const warnings: string[] = [];
  const answers: AuditAnswer[] = [];
  for (let i = 0; i < 2; i++) {
    answers.push(
      yield* writeAudit(
        function* (): Generator<Task, AuditAnswer, unknown> {
          return (yield context.df.callActivity("recordResult", i)) as AuditAnswer;
        },
        "the result",
        warnings,
      ),
    );
  }
  return { answers, warnings };
}

const all = (a: Answer) => (): Answer => a;

describe("the best-effort audit write", () => {
  it("adds no warning when the record is written", async () => {
    const r = await drive(writeTwice, all({ result: { recorded: true } }));
    expect(r.output).toEqual({ answers: [{ recorded: true }, { recorded: true }], warnings: [] });
  });

  it("says once why a record the store refused was not recorded", async () => {
    const r = await drive(writeTwice, all({ result: { recorded: false, detail: "the audit store answered 503" } }));
    expect(r.output).toMatchObject({ warnings: ["audit: the audit store answered 503"] });
  });

  it("turns an activity that failed into a warning naming the record, and the orchestration goes on", async () => {
    const r = await drive(writeTwice, all({ failure: "socket hang up" }));
    expect(r.isDone).toBe(true);
    expect(r.error).toBeUndefined();
    const out = r.output as { answers: AuditAnswer[]; warnings: string[] };
    expect(out.answers.every((a) => !a.recorded)).toBe(true);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/^audit: the result was not recorded \(.*socket hang up/);
  });
});
