/**
 * What keeping a run's state on disk costs (`port25 serve --state`, `port25 run --state`): a simulated run of N VMs
 * (default 500) on the local stack, without a state folder and with one (the durable host's instances and the
 * simulated world's requests), counting the files written, the fsync/fdatasync calls and the time they took, per
 * cycled VM. Run: npx tsx bench/stateDirCost.ts [N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import type * as NodeFs from "node:fs";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startLocalStack } from "../src/cli/localStack";
import { generateFleet } from "../src/simulator";

/** The fs module itself (a namespace import is a copy whose functions cannot be replaced). */
const fs = createRequire(__filename)("node:fs") as typeof NodeFs;

interface SyncCount {
  calls: number;
  ms: number;
}

/** Counts the synchronous fsync/fdatasync calls (the durable host's) by wrapping them for the length of a run. */
function countSyncs(): { count: SyncCount; restore(): void } {
  const count: SyncCount = { calls: 0, ms: 0 };
  const fsync = fs.fsyncSync;
  const fdatasync = fs.fdatasyncSync;
  const wrap =
    (f: (fd: number) => void) =>
    (fd: number): void => {
      const t0 = performance.now();
      f(fd);
      count.ms += performance.now() - t0;
      count.calls += 1;
    };
  fs.fsyncSync = wrap(fsync);
  fs.fdatasyncSync = wrap(fdatasync);
  return {
    count,
    restore() {
      fs.fsyncSync = fsync;
      fs.fdatasyncSync = fdatasync;
    },
  };
}

async function once(vms: number, withState: boolean): Promise<Record<string, number>> {
  const dir = withState ? mkdtempSync(join(tmpdir(), "port25-statecost-")) : undefined;
  const syncs = countSyncs();
  const stack = await startLocalStack({
    scenario: generateFleet(vms, 1),
    seed: 7,
    ...(dir === undefined
      ? {}
      : {
          host: { stateDir: join(dir, "durable") },
          simulatorPersist: { dir: join(dir, "simulator"), source: `--vms ${vms}` },
        }),
  });
  try {
    const t0 = performance.now();
    stack.start();
    await stack.run();
    const elapsedMs = performance.now() - t0;
    const result = stack.result();
    const cycled = result.summary.counts.cycled;
    const journal = stack.sim.journalStats();
    const hostSyncs = syncs.count.calls;
    return {
      vms,
      cycled,
      elapsedMs: Math.round(elapsedMs),
      hostFsyncs: hostSyncs,
      hostFsyncMs: Math.round(syncs.count.ms),
      hostFsyncsPerCycledVm: round(hostSyncs / cycled),
      worldRequests: journal?.requests ?? 0,
      worldWrites: journal?.writes ?? 0,
      worldWritesPerCycledVm: round((journal?.writes ?? 0) / cycled),
      worldRequestsPerWrite: round((journal?.requests ?? 0) / Math.max(1, journal?.writes ?? 0)),
      worldFdatasyncMs: Math.round(journal?.syncMs ?? 0),
      worldBytes: journal?.bytes ?? 0,
      load1: round(loadavg()[0] ?? 0),
    };
  } finally {
    syncs.restore();
    await stack.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(): Promise<void> {
  const vms = Number(process.argv[2] ?? 500);
  for (const withState of [false, true]) {
    const r = await once(vms, withState);
    process.stdout.write(`${JSON.stringify({ stateDir: withState, ...r })}\n`);
  }
}

void main();
