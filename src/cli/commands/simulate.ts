/** port25 simulate: the whole workflow on a simulated subscription, with progress, a summary and an HTML report. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { camelKeys, parseFlags, parseFlagValues, UsageError } from "../args";
import { startLocalStack, type LocalStack } from "../localStack";
import { createProgressSink, describe } from "../progress";
import { renderSummary } from "../render";
import { SimulateOutputSchema, type SimulateOutput } from "../simulateOutput";
import { DEFAULT_VMS_PER_SUBSCRIPTION, defaultScenarioPath, loadEstateFlag, WorldFlags } from "./simulator";
import { simulateCampaign } from "./simulateCampaign";
import { MAX_CAMPAIGN_SUBSCRIPTIONS, MAX_CONCURRENT_SUBSCRIPTIONS } from "../../contracts/campaign";
import { displayPath, FAILING_STATUSES } from "../invocation";
import { plural } from "../../contracts/plural";
import { generateEstate, generateFleet, loadEstate, type Scenario } from "../../simulator";
import { renderRunReport } from "../../audit/report";
import type { RemediationResult } from "../../contracts/remediation";
import type { CommandResult } from "../command";
import { WebhookUrlSchema } from "../../config";
import { AvailabilitySetRuleSchema, RunningVmCycleSchema } from "../../contracts/options";

const Flags = z
  .object({
    ...WorldFlags,
    /** Generate an estate of this many subscriptions (each a fleet of --vms VMs) and run a campaign over it. */
    subscriptions: z.coerce.number().int().min(1).max(MAX_CAMPAIGN_SUBSCRIPTIONS).optional(),
    maxConcurrentSubscriptions: z.coerce.number().int().min(1).max(MAX_CONCURRENT_SUBSCRIPTIONS).default(5),
    timeScale: z.coerce.number().positive().max(1e6).optional(),
    mode: z.enum(["plan", "execute"]).default("execute"),
    maxConcurrency: z.coerce.number().int().min(1).max(1000).optional(),
    runningVmCycle: RunningVmCycleSchema.optional(),
    availabilitySetRule: AvailabilitySetRuleSchema.optional(),
    report: z.string().min(1).optional(),
    json: z.boolean().default(false),
    notify: WebhookUrlSchema.optional(),
    notifyFormat: z.enum(["json", "teams", "slack"]).default("json"),
  })
  .strict();

/**
 * What a scenario holds, counted as the plan counts resources: VMs (flexible scale-set members included), uniform
 * scale sets (each one resource; flexible ones are not resources of their own), VNets.
 */
export function scenarioCounts(scenario: Scenario): { vms: number; scaleSets: number; vnets: number } {
  return {
    vms: scenario.vms.length,
    scaleSets: scenario.scaleSets.filter((s) => s.orchestrationMode === "Uniform").length,
    vnets: scenario.vnets.length,
  };
}

