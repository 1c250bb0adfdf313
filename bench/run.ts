/**
 * `npm run bench`: every benchmark of the product, each in a process of its own under a real-time limit (several at
 * once when the machine has cores to spare, the longest first), then
 * bench/RESULTS.md rendered from the JSON files in bench/results/. Figures are measured and printed, not asserted.
 *
 *   npx tsx bench/run.ts                      all cases (the 5,000- and 20,000-VM runs take minutes each)
 *   npx tsx bench/run.ts --quick              the 500-VM cases and the scripts users would run instead (a few minutes)
 *   npx tsx bench/run.ts --only cost-500,footprint-5000
 *   npx tsx bench/run.ts --jobs 1             one case at a time (real times on a quiet machine); by default as
 *                                             many at once as the machine has cores to spare
 *   npx tsx bench/run.ts --render             only re-render RESULTS.md from the stored JSON
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { z } from "zod";
import { ensureError } from "../src/errors";
import { measureFootprint } from "./footprint";
import { renderResults } from "./render";
import {
  BaselineMetricsSchema,
  CampaignMetricsSchema,
  FleetMetricsSchema,
  type BaselineSpec,
  type CampaignCaseSpec,
  type FleetCaseSpec,
} from "./spec";

const ROOT = path.resolve(__dirname, "..");
const RESULTS = path.join(__dirname, "results");

/** Caps that let 500 VMs be down at once: the global cap, and groups no longer holding it back. */
export const WIDE_OPTIONS = {
  maxConcurrency: 500,
  maxUnavailablePerAvailabilitySet: 100,
  maxUnavailablePerScaleSet: 1000,
} as const;

/** 500 at once, one member of an availability set at a time (the default), two-write cycles. */
export const FAST_OPTIONS = { maxConcurrency: 500, runningVmCycle: "deallocateStart" } as const;

/** Availability sets taken one update domain at a time (the members of a domain together) instead of one member. */
export const BY_UPDATE_DOMAIN = { availabilitySetRule: "updateDomain" } as const;

/** The same caps, with a running VM cycled in two writes (deallocate, start). */
export const WIDE_DEALLOCATE_OPTIONS = { ...WIDE_OPTIONS, runningVmCycle: "deallocateStart" } as const;

interface Case {
  label: string;
  run: () => Promise<void>;
  /** Part of --quick. */
  quick?: boolean;
  /** Real seconds it may take: the longest cases start first, so that the whole bench ends sooner. */
  limitSeconds: number;
}

function baselineCase(
  label: string,
  script: BaselineSpec["script"],
  vms: number,
  realLimitSeconds: number,
  maxRetries = 3,
): Case {
  return {
    label,
    quick: true,
    limitSeconds: realLimitSeconds,
    run: async () => {
      const out = path.join(RESULTS, `baseline-${label}.json`);
      const spec: BaselineSpec = { label, script, vms, seed: 11, out, maxRetries };
      const m = await runCase("baselines.ts", spec, realLimitSeconds, BaselineMetricsSchema);
      console.log(
        `${label}: ${m.script}: ${m.targets} VMs, simulated ${m.simulatedSeconds} s${m.extrapolatedSeconds !== null ? ` (${m.extrapolatedSeconds} s for all ${m.fleetTargets})` : ""}, ` +
          `${m.throttled} 429s, ${m.vmsFailed} VMs failed, ${m.availabilitySets.fullyDown} of ${m.availabilitySets.sets} availability sets fully down, ${m.realSeconds} s real`,
      );
    },
  };
}

function footprintCase(vms: number, limitSeconds: number): Case {
  return {
    label: `footprint-${vms}`,
    limitSeconds,
    run: async () => {
      const f = await measureFootprint(vms, limitSeconds, ROOT);
      writeFileSync(path.join(RESULTS, `footprint-${vms}.json`), `${JSON.stringify(f, null, 2)}\n`);
      console.log(
        `footprint-${vms}: ${f.status}: ${f.realSeconds} s real, peak RSS ${f.peakTreeRssMiB} MiB (process tree), ${f.peakProcessHwmMiB} MiB (largest process)`,
      );
    },
  };
}

