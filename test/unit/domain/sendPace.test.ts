import { describe, expect, it } from "vitest";
import { lanePace, RUN_WRITE_BURST, startDelaySeconds, WRITE_REFILL_PER_SECOND } from "../../../src/domain/sendPace";

describe("the pace of a round's first writes", () => {
  it("gives each lane its share of the run's burst and of the bucket's refill", () => {
    expect(lanePace(6, 300)).toEqual({ burst: 3, perSecond: 0.2 });
    // Alone, a lane has the whole pace; a serial lane among 20 still starts its one chain at once.
    expect(lanePace(500, 500)).toEqual({ burst: RUN_WRITE_BURST, perSecond: WRITE_REFILL_PER_SECOND });
    expect(lanePace(1, 20).burst).toBeGreaterThanOrEqual(1);
    expect(lanePace(1, 1000)).toEqual({ burst: 1, perSecond: 0.01 });
  });

  it("starts the burst at once and the rest one after another at the lane's refill", () => {
    const pace = { burst: 3, perSecond: 0.2 };
    expect([0, 1, 2, 3, 4, 5].map((c) => startDelaySeconds(c, pace))).toEqual([0, 0, 0, 5, 10, 15]);
    // Across 50 such lanes: 150 at once, then 50 every 5 s (the bucket's 10 a second).
    const whole = { burst: RUN_WRITE_BURST, perSecond: WRITE_REFILL_PER_SECOND };
    expect(startDelaySeconds(149, whole)).toBe(0);
    expect(startDelaySeconds(150, whole)).toBe(1);
    expect(startDelaySeconds(159, whole)).toBe(1);
    expect(startDelaySeconds(160, whole)).toBe(2);
  });
});