export function describeScenario(c: { vms: number; scaleSets: number; vnets: number }): string {
  return `${plural(c.vms, "VM")}, ${plural(c.scaleSets, "uniform scale set")}, ${plural(c.vnets, "VNet")}`;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Drives the host until the run ends (or `stopped()` says the operator interrupted), pacing virtual time when asked, and reporting progress. */
async function drive(
  stack: LocalStack,
  timeScale: number | undefined,
  onTick: () => void,
  stopped: () => boolean,
): Promise<void> {
  const realStart = Date.now();
  for (;;) {
    if (stopped()) return;
    const until = timeScale === undefined ? undefined : stack.startedAt + (Date.now() - realStart) * timeScale;
    const report = await stack.host.runUntilIdle({ maxEpisodes: 500, advanceTimersUpTo: until });
    onTick();
    const status = stack.host.getStatus(stack.instanceId)?.runtimeStatus;
    if (status !== "Running" && status !== "Pending") return;
    if (report.stoppedBy === "idle" && timeScale === undefined) {
      if (report.stuck.length > 0 || report.waitingForEvents.length > 0) {
        throw new Error(
          `the run stopped making progress (waiting: ${[...report.stuck, ...report.waitingForEvents].map((i) => i.instanceId).join(", ")})`,
        );
      }
    }
    if (timeScale !== undefined) await realSleep(100);
  }
}

/** Exit code of a command stopped by Ctrl+C (SIGINT), as shells report it: 128 + the signal's number. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * `until` resolves when the operator interrupts (Ctrl+C): the simulation then stops driving the run, says which run
 * it stopped and how far it had gone, writes a partial report and removes what it made (Azurite and its folder, the
 * simulator and its certificate folder) before exiting 130.
 */
export async function simulateCommand(
  argv: string[],
  until: Promise<void> = new Promise<void>(() => undefined),
): Promise<CommandResult> {
  let interrupted = false;
  void until.then(() => {
    interrupted = true;
  });
  const { values } = parseFlags(argv, {
    scenario: { type: "string" },
    vms: { type: "string" },
    subscriptions: { type: "string" },
    "max-concurrent-subscriptions": { type: "string" },
    seed: { type: "string" },
    "time-scale": { type: "string" },
    mode: { type: "string" },
    "max-concurrency": { type: "string" },
    "running-vm-cycle": { type: "string" },
    "availability-set-rule": { type: "string" },
    report: { type: "string" },
    json: { type: "boolean" },
    notify: { type: "string" },
    "notify-format": { type: "string" },
  });
  const f = parseFlagValues(Flags, camelKeys(values));
  // A flag that would be silently ignored is refused, naming what it needs.
  if (values["notify-format"] !== undefined && f.notify === undefined)
    throw new UsageError("--notify-format: only with --notify URL (the webhook it formats for)");
  if (f.scenario !== undefined && (f.vms !== undefined || f.subscriptions !== undefined)) {
    throw new UsageError(`--${f.vms !== undefined ? "vms" : "subscriptions"}: cannot be combined with --scenario`);
  }
  const notify: Record<string, string> =
    f.notify === undefined ? {} : { PORT25_NOTIFY_WEBHOOKS: f.notify, PORT25_NOTIFY_FORMAT: f.notifyFormat };
  const options = {
    maxConcurrency: f.maxConcurrency,
    runningVmCycle: f.runningVmCycle,
    availabilitySetRule: f.availabilitySetRule,
  };
  // An estate (several subscriptions, management groups) runs as a campaign.
  const estate =
    f.subscriptions !== undefined
      ? loadEstate(
          generateEstate({
            subscriptions: f.subscriptions,
            vmsPerSubscription: f.vms ?? DEFAULT_VMS_PER_SUBSCRIPTION,
            seed: f.seed,
          }),
        )
      : f.vms === undefined
        ? loadEstateFlag(f.scenario ?? defaultScenarioPath())
        : undefined;
  if (estate !== undefined && (estate.managementGroups.length > 0 || estate.subscriptions.length > 1)) {
    const source =
      f.subscriptions !== undefined
        ? `generated estate of ${f.subscriptions} subscriptions × ${f.vms ?? DEFAULT_VMS_PER_SUBSCRIPTION} VMs (seed ${f.seed})`
        : displayPath(f.scenario ?? defaultScenarioPath());
    return simulateCampaign({
      estate,
      source,
      seed: f.seed,
      mode: f.mode,
      options,
      maxConcurrentSubscriptions: f.maxConcurrentSubscriptions,
      report: f.report,
      json: f.json,
      env: notify,
      interrupted: () => interrupted,
    });
  }
  if (values["max-concurrent-subscriptions"] !== undefined) {
    throw new UsageError(
      "--max-concurrent-subscriptions: only for an estate (a scenario of several subscriptions, or --subscriptions N): this scenario serves one subscription",
    );
  }
  const source =
    f.vms !== undefined ? `generated fleet of ${f.vms} VMs (seed ${f.seed})` : (f.scenario ?? defaultScenarioPath());
  const first = estate?.subscriptions[0]?.scenario;
  const scenario = f.vms !== undefined ? generateFleet(f.vms, f.seed) : first;
  if (scenario === undefined)
    throw new UsageError(`--scenario ${f.scenario ?? defaultScenarioPath()}: serves no subscription`);

  const realStart = performance.now();
  const sink = createProgressSink(process.stderr, !f.json);
  const counts = scenarioCounts(scenario);
  if (!f.json)
    process.stderr.write(
      `Simulating ${f.vms !== undefined ? source : displayPath(source)}: ${describeScenario(counts)}\n`,
    );
  const stack = await startLocalStack({ scenario, seed: f.seed, audit: true, env: notify, requestLog: false });
  let result: RemediationResult;
  try {
    if (interrupted) {
      sink.done();
      process.stderr.write(
        "Interrupted before the run started: nothing was changed, and what the simulation made has been removed.\n",
      );
      return { exitCode: INTERRUPTED_EXIT_CODE };
    }
    const started = stack.start({ mode: f.mode, options });
    let lastDraw = 0;
    await drive(
      stack,
      f.timeScale,
      () => {
        const now = performance.now();
        if (now - lastDraw < 100) return;
        lastDraw = now;
        const p = stack.progress();
        if (p) sink.update(p);
      },
      () => interrupted,
    );
    if (interrupted) {
      sink.done();
      await reportInterrupted(stack, started.runId, source, f.report, realStart);
      return { exitCode: INTERRUPTED_EXIT_CODE };
    }
    result = stack.result();
    // The run does not wait for its notifications; the simulation does, so that the last one is sent (or has
    // failed every attempt) before the stack stops.
    if (f.notify !== undefined) await stack.host.runUntilIdle();
    sink.finish(result.summary);

    const audited = await stack.root.auditStore?.getRun(result.summary.runId);
    let reportPath: string | null = null;
    if (audited) {
      reportPath = resolve(f.report ?? `reports/port25-${result.summary.runId}.html`);
      mkdirSync(dirname(reportPath), { recursive: true });
      writeFileSync(reportPath, renderRunReport(audited));
    }
    const stats = stack.host.stats();
    const tally = stack.sim.requestTally();
    const output: SimulateOutput = SimulateOutputSchema.parse({
      version: 1,
      scenario: {
        source,
        subscriptionId: stack.sim.subscriptionId,
        ...counts,
      },
      summary: result.summary,
      classification: result.classification,
      outcomes: result.outcomes,
      timing: {
        simulatedSeconds: (Date.parse(result.summary.endedAt) - Date.parse(result.summary.startedAt)) / 1000,
        realSeconds: Math.round((performance.now() - realStart) / 100) / 10,
      },
      arm: tally,
      orchestration: {
        instances: stats.instances.length,
        maxHistoryEvents: Math.max(0, ...stats.instances.map((i) => i.historyLength)),
        episodes: stats.instances.reduce((n, i) => n + i.replays, 0),
      },
      report: reportPath,
    });
    if (f.json) {
      process.stdout.write(`${JSON.stringify(output)}\n`);
    } else {
      process.stdout.write(`\n${renderSummary(result, output.timing)}\n`);
      process.stdout.write(
        `ARM: ${plural(output.arm.requests, "request")} (${plural(output.arm.writes, "write")}, ${output.arm.throttled.toLocaleString("en-US")} throttled, ${output.arm.computeThrottled.toLocaleString("en-US")} of them by Compute); ` +
          `${plural(output.orchestration.instances, "orchestration instance")}, largest history ${plural(output.orchestration.maxHistoryEvents, "event")}\n`,
      );
      process.stdout.write(
        reportPath ? `Report: ${displayPath(reportPath)}\n` : "No audit record was written, so there is no report.\n",
      );
    }
  } finally {
    sink.done();
    await stack.close();
  }
  // A resource left down fails the command whatever the run's status (a cancelled or halted run included).
  return {
    exitCode: FAILING_STATUSES.includes(result.summary.status) || (result.summary.counts.leftDown ?? 0) > 0 ? 1 : 0,
  };
}

/**
 * Says which run was interrupted and how far it had gone, and writes the partial report: the audit's record of the
 * run with the outcomes of the resources that had finished, and a notice naming those whose cycle was under way.
 */
async function reportInterrupted(
  stack: LocalStack,
  runId: string,
  source: string,
  report: string | undefined,
  realStart: number,
): Promise<void> {
  const p = stack.progress();
  const { finished, inFlight } = stack.partialOutcomes();
  const seconds = Math.round((performance.now() - realStart) / 100) / 10;
  const where = p === undefined ? "before its plan was made" : `at ${describe(p)}`;
  const under =
    inFlight.length === 0
      ? ""
      : `; ${plural(inFlight.length, "resource")} mid-cycle (${inFlight.slice(0, 5).join(", ")}${inFlight.length > 5 ? ", …" : ""}) were not brought to the end of their cycle`;
  process.stderr.write(
    `\nInterrupted: run ${runId} on ${displayPath(source)}, stopped after ${seconds} s ${where}${under}.\n`,
  );
  const audited = await stack.root.auditStore?.getRun(runId);
  if (audited === undefined) {
    process.stderr.write("The run had not recorded its start in the audit, so there is no partial report.\n");
    return;
  }
  const path = resolve(report ?? `reports/port25-${runId}.html`);
  mkdirSync(dirname(path), { recursive: true });
  const text =
    `The simulation was interrupted (Ctrl+C) ${where}. This report holds the ${plural(finished.length, "resource")} that had finished; ` +
    (inFlight.length === 0
      ? "no resource was mid-cycle."
      : `${plural(inFlight.length, "resource")} mid-cycle (${inFlight.join(", ")}) ended in an unknown state.`);
  writeFileSync(
    path,
    renderRunReport({ ...audited, outcomes: finished }, { notice: { title: "Interrupted: partial report", text } }),
  );
  process.stderr.write(`Partial report: ${displayPath(path)}\n`);
}
