/**
 * A restore that meets Compute's 30-minute window spent: the start is refused with the documented 1,200 s
 * Retry-After, the product sends it again only after that wait, and the VM ends restored, although the restore's own
 * deadline (restoreTimeoutMinutes) is shorter than the wait. All in virtual time.
 */
import { describe, expect, it } from "vitest";
import { fleet, scenario } from "./scenarios";
import { outcome, run } from "./checkedRuns";

describe("a restore delayed by Compute's throttling", () => {
  it("waits out a 1,200 s Retry-After, never sending the start again sooner, and ends restored", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vms: fleet(1),
        behaviour: {
          // The canary's power off and start, then app-001's power off: the Update VM (PutVM) 30-minute window is spent
          // when the restore starts app-001 again.
          // Answers carry the page's buckets only, so the product cannot see the window coming and meets the 429.
          computeThrottling: { windows: { UpdateVM: { thirtyMin: 3 } }, header: "buckets" },
          faults: [{ kind: "lroFailed", match: { operation: "vmDeallocate", resource: "app-001" }, count: 1 }],
        },
      }),
      options: { restoreTimeoutMinutes: 10 },
    });
    const o = outcome(result, "app-001");
    expect(o).toMatchObject({
      outcome: "failed",
      reasonCode: "operationFailed",
      restored: true,
      stateAfter: "running",
    });
    expect(o.leftDown).toBeUndefined();
    expect(product.sim.snapshot().vms.find((v) => v.name === "app-001")?.powerState).toBe("running");
    expect(result.summary.counts).toMatchObject({ leftDown: 0 });

    const starts = product.sim.requestLog().filter((e) => e.method === "POST" && /\/app-001\/start$/i.test(e.path));
    const refused = starts.filter((e) => e.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]).toMatchObject({ throttledBy: "compute", errorCode: "OperationNotAllowed" });
    // The send after the first refusal came no sooner than the wait it asked for: 1,200 s (the documented example),
    // or what was left of the spent 30-minute window when less (src/simulator/computeThrottle.ts) — here 1,154 s.
    const first = starts.indexOf(refused[0] ?? starts[0]!);
    const next = starts[first + 1];
    expect(next).toBeDefined();
    expect((next?.at ?? 0) - (refused[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_150_000);
    expect(starts.at(-1)?.status).toBeLessThan(300);
  }, 180_000);

  it("paces by the spent window it can see instead of meeting the 429, and still ends cycled", async () => {
    const { product, result } = await run({
      scenario: scenario({
        vms: fleet(1),
        behaviour: { computeThrottling: { windows: { UpdateVM: { thirtyMin: 3 } } } },
      }),
    });
    expect(result.summary.counts).toMatchObject({ cycled: 2, failed: 0, leftDown: 0 });
    expect(product.sim.requestLog().filter((e) => e.status === 429)).toEqual([]);
    // After the canary's start left one PutVM request in the window, the next came no sooner than the window asked.
    const writes = product.sim.requestLog().filter((e) => e.method === "POST" && /\/(start|powerOff)$/.test(e.path));
    const gaps = writes.slice(1).map((w, i) => w.at - (writes[i]?.at ?? w.at));
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(900_000);
  }, 180_000);
});
