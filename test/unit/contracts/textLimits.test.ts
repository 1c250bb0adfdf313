import { describe, expect, it } from "vitest";
import { clip, clippedMessage, TEXT_LIMITS } from "../../../src/contracts/textLimits";
import { CampaignMemberSchema } from "../../../src/contracts/campaign";
import { RefusalRecordSchema } from "../../../src/contracts/refusal";

describe("clip", () => {
  it("keeps a text that fits whole, to the last character", () => {
    expect(clip("abc", 3)).toBe("abc");
    expect(clip("", 0)).toBe("");
  });

  it("cuts a text that does not fit to the limit, ending with a mark that says it was cut", () => {
    const cut = clip("x".repeat(2500), TEXT_LIMITS.message);
    expect(cut).toHaveLength(TEXT_LIMITS.message);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut.slice(0, -1)).toBe("x".repeat(TEXT_LIMITS.message - 1));
  });

  it("never leaves half of a surrogate pair before the mark", () => {
    const cut = clip(`ab${"😀".repeat(10)}`, 6);
    expect(cut.length).toBeLessThanOrEqual(6);
    expect(cut).toBe("ab😀…");
    expect(() => encodeURIComponent(cut)).not.toThrow();
  });

  it("passes undefined through", () => {
    expect(clip(undefined, 10)).toBeUndefined();
  });
});

describe("clippedMessage", () => {
  it("clips the message of an error, and of anything else thrown as ensureError words it", () => {
    expect(clippedMessage(new Error("y".repeat(400)), TEXT_LIMITS.note)).toBe(`${"y".repeat(TEXT_LIMITS.note - 1)}…`);
    expect(clippedMessage("raw value", 20)).toHaveLength(20);
    expect(clippedMessage("raw value", 20)).not.toContain("raw value");
  });
});

describe("TEXT_LIMITS", () => {
  it("fit the schemas that receive the texts", () => {
    const long = "z".repeat(10_000);
    const member = { subscriptionId: "00000000-0000-0000-0000-000000000001", state: "failed" } as const;
    expect(
      CampaignMemberSchema.safeParse({
        ...member,
        reason: clip(long, TEXT_LIMITS.reason),
        advice: clip(long, TEXT_LIMITS.reason),
        displayName: clip(long, TEXT_LIMITS.name),
      }).success,
    ).toBe(true);
    expect(CampaignMemberSchema.safeParse({ ...member, reason: `${clip(long, TEXT_LIMITS.reason)}z` }).success).toBe(
      false,
    );
    const refusal = {
      id: "inv-1",
      at: "2026-03-02T09:00:00Z",
      status: 403,
      code: clip(long, TEXT_LIMITS.code),
      message: clip(long, TEXT_LIMITS.message),
      action: {
        function: clip(long, TEXT_LIMITS.code),
        method: clip(long, TEXT_LIMITS.method),
        path: clip(long, TEXT_LIMITS.path),
      },
      caller: { name: clip(long, TEXT_LIMITS.name), id: clip(long, TEXT_LIMITS.name), authenticated: true },
    };
    expect(RefusalRecordSchema.safeParse(refusal).success).toBe(true);
    expect(RefusalRecordSchema.safeParse({ ...refusal, message: `${refusal.message}z` }).success).toBe(false);
  });
});
