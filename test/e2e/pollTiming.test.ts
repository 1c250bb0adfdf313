/**
 * Polls timed by what is known of a power step (orchestrations/cycleSend.ts and cycleStep.ts through the durable monitor): the
 * first read near the end of the step's usual duration, no poll of a power off that a deallocate follows, and the
 * last step read on the VM itself. Checked against the simulator's request log, with Azure's nominal step times.
 */
import { describe, expect, it } from "vitest";
import type { ProductHost } from "../support/productHost";
import { fleet, scenario } from "./scenarios";
import { outcome, run } from "./checkedRuns";

/** Behaviour as the benchmark states it: 30 / 60 / 60 s, ±20 %. */
const NOMINAL = {
  latencies: { powerOff: 30, deallocate: 60, start: 60, subnetCreate: 10, subnetDelete: 10, connectivityCheck: 20 },
  jitter: 0.2,
} as const;

/** The requests ARM received on one VM's own path, in order. */
function onVm(product: ProductHost, name: string): { operation: string; at: number }[] {
  return product.sim
    .requestLog()
    .filter((e) => e.path.toLowerCase().includes(`/virtualmachines/${name}/`) && e.operation !== "listVmExtensions")
    .map((e) => ({ operation: e.operation ?? "?", at: e.at }));
}

describe("polls timed by what is known", () => {
  it("cycles a running VM in six requests: a read, three sends, one status read of the deallocate and one read of the VM", async () => {
    const { product, result } = await run({ scenario: scenario({ vms: fleet(1), behaviour: NOMINAL }) });
    expect(outcome(result, "app-001")).toMatchObject({
      outcome: "cycled",
      stateAfter: "running",
      actions: ["powerOff", "deallocate", "start"],
    });
    expect(onVm(product, "app-001").map((r) => r.operation)).toEqual([
      "getVmInstanceView",
      "vmPowerOff",
      "vmDeallocate",
      "vmStart",
      "getVmInstanceView",
    ]);
    // At most one operation-status read per VM (its deallocate's; a poll the shared listing answered needs none): the
    // power offs and starts are never read that way.
    expect(
      product.sim.requestLog().filter((e) => e.operation === "getOperationStatus" && /microsoft.compute/i.test(e.path))
        .length,
    ).toBeLessThanOrEqual(2);
    expect(product.sim.requestLog().filter((e) => e.status === 409)).toEqual([]);
  });

  it("wakes a running VM's cycle eight times: the start goes out with the poll that sees the deallocate end", async () => {
    const { product, result } = await run({ scenario: scenario({ vms: fleet(1), behaviour: NOMINAL }) });
    expect(outcome(result, "app-001")).toMatchObject({
      outcome: "cycled",
      actions: ["powerOff", "deallocate", "start"],
    });
    const cycles = product.host.stats().instances.filter((i) => i.name === "cycleChain");
    expect(cycles.length).toBeGreaterThan(0);
    // Its start, its power off's send, the power off's wait, the deallocate's send, its wait, the poll that sends the
    // start, the start's wait and the confirming read: eight episodes, where a separate send of the start made nine.
    for (const c of cycles) expect(c.replays).toBeLessThanOrEqual(8);
    expect(onVm(product, "app-001").filter((r) => r.operation === "vmStart").length).toBe(1);
  });

  it("sends the deallocate after the power off's slowest usual time and reads the start once, after its own", async () => {
    const { product } = await run({ scenario: scenario({ vms: fleet(1), behaviour: NOMINAL }) });
    const requests = onVm(product, "app-001");
    const at = (op: string, nth = 0): number => requests.filter((r) => r.operation === op)[nth]?.at ?? Number.NaN;
    // Power off runs 24–36 s: the deallocate goes out after its slowest case, so it never meets it still running.
    expect((at("vmDeallocate") - at("vmPowerOff")) / 1000).toBeGreaterThanOrEqual(36);
    // Start runs 48–72 s: the one read of the VM comes at 72 s and finds it running.
    expect((at("getVmInstanceView", 1) - at("vmStart")) / 1000).toBeGreaterThanOrEqual(72);
  });
});
