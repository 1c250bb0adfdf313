/**
 * One benchmark case in a process of its own (a clean heap, and the entry can kill it): a generated fleet run end
 * to end on the simulator with realistic latencies and ARM's token buckets on, measured, written as JSON to the
 * spec's `out` file. Usage: node --import tsx bench/fleetCase.ts '<FleetCaseSpec JSON>'
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { startLocalStack, type LocalStack } from "../src/cli/localStack";
import { generateFleet, loadScenario } from "../src/simulator";
import { ensureError } from "../src/errors";
import { RemediationOptionsSchema } from "../src/contracts/options";
import type { RemediationResult } from "../src/contracts/remediation";
import {
  availabilitySetsFullyDown,
  CYCLE_SHAPES,
  cycledResources,
  fleetStart,
  honestBound,
  honestWaves,
  operationSeconds,
  setsNamedByPlan,
  summariseArm,
  summariseOrchestration,
  summariseOutcomes,
  summariseTime,
} from "./analyse";
import { FleetCaseSpecSchema, FleetMetricsSchema, type FleetCaseSpec, type FleetMetrics } from "./spec";

/** The behaviour the figures assume, stated here rather than inherited from the simulator's defaults. */
export const REALISTIC = {
  latencies: {
    powerOff: 30,
    deallocate: 60,
    start: 60,
    subnetCreate: 10,
    subnetDelete: 10,
    connectivityCheck: 20,
    effectiveRouteTable: 10,
    delete: 60,
  },
  jitter: 0.2,
  throttling: {
    enabled: true,
    reads: { capacity: 250, refillPerSecond: 25 },
    writes: { capacity: 200, refillPerSecond: 10 },
    deletes: { capacity: 200, refillPerSecond: 10 },
  },
} as const;

function codeVersion(): { commit: string | null; uncommittedChanges: boolean } {
  const git = (...args: string[]): string =>
    execFileSync("git", args, { cwd: path.resolve(__dirname, ".."), encoding: "utf8" }).trim();
  try {
    return {
      commit: git("rev-parse", "--short", "HEAD"),
      uncommittedChanges: git("status", "--porcelain", "--", "orchestrations", "activities", "src") !== "",
    };
  } catch {
    return { commit: null, uncommittedChanges: false };
  }
}

type Ended = { status: "completed" } | { status: "timedOut" } | { status: "error"; error: string };

async function drive(stack: LocalStack, deadline: number): Promise<Ended> {
  for (;;) {
    const report = await stack.host.runUntilIdle({ maxEpisodes: 1000 });
    const s = stack.host.getStatus(stack.instanceId)?.runtimeStatus;
    if (s !== "Running" && s !== "Pending")
      return s === "Completed" ? { status: "completed" } : { status: "error", error: `the run ended ${s ?? "absent"}` };
    if (report.stoppedBy === "idle") {
      const waiting = [...report.stuck, ...report.waitingForEvents].map((i) => i.instanceId);
      return { status: "error", error: `the run stopped making progress (waiting: ${waiting.slice(0, 5).join(", ")})` };
    }
    if (performance.now() > deadline) return { status: "timedOut" };
  }
}

export async function runFleetCase(spec: FleetCaseSpec): Promise<FleetMetrics> {
  const code = codeVersion();
  const load = loadavg()[0] ?? 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const base = generateFleet(spec.vms, spec.seed);
  const scenario = { ...base, behaviour: { ...base.behaviour, ...REALISTIC } };
  const options = RemediationOptionsSchema.parse(spec.options);
  // The guest agents' readiness after a start, as the simulator plays it (the canary's probe waits for it).
  const agent = loadScenario(scenario).behaviour.agentReady;
  const stack = await startLocalStack({ scenario, seed: spec.seed, audit: false });
  try {
    stack.start({ options: spec.options });
    const ended = await drive(stack, t0 + spec.realLimitSeconds * 1000);
    let result: RemediationResult | undefined;
    let runStatus: string | null = null;
    if (ended.status === "completed") {
      result = stack.result();
      runStatus = result.summary.status;
    }
    const outcomes = result?.outcomes ?? [];
    const cycled = cycledResources(outcomes).length;
    const log = stack.sim.requestLog();
    const startedAt = result ? Date.parse(result.summary.startedAt) : stack.startedAt;
    const endedAt = result ? Date.parse(result.summary.endedAt) : stack.host.stats().virtualTime;
    const cpu = process.cpuUsage(cpu0);
    const metrics: FleetMetrics = {
      label: spec.label,
      vms: spec.vms,
      seed: spec.seed,
      maxConcurrency: options.maxConcurrency,
      options: spec.options,
      status: ended.status,
      runStatus,
      ...(ended.status === "error" ? { error: ended.error } : {}),
      code,
      loadAverage: Number(load.toFixed(1)),
      real: {
        seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
        cpuUserSeconds: Number((cpu.user / 1e6).toFixed(1)),
        cpuSystemSeconds: Number((cpu.system / 1e6).toFixed(1)),
        // resourceUsage().maxRSS is in KiB.
        peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      },
      outcomes: summariseOutcomes(outcomes),
      orchestration: summariseOrchestration(stack.host.stats(), cycled),
      arm: summariseArm(log, cycled, fleetStart(outcomes)),
      availabilitySets: setsNamedByPlan(
        availabilitySetsFullyDown(scenario, stack.sim.snapshot(), stack.sim.timeline()),
        result?.plan,
      ),
      time: {
        ...summariseTime(
          outcomes,
          stack.sim.timeline(),
          startedAt,
          endedAt,
          options.maxConcurrency,
          CYCLE_SHAPES[options.runningVmCycle],
        ),
        honest: honestBound(
          honestWaves(
            outcomes,
            result?.plan,
            CYCLE_SHAPES[options.runningVmCycle],
            operationSeconds(outcomes, stack.sim.timeline()),
          ),
          {
            concurrency: options.maxConcurrency,
            shape: CYCLE_SHAPES[options.runningVmCycle],
            rule: options.availabilitySetRule,
            probeSeconds:
              agent.afterStartSeconds +
              agent.extensionsAfterAgentSeconds +
              agent.checksAfterExtensionsSeconds +
              REALISTIC.latencies.connectivityCheck,
            subnetSeconds: outcomes.some((o) => o.kind === "vnet" && o.outcome === "cycled")
              ? REALISTIC.latencies.subnetCreate + REALISTIC.latencies.subnetDelete
              : 0,
            simulatedSeconds: (endedAt - startedAt) / 1000,
          },
        ),
      },
    };
    return FleetMetricsSchema.parse(metrics);
  } finally {
    await stack.close();
  }
}

async function main(): Promise<void> {
  const spec = FleetCaseSpecSchema.parse(JSON.parse(process.argv[2] ?? "null"));
  const metrics = await runFleetCase(spec);
  writeFileSync(spec.out, `${JSON.stringify(metrics, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(ensureError(e).stack ?? ensureError(e).message);
    process.exitCode = 1;
  });
}
