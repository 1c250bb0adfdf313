/**
 * A resource's first write whose send was accepted but whose answer was lost, re-run by a worker that knows nothing of
 * it (the first died) and throttled before it could read: the orchestration's next attempt must still find the record
 * of the first send and take the power off under way for the run's own, not for an owner's (chaos seed 724).
 */
import { afterAll, describe, expect, it } from "vitest";
import { startProductHost, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { fleet, scenario } from "./scenarios";

describe("a first power off sent by an attempt whose answer was lost", () => {
  let product: ProductHost | undefined;
  afterAll(async () => {
    await product?.close();
  });

  it("is taken for the run's own by the attempt after a throttled re-run, and the VM is cycled", async () => {
    let lost: string | undefined;
    const stack = await startProductHost({
      scenario: scenario({ vms: fleet(1) }),
      audit: true,
      host: {
        dropActivityCompletion: (info) => {
          if (lost !== undefined || info.name !== "beginPowerOperation" || product === undefined) return false;
          lost = info.instanceId;
          // The worker that sent it dies with its answer: another runs it again, with no memory of the send, and
          // ARM throttles its first read.
          product.adopt(product.host);
          product.sim.injectFault({
            kind: "throttleStorm",
            match: { operation: "getVmInstanceView" },
            count: 1,
            retryAfterSeconds: 2,
          });
          return true;
        },
      },
    });
    product = stack;
    stack.start();
    await stack.run();
    const result = stack.result();
    expect(lost).toBeDefined();
    expect(stack.sim.counters().faultsInjected.throttleStorm).toBe(1);
    expect(checkInvariants(stack.sim, result, stack.scenario)).toEqual([]);
    expect(
      result.outcomes
        .filter((o) => o.kind === "vm")
        .map((o) => [o.name, o.outcome, o.reasonCode])
        .sort(),
    ).toEqual([
      ["app-001", "cycled", undefined],
      ["canary-01", "cycled", undefined],
    ]);
    // One power off each: the first attempt's, taken for the run's own, never sent again.
    const log = stack.sim.requestLog();
    const powerOffs = log.filter((e) => e.method === "POST" && /\/powerOff$/i.test(e.path));
    expect(powerOffs).toHaveLength(2);
    // The read ARM throttled was the re-run's, of the VM whose power off had just been accepted.
    const throttled = log.filter((e) => e.status === 429);
    expect(throttled.map((e) => e.path.replace(/\/instanceView$/i, "").toLowerCase())).toEqual([
      powerOffs[0]?.path.replace(/\/powerOff$/i, "").toLowerCase(),
    ]);
  });
});