function fleetCase(label: string, vms: number, options: Record<string, unknown>, realLimitSeconds: number): Case {
  return {
    label,
    quick: vms <= 500,
    limitSeconds: realLimitSeconds,
    run: async () => {
      const out = path.join(RESULTS, `fleet-${label}.json`);
      const spec: FleetCaseSpec = { label, vms, seed: 11, options, realLimitSeconds, out };
      // The case stops itself at its limit; the grace covers start-up and writing the figures.
      const m = await runCase("fleetCase.ts", spec, realLimitSeconds + 120, FleetMetricsSchema);
      console.log(
        `${label}: ${m.status}: ${m.outcomes.cycled} cycled, orchestrator CPU ${(m.orchestration.orchestratorCpuMs / 1000).toFixed(1)} s, ` +
          `${m.orchestration.replaysPerCycledVm} replays/VM, largest history ${m.orchestration.maxHistory.events}, ` +
          `${m.arm.perCycledVm} ARM requests/VM, simulated ${m.time.simulatedSeconds} s vs bound ${m.time.honest?.boundSeconds ?? "?"} s (${m.time.honest?.ratio ?? "?"}x; ` +
          `old bound ${m.time.boundSeconds} s, ${m.time.ratio}x), ` +
          `${m.real.seconds} s real`,
      );
    },
  };
}

function campaignCase(
  subscriptions: number,
  vmsPerSubscription: number,
  maxConcurrentSubscriptions: number,
  realLimitSeconds: number,
): Case {
  const label = `campaign-${subscriptions}x${vmsPerSubscription}`;
  return {
    label,
    quick: subscriptions * vmsPerSubscription <= 1000,
    limitSeconds: realLimitSeconds,
    run: async () => {
      const out = path.join(RESULTS, `${label}.json`);
      const spec: CampaignCaseSpec = {
        label,
        subscriptions,
        vmsPerSubscription,
        maxConcurrentSubscriptions,
        seed: 11,
        realLimitSeconds,
        out,
      };
      const m = await runCase("campaignCase.ts", spec, realLimitSeconds + 120, CampaignMetricsSchema);
      console.log(
        m.status !== "completed"
          ? `${label}: ${m.status}: ${m.error ?? ""}`
          : `${label}: ${m.campaignStatus ?? "?"}: ${m.resources?.cycled ?? 0} cycled in ${m.subscriptions} subscriptions, simulated ${m.simulatedSeconds ?? 0} s, ` +
              `${m.realSeconds.toFixed(0)} s real, ${m.cpuSeconds?.toFixed(0) ?? "?"} s CPU, ${m.arm?.requests ?? 0} ARM requests, largest history ${m.orchestration?.maxHistoryEvents ?? 0}`,
      );
    },
  };
}

/** Runs a case's script (in bench/) on its spec in a process of its own, then reads the figures it wrote to `spec.out`. */
async function runCase<S extends z.ZodType>(
  script: string,
  spec: { out: string },
  limitSeconds: number,
  metrics: S,
): Promise<z.output<S>> {
  await child(process.execPath, ["--import", "tsx", path.join(__dirname, script), JSON.stringify(spec)], limitSeconds);
  return metrics.parse(JSON.parse(readFileSync(spec.out, "utf8")));
}

