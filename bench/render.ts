/** Renders bench/RESULTS.md and the targets summary from the JSON files the benchmark cases wrote. */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import * as path from "node:path";
import { z } from "zod";
import {
  BaselineMetricsSchema,
  CampaignMetricsSchema,
  FleetMetricsSchema,
  FootprintSchema,
  NOMINAL_CYCLE_SECONDS,
} from "./spec";
import { comparison, earlierChecks, fmt, memoryTargets, fleetTargets, setsDown, type TargetCheck } from "./targets";

export interface Summary {
  generatedAt: string;
  commit: string | null;
  machine: string;
  /** The targets (bench/targets.ts). */
  targets: TargetCheck[];
  /** Checks kept from earlier passes. */
  checks: TargetCheck[];
}

const DurableHostResultsSchema = z.object({
  repeats: z.number(),
  targetRatio: z.number(),
  results: z.array(
    z.object({
      schema: z.string(),
      completionOrder: z.string(),
      sizes: z.record(
        z.string(),
        z.object({
          replays: z.number(),
          historyLength: z.number(),
          orchestratorCpuMs: z.number(),
          elapsedMs: z.number(),
        }),
      ),
      cpuRatio5000to1000: z.number(),
    }),
  ),
});

const ORCHESTRATIONS = ["remediateSubscription", "runWave", "cycleBatch", "cycleChain", "refreshVnetSubnet"] as const;

const secs = (s: number): string => (s >= 3600 ? `${fmt(s)} s (${(s / 3600).toFixed(2)} h)` : `${fmt(s)} s`);
const mark = (met: boolean | null): string => (met === null ? "–" : met ? "✅" : "❌");

function readJson<T>(file: string, schema: z.ZodType<T>): T | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = schema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  return parsed.success ? parsed.data : undefined;
}

function commit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: path.resolve(__dirname, ".."),
      encoding: "utf8",
    }).trim();
  } catch {
    return null;
  }
}

