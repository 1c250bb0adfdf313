/**
 * Compute's per-resource buckets (throttle.ts) do not pile up over a long run: a bucket full again is forgotten and
 * made afresh at the resource's next request, which never makes an answer kinder than the old bucket's would be.
 */
import { describe, expect, it } from "vitest";
import { ComputeThrottler } from "../../src/simulator/computeThrottle";

const config = { enabled: true, scale: 1, overrides: {}, windows: {}, header: "both" } as const;

describe("Compute's per-resource buckets", () => {
  it("hold the resources of the last minutes, not every resource ever charged", () => {
    const t = new ComputeThrottler(config);
    // 10,000 VMs, 100 a minute, each polled once: the buckets of the minute just gone are all that is left.
    for (let i = 0; i < 10_000; i++)
      t.take({ policy: "GetOperation", resourceKey: `vm-${i}`, region: "westeurope" }, i * 600);
    expect(t.bucketCount).toBeLessThanOrEqual(2048);
  });

  it("still refuse a resource past its capacity after its full bucket was forgotten", () => {
    const t = new ComputeThrottler(config);
    const vm = { policy: "UpdateVM", resourceKey: "vm-a", region: "westeurope" } as const;
    expect(t.take(vm, 0).ok).toBe(true);
    // Enough other resources, minutes later, to sweep vm-a's bucket (full again by then).
    for (let i = 0; i < 3000; i++)
      t.take({ policy: "UpdateVM", resourceKey: `other-${i}`, region: "westeurope" }, 120_000 + i);
    const at = 200_000;
    const answers = Array.from({ length: 13 }, () => t.take(vm, at));
    expect(answers.slice(0, 12).every((a) => a.ok)).toBe(true);
    const last = answers[12];
    expect(last?.ok).toBe(false);
    // Made afresh at its first request, the bucket refills a whole minute later, never sooner.
    if (last !== undefined && !last.ok) expect(last.retryAfterSeconds).toBe(60);
  });
});
