/**
 * A run's custom status lists its waves in flight (`activeWaves`), a wave's its lanes (`activeLanes`). A status an
 * instance wrote before the fields were named so (`activeBatches`, until its next episode after the upgrade) still
 * reads, so the status endpoint still counts and the cancel cascade still reaches the wave and its lanes.
 */
import { describe, expect, it } from "vitest";
import { ProgressSchema } from "../../../src/contracts/remediation";
import { activeLanesOf, liveProgressOn, withWaveCounts } from "../../../src/contracts/durable/runWave";

const counts = { total: 4, cycled: 0, skipped: 0, failed: 0, pending: 4 };
const waveCounts = { cycled: 1, skipped: 1, failed: 0, leftDown: 0 };

describe("the run's and the wave's custom status", () => {
  it("lists the run's waves and the wave's lanes under their own names", () => {
    const progress = ProgressSchema.parse({ runId: "r1", phase: "waves", counts, activeWaves: ["run:r1:wave1"] });
    expect(progress.activeWaves).toEqual(["run:r1:wave1"]);
    expect(activeLanesOf({ wave: 1, activeLanes: ["run:r1:w1l0"], counts: waveCounts })).toEqual(["run:r1:w1l0"]);
  });

  it("reads a status written under the earlier name, and counts its wave", () => {
    const progress = ProgressSchema.parse({ runId: "r1", phase: "waves", counts, activeBatches: ["run:r1:wave1"] });
    expect(progress.activeWaves).toEqual(["run:r1:wave1"]);
    const wave = { wave: 1, activeBatches: ["run:r1:w1l0", "run:r1:w1l1"], counts: waveCounts };
    expect(activeLanesOf(wave)).toEqual(["run:r1:w1l0", "run:r1:w1l1"]);
    expect(withWaveCounts(progress, [wave]).counts).toMatchObject({ cycled: 1, skipped: 1, pending: 2 });
  });

  it("takes the new name when a status carries both", () => {
    const progress = ProgressSchema.parse({
      runId: "r1",
      phase: "waves",
      counts,
      activeWaves: ["new"],
      activeBatches: ["old"],
    });
    expect(progress.activeWaves).toEqual(["new"]);
  });

  it("counts the finished resources of the chains a lane lists, each once, level by level", () => {
    const progress = ProgressSchema.parse({ runId: "r1", phase: "waves", counts, activeWaves: ["wave1"] });
    const done = (name: string, o: "cycled" | "failed", leftDown = false): unknown => ({
      resourceId: `/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/${name}`,
      name,
      resourceGroup: "g",
      kind: "vm",
      outcome: o,
      leftDown,
    });
    const statuses: Record<string, unknown> = {
      wave1: { wave: 1, activeLanes: ["lane0"], counts: { cycled: 1, skipped: 0, failed: 0, leftDown: 0 } },
      lane0: { batchId: "w1l0", total: 3, done: 0, cancelRequested: false, activeChains: ["lane0:0"] },
      "lane0:0": { done: [done("a", "cycled"), done("b", "failed", true)], current: "c" },
    };
    const read: string[] = [];
    const live = liveProgressOn(progress, (id) => {
      read.push(id);
      return statuses[id];
    });
    expect(read).toEqual(["wave1", "lane0", "lane0:0"]);
    expect(live.counts).toMatchObject({ cycled: 2, failed: 1, leftDown: 1, pending: 1 });
    // A chain read after its outcomes outgrew what is pending (its lane counted it meanwhile) is not added again.
    const over = { done: ["a", "b", "c", "d"].map((n) => done(n, "cycled")) };
    expect(withWaveCounts(progress, [statuses.wave1], [statuses.lane0], [over]).counts).toMatchObject({ cycled: 1 });
  });
});
