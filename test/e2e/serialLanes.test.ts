/**
 * A serial lane (a share of 1 of the cap: the default cap of 20 deals them) cycles its VMs in its own history, one
 * after the other: no sub-orchestration per VM, so the episode that sees one VM end sends the next one's first
 * request; and it continues as new every few VMs, so its history stays small however many it holds.
 */
import { describe, expect, it } from "vitest";
import { fleet, scenario } from "./scenarios";
import { run } from "./checkedRuns";
import { SERIAL_TASKS_PER_EXECUTION } from "../../orchestrations/cycleBatch";

/** Behaviour as the benchmark states it: 30 / 60 / 60 s, ±20 %. */
const NOMINAL = {
  latencies: { powerOff: 30, deallocate: 60, start: 60, subnetCreate: 10, subnetDelete: 10, connectivityCheck: 20 },
  jitter: 0.2,
} as const;

describe("serial lanes", () => {
  it("cycle their VMs in place in seven episodes a running VM, continuing as new every few VMs with every VM cycled once", async () => {
    const { product, result } = await run({
      scenario: scenario({ vms: fleet(30), behaviour: NOMINAL }),
      options: { maxConcurrency: 2 },
    });
    expect(result.summary.status).toBe("completed");
    const inLanes = result.outcomes.filter((o) => o.kind === "vm" && o.canary !== true);
    // Two lanes of 15 running VMs, eight tasks each: each lane continues as new at least once.
    const perExecution = Math.ceil(SERIAL_TASKS_PER_EXECUTION / 8);
    expect(inLanes.length).toBeGreaterThan(2 * perExecution);
    expect(inLanes.every((o) => o.outcome === "cycled")).toBe(true);
    for (const o of inLanes) expect(o.actions).toEqual(["powerOff", "deallocate", "start"]);
    const stats = product.host.stats().instances;
    const lanes = stats.filter((i) => i.name === "cycleBatch");
    // No VM has an orchestration of its own: the canary too is cycled by a lane of its own.
    expect(stats.filter((i) => i.name === "cycleResource")).toEqual([]);
    const vms = result.outcomes.filter((o) => o.kind === "vm" && o.outcome === "cycled").length;
    const episodes = lanes.reduce((n, l) => n + l.replays, 0);
    // Each VM: its read and power off, the power off's time, the deallocate, its time, the poll that sends the start,
    // the start's time and the confirming read — seven; plus each execution's first episode. (With an orchestration
    // per VM it was eight of its own and one of its lane's.)
    const executions = lanes.length + Math.ceil(vms / perExecution);
    expect(episodes).toBeLessThanOrEqual(7 * vms + executions);
    // An execution ends once its resources waited on SERIAL_TASKS_PER_EXECUTION tasks: about four events a task.
    for (const l of lanes) expect(l.historyLength).toBeLessThanOrEqual(4 * (SERIAL_TASKS_PER_EXECUTION + 8) + 20);
  });
});