/** A table of targets or checks, each with the real time, CPU and load average of the runs behind it. */
function targetTable(what: string, rows: readonly TargetCheck[]): string {
  return table(
    ["", what, "measured", "real time, CPU, load average"],
    rows.map((t) => [mark(t.met), t.target, t.value, t.run || "–"]),
  );
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export function renderResults(dir: string): { markdown: string; summary: Summary } {
  const fleet = readdirSync(dir)
    .filter((f) => /^fleet-.*\.json$/.test(f))
    .flatMap((f) => readJson(path.join(dir, f), FleetMetricsSchema) ?? [])
    .sort((a, b) => (a.label.split("-")[0] ?? "").localeCompare(b.label.split("-")[0] ?? "") || a.vms - b.vms);
  const footprints = readdirSync(dir)
    .filter((f) => /^footprint-(\d+|campaign-\d+x\d+)\.json$/.test(f))
    .flatMap((f) => readJson(path.join(dir, f), FootprintSchema) ?? [])
    .sort((a, b) => a.vms - b.vms);
  const baselines = readdirSync(dir)
    .filter((f) => /^baseline-.*\.json$/.test(f))
    .flatMap((f) => readJson(path.join(dir, f), BaselineMetricsSchema) ?? [])
    .sort((a, b) => a.vms - b.vms || a.script.localeCompare(b.script));
  const durable = readJson(path.join(dir, "durable-host.json"), DurableHostResultsSchema);
  const campaigns = readdirSync(dir)
    .filter((f) => /^campaign-\d+x\d+\.json$/.test(f))
    .flatMap((f) => readJson(path.join(dir, f), CampaignMetricsSchema) ?? [])
    .sort((a, b) => a.subscriptions * a.vmsPerSubscription - b.subscriptions * b.vmsPerSubscription);
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const machine = `${cpus().length} × ${cpu}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, load average ${loadavg()[0]?.toFixed(1) ?? "?"} when rendered`;
  const summary: Summary = {
    generatedAt: new Date().toISOString(),
    commit: commit(),
    machine,
    targets: [...fleetTargets(fleet), ...memoryTargets(footprints, campaigns)],
    checks: earlierChecks(fleet, campaigns),
  };
  const compared = comparison(fleet, baselines);

  const cost = fleet.filter((f) => f.label.startsWith("cost-"));
  // The same base as the check "orchestrator CPU, 5,000 VMs ≤ 12x the 500 case" (bench/targets.ts).
  const smallCpu = cost.find((f) => f.label === "cost-500")?.orchestration.orchestratorCpuMs;
  const parts: string[] = [];
  parts.push(
    "# Benchmark results",
    "",
    `Rendered by \`npm run bench\` (bench/run.ts) on ${summary.generatedAt.slice(0, 10)} at commit ${summary.commit ?? "unknown"} from bench/results/*.json, ` +
      `each case measured at the product code the Runs table names; ${machine}. ` +
      "Generated fleets (`generateFleet(N, 11)`), realistic latencies (power off 30 s, deallocate 60 s, start 60 s, ±20 % jitter) and ARM's " +
      "token buckets on (writes 200 + 10/s, reads 250 + 25/s). Method and analysis: [docs/performance.md](../docs/performance.md).",
    "",
    "## Targets",
    "",
    "Requests and episodes per cycled VM, every case within 1.15x of the honest bound, and memory. Real time depends " +
      "on the machine and its load; the simulated figures do not.",
    "",
    targetTable("target", summary.targets),
    "",
    "Checks kept from earlier measurements:",
    "",
    targetTable("check", summary.checks),
    "",
    "## Compared with the scripts users would run instead (500 VMs)",
    "",
    "A comparison, not a target: the product proves TCP 25 on a canary first, runs the waves in order and " +
      "keeps each availability set within the run's caps; the scripts do none of it. A set fully down with members down before the run is one " +
      "whose last running members the run took down (the caps allow it, and the plan names it: `setOutages`). Details in §4.",
    "",
    compared.rows.length === 0 ? "Not measured yet." : table(compared.head, compared.rows),
    "",
    "## 1. Orchestration cost",
    "",
    table(
      [
        "case",
        "VMs",
        "cycled",
        "orchestrator CPU",
        "vs 500",
        "episodes",
        "replays / cycled VM",
        "largest history",
        "instances",
      ],
      fleet.map((f) => [
        f.label,
        fmt(f.vms),
        fmt(f.outcomes.cycled),
        `${fmt(f.orchestration.orchestratorCpuMs / 1000, 1)} s`,
        f.label.startsWith("cost-") && smallCpu !== undefined
          ? `${(f.orchestration.orchestratorCpuMs / Math.max(1, smallCpu)).toFixed(1)}x`
          : "",
        fmt(f.orchestration.episodes),
        f.orchestration.replaysPerCycledVm.toFixed(2),
        `${fmt(f.orchestration.maxHistory.events)} (${f.orchestration.maxHistory.name})`,
        fmt(f.orchestration.instances),
      ]),
    ),
    "",
    "Episodes and CPU by orchestration:",
    "",
    table(
      ["case", ...ORCHESTRATIONS.map((n) => `${n} (instances / episodes / CPU / largest history)`)],
      fleet.map((f) => [
        f.label,
        ...ORCHESTRATIONS.map((n) => {
          const b = f.orchestration.byName[n];
          return b === undefined
            ? "–"
            : `${fmt(b.instances)} / ${fmt(b.replays)} / ${fmt(b.cpuMs / 1000, 1)} s / ${fmt(b.maxHistory)}`;
        }),
      ]),
    ),
    "",
    "## 2. ARM requests per cycled VM",
    "",
    table(
      [
        "case",
        "requests",
        "reads",
        "writes",
        "deletes",
        "429",
        "before the fleet",
        "per cycled VM",
        "fleet phase per cycled VM",
        "per cycled VM, by operation",
      ],
      fleet.map((f) => [
        f.label,
        fmt(f.arm.requests),
        fmt(f.arm.reads),
        fmt(f.arm.writes),
        fmt(f.arm.deletes),
        fmt(f.arm.throttled),
        fmt(f.arm.beforeFleet),
        f.arm.perCycledVm.toFixed(2),
        f.arm.fleetPerCycledVm.toFixed(2),
        // Every operation that costs at least a hundredth of a request per cycled VM, largest first.
        Object.entries(f.arm.byOperation)
          .filter(([, n]) => n / Math.max(1, f.outcomes.cycled) >= 0.005)
          .map(([op, n]) => `${op} ${(n / Math.max(1, f.outcomes.cycled)).toFixed(2)}`)
          .join(", "),
      ]),
    ),
    "",
    "## 3. Simulated wall time versus its bound",
    "",
    "Bound = the canary (a delegated-subnet refresh before it, its cycle, the guest agents' readiness after its start and its connectivity check) + Σ over the waves in order of max(ceil(Nw / cap) cycle times, Nw's writes " +
      "through ARM's write bucket, the reads that see each VM after each step (50 a listing page) through the read bucket, the " +
      "rounds of the wave's largest availability set under the run's rule — members over the per-set cap, or its update " +
      `domains — in cycle times), a cycle being ${NOMINAL_CYCLE_SECONDS} s (120 s with deallocateStart). ` +
      "Each resource counts with its own planned steps (a VM stopped before the run is only deallocated: 60 s, one write); " +
      "results measured before 7 December 2026 counted each as a whole cycle. " +
      "Azure's operations take their nominal time only on average (±20 % here), so each wave is also held to the durations " +
      "Azure took in the run: its slowest resource's operations, their seconds over the cap's slots, and its slowest set at " +
      "those durations (a wave of hundreds of VMs in one round cannot end before its slowest one). The bound at the nominal " +
      "latencies alone, as measured before 8 December 2026, is kept beside it. " +
      `Old bound = max(ceil(N / cap) × ${NOMINAL_CYCLE_SECONDS} s, (3N − 200) / 10 s), N = resources the run set out to cycle (cycled + failed).`,
    "",
    table(
      [
        "case",
        "cap",
        "availability sets",
        "N",
        "simulated",
        "bound (canary + waves)",
        "ratio",
        "at nominal latencies",
        "old bound (cap term / write term)",
        "old ratio",
        "failed by throttling",
        "429s",
      ],
      fleet.map((f) => [
        f.label,
        fmt(f.maxConcurrency),
        f.time.honest === undefined
          ? "–"
          : f.time.honest.availabilitySetRule === "updateDomain"
            ? "by update domain"
            : "by member",
        fmt(f.time.cycledForBound),
        secs(f.time.simulatedSeconds),
        f.time.honest === undefined
          ? "–"
          : `${fmt(f.time.honest.boundSeconds)} s (${fmt(f.time.honest.canarySeconds)} + ${fmt(f.time.honest.boundSeconds - f.time.honest.canarySeconds)})`,
        f.time.honest === undefined ? "–" : `${f.time.honest.ratio.toFixed(2)}x`,
        f.time.honest?.nominalBoundSeconds === undefined || f.time.honest.nominalRatio === undefined
          ? "–"
          : `${fmt(f.time.honest.nominalBoundSeconds)} s, ${f.time.honest.nominalRatio.toFixed(2)}x`,
        `${fmt(f.time.boundSeconds)} s (${fmt(f.time.concurrencyBoundSeconds)} / ${fmt(f.time.writeBoundSeconds)})`,
        `${f.time.ratio.toFixed(2)}x`,
        fmt(f.outcomes.failedByThrottling),
        fmt(f.arm.throttled),
      ]),
    ),
    "",
    "Each wave's term of the bound (resources: the measured seconds / the term in seconds, and what sets it — cap, writes, reads, the largest set's rounds or the slowest resource's operations as Azure took them):",
    "",
    table(
      ["case", "waves"],
      fleet
        .filter((f) => f.time.honest !== undefined)
        .map((f) => [
          f.label,
          (f.time.honest?.waves ?? [])
            .map((w) => {
              const by = [
                ["cap", w.capSeconds],
                ["writes", w.writeFloorSeconds],
                ["reads", w.readFloorSeconds],
                [`set ${w.setRounds} rounds`, w.setSeconds],
                ["slowest", w.slowestSeconds ?? 0],
              ] as const;
              const top = by.reduce((a, b) => (b[1] > a[1] ? b : a));
              // The canary's measured span is its cycle alone; its term also holds the subnet refresh and the probe.
              const measured = w.canary
                ? undefined
                : f.time.waves.find((m) => m.wave === w.wave && m.canary === w.canary)?.seconds;
              return `${w.canary ? "canary" : `w${w.wave}`} ${w.resources}: ${measured === undefined ? "" : `${fmt(measured)}/`}${fmt(w.boundSeconds)} (${top[0]})`;
            })
            .join("; "),
        ]),
    ),
    "",
    "Where the time goes (per cycled VM: Azure's operations versus the VM's whole cycle; fleet: slots in use):",
    "",
    table(
      [
        "case",
        "before the fleet",
        "fleet phase",
        "waves (resources: seconds / bound)",
        "mean in flight / cap",
        "VM cycle: operations / whole",
        "before 1st op / between ops / after last",
      ],
      fleet.map((f) => [
        f.label,
        `${fmt(f.time.beforeFleetSeconds)} s`,
        `${fmt(f.time.fleetSeconds)} s`,
        f.time.waves
          .map((w) => `${w.canary ? "canary" : `w${w.wave}`} ${w.resources}: ${fmt(w.seconds)}/${fmt(w.boundSeconds)}`)
          .join("; "),
        `${f.time.meanInFlight} / ${f.maxConcurrency} (${(f.time.utilisation * 100).toFixed(0)} %)`,
        `${f.time.perVm.meanOperationSeconds} s / ${f.time.perVm.meanEndToEndSeconds} s`,
        `${f.time.perVm.meanBeforeFirstOpSeconds} / ${f.time.perVm.meanBetweenOpsSeconds} / ${f.time.perVm.meanAfterLastOpSeconds} s`,
      ]),
    ),
    "",
    "## Runs",
    "",
    "Real time depends on the machine and on what else runs on it; the simulated figures do not.",
    "",
    table(
      ["case", "status", "product code", "load average at start", "real time", "CPU user + system", "peak RSS"],
      fleet.map((f) => [
        f.label,
        f.status + (f.runStatus !== null ? ` (${f.runStatus})` : ""),
        f.code === undefined
          ? "–"
          : `${f.code.commit ?? "?"}${f.code.uncommittedChanges ? " + uncommitted changes" : ""}`,
        f.loadAverage === undefined ? "–" : f.loadAverage.toFixed(1),
        `${fmt(f.real.seconds)} s`,
        `${fmt(f.real.cpuUserSeconds + f.real.cpuSystemSeconds)} s`,
        `${fmt(f.real.peakRssMiB)} MiB`,
      ]),
    ),
    "",
    "## 4. Side by side: what users would run instead (500 VMs)",
    "",
    "The same simulator, fleet, latencies and ARM buckets; the scripts use the real SDK client (bench/baselines.ts): " +
      "(a) sequential — each running VM in turn, power off, deallocate, start, waiting for each; (b) all at once — begin power off " +
      "for every VM, wait for all, then deallocate, then start, no caps, 429s retried as the SDK does (Retry-After, 3 times). " +
      "The scripts cycle the running VMs a user would (not ephemeral, not tagged skip, not AKS-managed); the product also " +
      "deallocates the stopped ones, refreshes the VNets, cycles the scale set and proves TCP 25 on a canary first.",
    "",
    baselines.length === 0
      ? "Not measured yet."
      : table(
          [
            "run",
            "VMs",
            "simulated",
            "429s",
            "VMs failed",
            "VMs left down",
            "availability sets fully down",
            "ARM requests",
            "real",
          ],
          [
            ...baselines.map((b) => [
              b.script === "sequential"
                ? "(a) sequential script"
                : `(b) all-at-once script${b.maxRetries > 3 ? ", retrying 429s until done" : " (SDK: 429 retried 3 times)"}`,
              b.targets < b.fleetTargets ? `${fmt(b.targets)} of ${fmt(b.fleetTargets)}` : fmt(b.targets),
              b.extrapolatedSeconds !== null
                ? `${secs(b.simulatedSeconds)} measured; ${secs(b.extrapolatedSeconds)} for all ${fmt(b.fleetTargets)} (extrapolated)`
                : secs(b.simulatedSeconds),
              fmt(b.throttled),
              `${fmt(b.vmsFailed)}${
                Object.keys(b.failedBy).length > 0
                  ? ` (${Object.entries(b.failedBy)
                      .map(([k, n]) => `${k}: ${n}`)
                      .join(", ")})`
                  : ""
              }`,
              fmt(b.vmsLeftDown),
              `${fmt(b.availabilitySets.fullyDown)} of ${fmt(b.availabilitySets.sets)}`,
              fmt(b.requests),
              `${fmt(b.realSeconds)} s`,
            ]),
            ...fleet
              .filter((f) => f.vms === 500)
              .map((f) => [
                `port25 ${f.label} (cap ${f.maxConcurrency}${f.options["runningVmCycle"] === "deallocateStart" ? ", deallocateStart" : ""}${
                  f.options["availabilitySetRule"] === "updateDomain" ? ", by update domain" : ""
                })`,
                fmt(f.outcomes.cycledVms),
                secs(f.time.simulatedSeconds),
                fmt(f.arm.throttled),
                fmt(f.outcomes.failed),
                "–",
                setsDown(f.availabilitySets),
                fmt(f.arm.requests),
                `${fmt(f.real.seconds)} s`,
              ]),
          ],
        ),
    "",
    "## 5. Footprint of `port25 simulate`",
    "",
    footprints.length === 0
      ? "Not measured yet."
      : table(
          [
            "command",
            "status",
            "real time",
            "peak RSS (process tree)",
            "largest process (VmHWM)",
            "simulated",
            "ARM requests",
          ],
          footprints.map((footprint) => [
            `\`${footprint.command.replace(/ --report \S+/, "")}\``,
            footprint.status + (footprint.runStatus !== null ? ` (${footprint.runStatus})` : ""),
            `${fmt(footprint.realSeconds)} s`,
            `${fmt(footprint.peakTreeRssMiB)} MiB`,
            `${fmt(footprint.peakProcessHwmMiB)} MiB`,
            footprint.simulatedSeconds === null ? "–" : secs(footprint.simulatedSeconds),
            footprint.armRequests === null ? "–" : fmt(footprint.armRequests),
          ]),
        ),
    "",
    "## 6. Campaigns: many subscriptions at once (bench/campaignCase.ts)",
    "",
    campaigns.length === 0
      ? "Not measured yet."
      : table(
          [
            "campaign",
            "status",
            "subscriptions (by state)",
            "resources",
            "every resource accounted",
            "simulated",
            "real",
            "CPU",
            "peak RSS",
            "ARM requests (most to one subscription)",
            "429s",
            "largest history (the campaign's)",
          ],
          campaigns.map((c) => [
            `\`port25 simulate --subscriptions ${c.subscriptions} --vms ${c.vmsPerSubscription} --max-concurrent-subscriptions ${c.maxConcurrentSubscriptions}\``,
            c.status === "completed"
              ? (c.campaignStatus ?? "?")
              : `${c.status}${c.error !== undefined ? `: ${c.error.slice(0, 120)}` : ""}`,
            c.byState === undefined
              ? "–"
              : Object.entries(c.byState)
                  .filter(([, n]) => n > 0)
                  .map(([s, n]) => `${s} ${n}`)
                  .join(", "),
            c.resources === undefined
              ? "–"
              : `${fmt(c.resources.cycled)} cycled, ${fmt(c.resources.skipped)} skipped, ${fmt(c.resources.failed)} failed, ${fmt(c.resources.leftDown ?? 0)} left down`,
            c.everySubscriptionOnce === undefined
              ? "–"
              : c.everySubscriptionOnce && (c.subscriptionsUnaccounted ?? []).length === 0
                ? "yes"
                : `NO (${(c.subscriptionsUnaccounted ?? []).length} subscriptions)`,
            c.simulatedSeconds === undefined ? "–" : secs(c.simulatedSeconds),
            `${fmt(c.realSeconds)} s`,
            c.cpuSeconds === undefined ? "–" : `${fmt(c.cpuSeconds)} s`,
            c.peakRssMiB === undefined ? "–" : `${fmt(c.peakRssMiB)} MiB`,
            c.arm === undefined ? "–" : `${fmt(c.arm.requests)} (${fmt(c.arm.maxPerSubscription)})`,
            c.arm === undefined ? "–" : fmt(c.arm.throttled),
            c.orchestration === undefined
              ? "–"
              : `${fmt(c.orchestration.maxHistoryEvents)} (${fmt(c.orchestration.campaignHistoryEvents)})`,
          ]),
        ),
    "",
    "## Durable host fan-out (bench/durableHost.ts)",
    "",
    durable === undefined
      ? "Not measured yet."
      : table(
          ["schema", "completions", "1,000: CPU / replays / history", "5,000: CPU / replays / history", "CPU ratio"],
          durable.results.map((r) => {
            const cell = (n: string): string => {
              const s = r.sizes[n];
              return s === undefined
                ? "–"
                : `${s.orchestratorCpuMs.toFixed(1)} ms / ${s.replays} / ${fmt(s.historyLength)}`;
            };
            return [
              r.schema,
              r.completionOrder,
              cell("1000"),
              cell("5000"),
              `${r.cpuRatio5000to1000}x (target ≤ ${durable.targetRatio}x)`,
            ];
          }),
        ),
    "",
  );
  return { markdown: parts.join("\n"), summary };
}
