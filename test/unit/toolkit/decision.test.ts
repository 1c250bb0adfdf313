/** What a classification decides for a run (orchestrations/toolkit/decision.ts, docs/architecture.md "Classification"). */
import { describe, expect, it } from "vitest";
import { classificationDecision } from "../../../orchestrations/toolkit/decision";

describe("the classification's decision", () => {
  it("refuses a subscription that is blocked and not exemptible, forced or not", () => {
    expect(classificationDecision({ category: "blockedNotExemptible" }, false)).toBe("refuse");
    expect(classificationDecision({ category: "blockedNotExemptible" }, true)).toBe("refuse");
  });

  it("has nothing to do where port 25 is not blocked", () => {
    expect(classificationDecision({ category: "notBlocked" }, false)).toBe("nothingToDo");
  });

  it("refuses an unknown billing unless the options force it, and then says it was forced", () => {
    expect(classificationDecision({ category: "unknown" }, false)).toBe("refuse");
    expect(classificationDecision({ category: "unknown" }, true)).toBe("proceedForced");
  });

  it("goes on with an exemptible subscription", () => {
    expect(classificationDecision({ category: "exemptible" }, false)).toBe("proceed");
  });
});
