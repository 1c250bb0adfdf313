import { describe, expect, it } from "vitest";
import { ReplayMemo } from "../../../orchestrations/replayMemo";

describe("values kept between replays", () => {
  it("computes a value once per scope and key", () => {
    const memo = new ReplayMemo<number>(4);
    let calls = 0;
    const compute = (): number => ++calls;
    expect(memo.get("run-a", "plan", compute)).toBe(1);
    expect(memo.get("run-a", "plan", compute)).toBe(1);
    expect(memo.get("run-a", "lane-1", compute)).toBe(2);
    expect(memo.get("run-b", "plan", compute)).toBe(3);
    expect(calls).toBe(3);
  });

  it("recomputes after a scope is dropped or evicted as least recently used", () => {
    const memo = new ReplayMemo<string>(2);
    memo.get("a", "k", () => "a1");
    memo.get("b", "k", () => "b1");
    memo.get("a", "k", () => "unused");
    memo.get("c", "k", () => "c1");
    // "b" was the least recently used of the three, so it went; "a" stayed.
    expect(memo.get("a", "k", () => "a2")).toBe("a1");
    expect(memo.get("b", "k", () => "b2")).toBe("b2");
    memo.drop("b");
    expect(memo.get("b", "k", () => "b3")).toBe("b3");
  });

  it("keeps nothing when the computation throws, so the next replay throws the same", () => {
    const memo = new ReplayMemo<number>(2);
    expect(() =>
      memo.get("a", "k", () => {
        throw new Error("bad output");
      }),
    ).toThrow("bad output");
    expect(memo.get("a", "k", () => 7)).toBe(7);
  });
});
