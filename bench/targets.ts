/**
 * What RESULTS.md checks the figures against. Targets: requests and episodes per cycled VM, the honest bound, and
 * the memory of `port25 simulate` and of a campaign, each beside the real time, CPU and load average of the run that
 * measured it. Checks kept from earlier measurements stay as checks. The scripts users would run instead are a
 * comparison, not a target: a table, not ❌ rows.
 */
import type { BaselineMetrics, CampaignMetrics, FleetMetrics, Footprint } from "./spec";

export interface TargetCheck {
  target: string;
  value: string;
  /** Real time, CPU and load average of the run behind the figure ("" when it has none). */
  run: string;
  met: boolean | null;
}

const MIB_512 = 512;
const GIB = 1024;

export const fmt = (x: number, digits = 0): string =>
  x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

const load = (x: number | undefined): string => (x === undefined ? "load ?" : `load ${x.toFixed(1)}`);

export function fleetRun(f: FleetMetrics): string {
  return `${fmt(f.real.seconds)} s real, ${fmt(f.real.cpuUserSeconds + f.real.cpuSystemSeconds)} s CPU, ${load(f.loadAverage)}`;
}

function footprintRun(f: Footprint): string {
  const l =
    f.loadAverage === undefined ? "load ?" : `load ${f.loadAverage.start.toFixed(1)} → ${f.loadAverage.end.toFixed(1)}`;
  return `${fmt(f.realSeconds)} s real, ${f.cpuSeconds === undefined ? "CPU ?" : `${fmt(f.cpuSeconds)} s CPU`}, ${l}`;
}

function campaignRun(c: CampaignMetrics): string {
  return `${fmt(c.realSeconds)} s real, ${c.cpuSeconds === undefined ? "CPU ?" : `${fmt(c.cpuSeconds)} s CPU`}, ${load(c.loadAverage)}`;
}

/** The case with the largest figure, and every case over the limit. */
function worst(
  target: string,
  cases: readonly FleetMetrics[],
  figure: (f: FleetMetrics) => number,
  limit: number,
): TargetCheck {
  if (cases.length === 0) return { target, value: "not measured", run: "", met: null };
  const top = cases.reduce((a, b) => (figure(b) > figure(a) ? b : a));
  const over = cases.filter((f) => figure(f) > limit);
  return {
    target,
    value:
      `at most ${figure(top).toFixed(2)} (${top.label})` +
      (over.length === 0 ? "" : `; over: ${over.map((f) => `${f.label} ${figure(f).toFixed(2)}`).join(", ")}`),
    run: fleetRun(top),
    met: over.length === 0,
  };
}

/** Issue 31's targets over the fleet cases. */
export function fleetTargets(fleet: readonly FleetMetrics[]): TargetCheck[] {
  const done = fleet.filter((f) => f.status === "completed");
  const twoWrites = (f: FleetMetrics): boolean => f.options["runningVmCycle"] === "deallocateStart";
  const checks: TargetCheck[] = [
    worst(
      "ARM requests per cycled VM ≤ 6, default cycle, every case",
      done.filter((f) => !twoWrites(f)),
      (f) => f.arm.perCycledVm,
      6,
    ),
    worst(
      "ARM requests per cycled VM ≤ 4.5, deallocate → start, every case",
      done.filter(twoWrites),
      (f) => f.arm.perCycledVm,
      4.5,
    ),
    worst("orchestrator episodes per cycled VM ≤ 8, every case", done, (f) => f.orchestration.replaysPerCycledVm, 8),
  ];
  for (const f of done) {
    const honest = f.time.honest;
    checks.push(
      honest === undefined
        ? { target: `${f.label}: within 1.15x of the honest bound`, value: "not computed", run: fleetRun(f), met: null }
        : {
            target: `${f.label}: within 1.15x of the honest bound`,
            value: `${honest.ratio.toFixed(2)}x (${fmt(f.time.simulatedSeconds)} s vs ${fmt(honest.boundSeconds)} s;${honest.nominalRatio === undefined ? "" : ` ${honest.nominalRatio.toFixed(2)}x at nominal latencies;`} old bound ${fmt(f.time.boundSeconds)} s, ${f.time.ratio.toFixed(2)}x)`,
            run: fleetRun(f),
            met: honest.ratio <= 1.15,
          },
    );
  }
  for (const f of fleet.filter((x) => x.status !== "completed"))
    checks.push({
      target: `${f.label} completes`,
      value: `${f.status}${f.error !== undefined ? `: ${f.error}` : ""}`,
      run: fleetRun(f),
      met: false,
    });
  return checks;
}

