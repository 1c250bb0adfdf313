import { describe, expect, it } from "vitest";
import { busyWaitSeconds, MAX_BUSY_SPREAD_SECONDS, spreadFraction } from "../../../orchestrations/shared";

describe("waiting after throttling", () => {
  it("never comes back before ARM's Retry-After, and at most a minute after it", () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      for (const id of ["a", "b:powerOff:begin", "/subscriptions/x/vm-17"]) {
        const wait = busyWaitSeconds(attempt, 7, id);
        expect(wait).toBeGreaterThanOrEqual(7);
        expect(wait).toBeLessThanOrEqual(7 + MAX_BUSY_SPREAD_SECONDS);
      }
    }
  });

  it("gives the same wait for the same instance and attempt, so a replay schedules the same timer", () => {
    expect(busyWaitSeconds(3, 1, "lane:4:powerOff:read")).toBe(busyWaitSeconds(3, 1, "lane:4:powerOff:read"));
  });

  it("spreads a herd of 500 resources throttled together over the window instead of one instant", () => {
    const waits = Array.from({ length: 500 }, (_, i) => busyWaitSeconds(6, 1, `run:w1l${i}:3:powerOff:begin`));
    const bySecond = new Map<number, number>();
    for (const w of waits) bySecond.set(Math.floor(w), (bySecond.get(Math.floor(w)) ?? 0) + 1);
    // 500 callers over a 60 s window: about 8 a second, none of the seconds anywhere near the whole herd.
    expect(Math.max(...bySecond.values())).toBeLessThan(25);
    expect(bySecond.size).toBeGreaterThan(50);
  });

  it("widens the spread as the attempts grow", () => {
    const spread = (attempt: number): number => {
      const ws = Array.from({ length: 200 }, (_, i) => busyWaitSeconds(attempt, 1, `vm-${i}`));
      return Math.max(...ws) - Math.min(...ws);
    };
    expect(spread(1)).toBeLessThanOrEqual(2);
    expect(spread(8)).toBeGreaterThan(30);
  });

  it("maps seeds into [0, 1)", () => {
    for (const s of ["", "x", "vm-1#1", "vm-1#2"]) {
      const f = spreadFraction(s);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
    expect(spreadFraction("vm-1#1")).not.toBe(spreadFraction("vm-1#2"));
  });
});