/** Runs a command with inherited output, killing its process group when it overruns. */
function child(command: string, args: string[], limitSeconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"], detached: true });
    const killer = setTimeout(() => {
      if (p.pid !== undefined) process.kill(-p.pid, "SIGKILL");
    }, limitSeconds * 1000);
    p.on("error", reject);
    p.on("close", (code, signal) => {
      clearTimeout(killer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${path.basename(args.find((a) => a.endsWith(".ts")) ?? command)} ended with ${signal ?? `exit code ${String(code)}`}`,
          ),
        );
    });
  });
}

const CASES: Case[] = [
  fleetCase("cost-500", 500, {}, 300),
  fleetCase("cost-500-deallocate", 500, { runningVmCycle: "deallocateStart" }, 300),
  fleetCase("wide-500", 500, WIDE_OPTIONS, 300),
  fleetCase("wide-500-deallocate", 500, WIDE_DEALLOCATE_OPTIONS, 300),
  fleetCase("fast-500", 500, FAST_OPTIONS, 300),
  fleetCase("fast-500-ud", 500, { ...FAST_OPTIONS, ...BY_UPDATE_DOMAIN }, 300),
  fleetCase("wide-500-ud", 500, { ...WIDE_OPTIONS, ...BY_UPDATE_DOMAIN }, 300),
  fleetCase("cost-500-ud", 500, BY_UPDATE_DOMAIN, 300),
  baselineCase("sequential-500", "sequential", 500, 900),
  baselineCase("allAtOnce-500", "allAtOnce", 500, 600),
  baselineCase("allAtOnceRetrying-500", "allAtOnce", 500, 600, 1000),
  fleetCase("cost-2000", 2000, {}, 600),
  fleetCase("cost-5000", 5000, {}, 1200),
  fleetCase("wide-2000", 2000, WIDE_OPTIONS, 600),
  fleetCase("wide-5000", 5000, WIDE_OPTIONS, 1200),
  fleetCase("wide-5000-deallocate", 5000, WIDE_DEALLOCATE_OPTIONS, 1200),
  campaignCase(10, 50, 10, 600),
  campaignCase(50, 200, 50, 1800),
  footprintCase(5000, 600),
  footprintCase(20000, 1800),
  {
    label: "durable-host",
    limitSeconds: 600,
    run: () => child(process.execPath, ["--import", "tsx", path.join(__dirname, "durableHost.ts")], 600),
  },
];

/**
 * Cases run at once by default: the cores the machine has to spare now (its core count less its one-minute load
 * average, at least one). Every case runs in a process of its own, so the simulated figures do not depend on it;
 * real times do, which is why each case records the load average it started at and its CPU time.
 */
function spareCores(): number {
  const cores = availableParallelism();
  return Math.min(cores, Math.max(1, Math.round(cores - (loadavg()[0] ?? 0))));
}

/** Runs the cases `jobs` at a time, the longest first; a case that fails is recorded and the others go on. */
async function runAll(cases: readonly Case[], jobs: number, failures: string[]): Promise<void> {
  const queue = [...cases].sort((a, b) => b.limitSeconds - a.limitSeconds);
  const worker = async (): Promise<void> => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      console.log(`${c.label}: started`);
      const t0 = Date.now();
      try {
        await c.run();
      } catch (e) {
        failures.push(`${c.label}: ${ensureError(e).message}`);
        console.log(`${c.label}: failed: ${ensureError(e).message}`);
      }
      console.log(`${c.label}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      render: { type: "boolean", default: false },
      jobs: { type: "string" },
    },
  });
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = (only ?? []).filter((l) => !CASES.some((c) => c.label === l));
  if (unknown.length > 0)
    throw new Error(`unknown case ${unknown.join(", ")}; cases: ${CASES.map((c) => c.label).join(", ")}`);
  mkdirSync(RESULTS, { recursive: true });
  const failures: string[] = [];
  if (!values.render) {
    const chosen = CASES.filter(
      (x) => (only === undefined || only.includes(x.label)) && (!values.quick || x.quick === true),
    );
    const jobs = values.jobs !== undefined ? Number(values.jobs) : spareCores();
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new Error(`--jobs must be a whole number ≥ 1, got ${values.jobs ?? ""}`);
    console.log(`${chosen.length} cases, ${jobs} at a time (load average ${(loadavg()[0] ?? 0).toFixed(1)})`);
    await runAll(chosen, jobs, failures);
  }
  const out = path.join(__dirname, "RESULTS.md");
  const { markdown, summary } = renderResults(RESULTS);
  writeFileSync(out, markdown);
  writeFileSync(path.join(RESULTS, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `\n${[...summary.targets, ...summary.checks].map((t) => `${t.met === null ? "n/a " : t.met ? "met " : "MISS"}  ${t.target}: ${t.value}`).join("\n")}`,
  );
  console.log(
    `wrote ${path.relative(process.cwd(), out)}${existsSync(RESULTS) ? ` and ${path.relative(process.cwd(), RESULTS)}/*.json` : ""}`,
  );
  if (failures.length > 0) {
    console.log(`cases that did not finish: ${failures.join("; ")}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(ensureError(e).message);
  process.exitCode = 1;
});