/** Issue 27's memory targets: `simulate --vms 5000` under 512 MiB, `--vms 20000` completes under 1 GiB, a 50 × 200 campaign under 1 GiB. */
export function memoryTargets(footprints: readonly Footprint[], campaigns: readonly CampaignMetrics[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const memory = (f: Footprint): string =>
    `${fmt(f.peakProcessHwmMiB)} MiB the CLI process, ${fmt(f.peakTreeRssMiB)} MiB the process tree (npx, tsx, Azurite)`;
  const completed = (f: Footprint): boolean =>
    f.status === "completed" && (f.runStatus === "completed" || f.runStatus === "completedWithFailures");
  const at = (vms: number): Footprint | undefined =>
    footprints.find((f) => f.vms === vms && f.subscriptions === undefined);
  const f5 = at(5000);
  checks.push(
    f5 === undefined
      ? { target: "port25 simulate --vms 5000 peaks under 512 MiB", value: "not measured", run: "", met: null }
      : {
          target: "port25 simulate --vms 5000 peaks under 512 MiB",
          value: `${memory(f5)} (${f5.runStatus ?? f5.status})`,
          run: footprintRun(f5),
          met: completed(f5) && f5.peakProcessHwmMiB > 0 && f5.peakProcessHwmMiB < MIB_512,
        },
  );
  const f20 = at(20000);
  checks.push(
    f20 === undefined
      ? {
          target: "port25 simulate --vms 20000 completes, peaks under 1 GiB",
          value: "not measured",
          run: "",
          met: null,
        }
      : {
          target: "port25 simulate --vms 20000 completes, peaks under 1 GiB",
          value: `${f20.runStatus ?? f20.status}; ${memory(f20)}`,
          run: footprintRun(f20),
          met: completed(f20) && f20.peakProcessHwmMiB > 0 && f20.peakProcessHwmMiB < GIB,
        },
  );
  const big = campaigns.find((c) => c.subscriptions === 50 && c.vmsPerSubscription === 200);
  checks.push(
    big === undefined
      ? { target: "a campaign of 50 × 200 VMs peaks under 1 GiB", value: "not measured", run: "", met: null }
      : {
          target: "a campaign of 50 × 200 VMs peaks under 1 GiB",
          value: `${big.status === "completed" ? (big.campaignStatus ?? "?") : big.status}; ${big.peakRssMiB === undefined ? "peak not measured" : `${fmt(big.peakRssMiB)} MiB`}`,
          run: campaignRun(big),
          met: big.status === "completed" && big.peakRssMiB !== undefined && big.peakRssMiB < GIB,
        },
  );
  // The same campaign as `simulate` runs it (its default of 5 subscriptions at a time), measured by the footprint case.
  for (const f of footprints.filter((x) => x.subscriptions !== undefined))
    checks.push({
      target: `port25 simulate --subscriptions ${f.subscriptions ?? 0} --vms ${f.vms} peaks under 1 GiB`,
      value: `${f.runStatus ?? f.status}; ${memory(f)}`,
      run: footprintRun(f),
      met: completed(f) && f.peakProcessHwmMiB > 0 && f.peakProcessHwmMiB < GIB,
    });
  return checks;
}

/** Checks from earlier passes, kept so that a regression shows: history size, CPU growth, throttling, campaigns. */
export function earlierChecks(fleet: readonly FleetMetrics[], campaigns: readonly CampaignMetrics[]): TargetCheck[] {
  const byLabel = (l: string): FleetMetrics | undefined => fleet.find((f) => f.label === l && f.status === "completed");
  const small = byLabel("cost-500");
  const large = byLabel("cost-5000");
  const done = fleet.filter((f) => f.status === "completed");
  const checks: TargetCheck[] = [];
  if (small && large) {
    const r = large.orchestration.orchestratorCpuMs / Math.max(1, small.orchestration.orchestratorCpuMs);
    checks.push({
      target: "orchestrator CPU, 5,000 VMs ≤ 12x the 500 case",
      value: `${r.toFixed(1)}x`,
      run: fleetRun(large),
      met: r <= 12,
    });
  }
  const maxHistory = Math.max(0, ...fleet.map((f) => f.orchestration.maxHistory.events));
  checks.push({
    target: "no orchestration history above 1,000 events",
    value: `largest ${fmt(maxHistory)}`,
    run: "",
    met: fleet.length === 0 ? null : maxHistory <= 1000,
  });
  const throttled = done.reduce((n, f) => n + f.outcomes.failedByThrottling, 0);
  checks.push({
    target: "no VM failed by throttling",
    value: `${throttled} failed`,
    run: "",
    met: done.length === 0 ? null : throttled === 0,
  });
  for (const c of campaigns.filter((x) => x.subscriptions >= 50)) {
    const name = `campaign of ${c.subscriptions} subscriptions × ${c.vmsPerSubscription} VMs`;
    if (c.status !== "completed" || c.orchestration === undefined) {
      checks.push({ target: `${name} completes`, value: c.status, run: campaignRun(c), met: false });
      continue;
    }
    const accounted = c.everySubscriptionOnce === true && (c.subscriptionsUnaccounted ?? []).length === 0;
    checks.push(
      {
        target: `${name}: every resource accounted for`,
        value: accounted
          ? `yes (${fmt(c.resources?.total ?? 0)} resources)`
          : `no: ${(c.subscriptionsUnaccounted ?? []).join(", ")}`,
        run: campaignRun(c),
        met: accounted,
      },
      {
        target: `${name}: no orchestration history above 1,000 events`,
        value: `largest ${fmt(c.orchestration.maxHistoryEvents)} (${c.orchestration.maxHistoryInstance.replace(/:.*/, ":…")})`,
        run: "",
        met: c.orchestration.maxHistoryEvents <= 1000,
      },
    );
  }
  return checks;
}

/** Sets fully down in a run, and of those how many had members down before it and how many its plan named. */
export function setsDown(a: FleetMetrics["availabilitySets"] | BaselineMetrics["availabilitySets"]): string {
  if (a === undefined) return "–";
  const parts = [
    ...(a.withMembersDownBefore !== undefined && a.fullyDown > 0
      ? [`${fmt(a.withMembersDownBefore)} with members down before the run`]
      : []),
    ...(a.namedByPlan !== undefined && a.fullyDown > 0 ? [`${fmt(a.namedByPlan)} named by the plan`] : []),
  ];
  return `${fmt(a.fullyDown)} of ${fmt(a.sets)}${parts.length === 0 ? "" : ` (${parts.join(", ")})`}`;
}

/**
 * The product's 500-VM cases beside the scripts users would run instead: each script's time, failures and sets
 * fully down in the header, then each case's own and its time against each script's: a comparison, not a target.
 */
export function comparison(
  fleet: readonly FleetMetrics[],
  baselines: readonly BaselineMetrics[],
): { head: string[]; rows: string[][] } {
  // The sequential script first, then all at once, the SDK's retries before the patient one.
  const at500 = baselines
    .filter((b) => b.vms === 500)
    .sort(
      (a, b) => Number(a.script !== "sequential") - Number(b.script !== "sequential") || a.maxRetries - b.maxRetries,
    );
  const seconds = (b: BaselineMetrics): number => b.extrapolatedSeconds ?? b.simulatedSeconds;
  const name = (b: BaselineMetrics): string =>
    b.script === "sequential"
      ? "(a) sequential"
      : `(b) all at once${b.maxRetries > 3 ? ", 429s retried until done" : ", 429s retried 3 times"}`;
  const ratio = (ours: number, theirs: number): string =>
    theirs >= ours
      ? `${(theirs / Math.max(1, ours)).toFixed(1)}x faster`
      : `${(ours / Math.max(1, theirs)).toFixed(1)}x slower`;
  return {
    head: [
      "case",
      "ours: simulated · VMs failed · sets fully down",
      ...at500.map(
        (b) =>
          `${name(b)}: ${fmt(seconds(b))} s · ${fmt(b.vmsFailed)} failed, ${fmt(b.vmsLeftDown)} left down · ${setsDown(b.availabilitySets)} sets fully down`,
      ),
    ],
    rows: fleet
      .filter((f) => f.vms === 500 && f.status === "completed")
      .map((f) => [
        f.label,
        `${fmt(f.time.simulatedSeconds)} s · ${fmt(f.outcomes.failed)} · ${setsDown(f.availabilitySets)}`,
        ...at500.map((b) => `ours ${ratio(f.time.simulatedSeconds, seconds(b))}`),
      ]),
  };
}
