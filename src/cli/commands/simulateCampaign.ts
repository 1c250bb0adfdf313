/**
 * port25 simulate on an estate: a campaign over the estate's root management group (or its subscriptions), on the
 * built-in simulator with the real engine, SDK clients and Azurite; progress, a table per subscription, totals, the
 * campaign's HTML report and every run's.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { startLocalStack, type LocalStack } from "../localStack";
import { createLineSink } from "../progress";
import { describeCampaignEnd, describeCampaignProgress, describeTarget, renderMembers } from "../campaignRender";
import { displayPath } from "../invocation";
import { plural } from "../../contracts/plural";
import { fitLines } from "../table";
import { renderCampaignReport } from "../../audit/campaignReport";
import { renderRunReport } from "../../audit/report";
import {
  campaignInstanceId,
  CampaignProgressSchema,
  CampaignSummarySchema,
  campaignTotals,
  type CampaignMember,
  type CampaignSummary,
} from "../../contracts/campaign";

import type { RemediationOptionsInput } from "../../contracts/options";
import type { Estate } from "../../simulator";
import type { CommandResult } from "../command";
import { liveMembers } from "../../domain/campaignMembers";

interface CampaignSimulation {
  estate: Estate;
  source: string;
  seed: number;
  mode: "plan" | "execute";
  options: RemediationOptionsInput;
  maxConcurrentSubscriptions: number;
  report: string | undefined;
  json: boolean;
  env: Record<string, string>;
  /** True once the operator has interrupted (Ctrl+C): the campaign stops being driven and what it made is removed. */
  interrupted?: () => boolean;
}

/** The machine-readable result of `port25 simulate --json` on an estate (docs/cli.md). */
export const CampaignSimulateOutputSchema = z.object({
  version: z.literal(1),
  kind: z.literal("campaign"),
  scenario: z.object({
    source: z.string(),
    subscriptions: z.number().int(),
    managementGroups: z.number().int(),
    vms: z.number().int(),
  }),
  summary: CampaignSummarySchema,
  timing: z.object({
    simulatedSeconds: z.number(),
    realSeconds: z.number(),
    /** User and system CPU of the process (simulator, durable host, Azurite's client side). */
    cpuSeconds: z.number(),
    /** Largest resident set of the process so far. */
    peakRssMiB: z.number(),
  }),
  arm: z.object({
    requests: z.number().int(),
    throttled: z.number().int(),
    computeThrottled: z.number().int(),
    writes: z.number().int(),
    /** Most requests sent to one subscription (ARM's budgets are per subscription). */
    maxPerSubscription: z.number().int(),
  }),
  orchestration: z.object({
    instances: z.number().int(),
    maxHistoryEvents: z.number().int(),
    maxHistoryInstance: z.string(),
    campaignHistoryEvents: z.number().int(),
    episodes: z.number().int(),
  }),
  reports: z.object({ campaign: z.string().nullable(), runs: z.number().int() }),
});
type CampaignSimulateOutput = z.output<typeof CampaignSimulateOutputSchema>;

/** Every subscription of the campaign as it stands now (the view the status endpoint gives, read from the host). */
async function membersNow(
  stack: LocalStack,
  campaignId: string,
): Promise<{ members: CampaignMember[]; phase: string; message: string | undefined }> {
  const host = stack.host;
  const instanceId = campaignInstanceId(campaignId);
  const progress = CampaignProgressSchema.safeParse(host.getStatus(instanceId)?.customStatus);
  if (!progress.success) return { members: [], phase: "starting", message: undefined };
  const live = await liveMembers((id) => Promise.resolve(host.getStatus(id)), progress.data.queues);
  return { phase: progress.data.phase, message: progress.data.message, members: live.members };
}

export async function simulateCampaign(s: CampaignSimulation): Promise<CommandResult> {
  const realStart = performance.now();
  const cpuStart = process.cpuUsage();
  const subs = s.estate.subscriptions.length;
  const vms = s.estate.subscriptions.reduce((n, x) => n + x.scenario.vms.length, 0);
  if (!s.json) {
    process.stderr.write(
      `Simulating ${s.source}: ${plural(subs, "subscription")} under ${plural(s.estate.managementGroups.length, "management group")}, ${plural(vms, "VM")}; ` +
        `a campaign, up to ${s.maxConcurrentSubscriptions} subscriptions at once\n`,
    );
  }
  const stack = await startLocalStack({ scenario: s.estate, seed: s.seed, audit: true, env: s.env, requestLog: false });
  const sink = createLineSink(process.stderr, !s.json);
  let summary: CampaignSummary;
  try {
    const input = stack.startCampaign({
      mode: s.mode,
      options: s.options,
      maxConcurrentSubscriptions: s.maxConcurrentSubscriptions,
    });
    const id = campaignInstanceId(input.campaignId);
    let lastDraw = 0;
    for (;;) {
      if (s.interrupted?.() === true) {
        sink.done();
        const m = await membersNow(stack, input.campaignId);
        const line = describeCampaignProgress({
          phase: m.phase,
          totals: campaignTotals(m.members),
          message: m.message,
        });
        process.stderr.write(
          `\nInterrupted: campaign ${input.campaignId} on ${s.source}, stopped after ${Math.round((performance.now() - realStart) / 100) / 10} s at ${line.text}. ` +
            "Its runs were not brought to their end, so it has no report; what the simulation made has been removed.\n",
        );
        return { exitCode: 130 };
      }
      const report = await stack.host.runUntilIdle({ maxEpisodes: 500 });
      const now = performance.now();
      if (now - lastDraw >= 100) {
        lastDraw = now;
        const m = await membersNow(stack, input.campaignId);
        const line = describeCampaignProgress({
          phase: m.phase,
          totals: campaignTotals(m.members),
          message: m.message,
        });
        sink.show(line.text, line.fraction);
      }
      const status = stack.host.getStatus(id)?.runtimeStatus;
      if (status !== "Running" && status !== "Pending") break;
      if (report.stoppedBy === "idle" && (report.stuck.length > 0 || report.waitingForEvents.length > 0)) {
        throw new Error(
          `the campaign stopped making progress (waiting: ${[...report.stuck, ...report.waitingForEvents]
            .map((i) => i.instanceId)
            .slice(0, 10)
            .join(", ")})`,
        );
      }
    }
    summary = stack.campaignResult(input.campaignId).summary;
    // Runs do not wait for their notifications; the simulation does, so the last one is sent before the stack stops.
    await stack.host.runUntilIdle();
    const end = describeCampaignEnd(summary);
    sink.end(end.text, end.fraction);

    // The campaign's report and each run's, side by side, linked as files.
    const store = stack.root.auditStore;
    let campaignReport: string | null = null;
    let runReports = 0;
    const audited = await store?.getCampaign(input.campaignId);
    if (store !== undefined && audited !== undefined) {
      campaignReport = resolve(s.report ?? `reports/port25-campaign-${input.campaignId}.html`);
      const dir = dirname(campaignReport);
      mkdirSync(dir, { recursive: true });
      writeFileSync(campaignReport, renderCampaignReport(audited, { files: true }));
      for (const m of summary.members) {
        if (m.runId === undefined || m.state !== "done") continue;
        const run = await store.getRun(m.runId);
        if (run === undefined) continue;
        writeFileSync(join(dir, `port25-${m.runId}.html`), renderRunReport(run, { files: true }));
        runReports++;
      }
    }

    const stats = stack.host.stats();
    const tally = stack.sim.requestTally();
    const bySub = Object.values(stack.sim.countersBySubscription()).map((c) => c.requests);
    const biggest = stats.instances.reduce((best, i) => (i.historyLength > best.historyLength ? i : best), {
      instanceId: "",
      historyLength: 0,
    });
    const cpu = process.cpuUsage(cpuStart);
    const output: CampaignSimulateOutput = CampaignSimulateOutputSchema.parse({
      version: 1,
      kind: "campaign",
      scenario: { source: s.source, subscriptions: subs, managementGroups: s.estate.managementGroups.length, vms },
      summary,
      timing: {
        simulatedSeconds: (Date.parse(summary.endedAt) - Date.parse(summary.startedAt)) / 1000,
        realSeconds: Math.round((performance.now() - realStart) / 100) / 10,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      },
      arm: { ...tally, maxPerSubscription: Math.max(0, ...bySub) },
      orchestration: {
        instances: stats.instances.length,
        maxHistoryEvents: biggest.historyLength,
        maxHistoryInstance: biggest.instanceId,
        campaignHistoryEvents: stats.instances.find((i) => i.instanceId === id)?.historyLength ?? 0,
        episodes: stats.instances.reduce((n, i) => n + i.replays, 0),
      },
      reports: { campaign: campaignReport, runs: runReports },
    });
    if (s.json) {
      process.stdout.write(`${JSON.stringify(output)}\n`);
    } else {
      const t = output.timing;
      process.stdout.write(
        `\n${fitLines(
          [
            `Campaign ${summary.campaignId} over ${describeTarget(summary.target)}: ${summary.status}`,
            summary.message,
            "",
            renderMembers(summary.members),
            "",
            `Simulated ${Math.round(t.simulatedSeconds).toLocaleString("en-US")} s in ${t.realSeconds.toFixed(1)} s real (${t.cpuSeconds.toFixed(1)} s CPU).`,
            `ARM: ${plural(output.arm.requests, "request")} (${plural(output.arm.writes, "write")}, ${output.arm.throttled.toLocaleString("en-US")} throttled, ` +
              `${output.arm.computeThrottled.toLocaleString("en-US")} of them by Compute; at most ${output.arm.maxPerSubscription.toLocaleString("en-US")} to one subscription); ` +
              `${plural(output.orchestration.instances, "orchestration instance")}, largest history ${plural(output.orchestration.maxHistoryEvents, "event")} (the campaign's ${output.orchestration.campaignHistoryEvents})`,
          ].join("\n"),
        )}\n`,
      );
      process.stdout.write(
        campaignReport !== null
          ? `Report: ${displayPath(campaignReport)} (with ${plural(runReports, "run report")} beside it)\n`
          : "No audit record was written, so there is no report.\n",
      );
    }
  } finally {
    sink.done();
    await stack.close();
  }
  return { exitCode: summary.status === "completed" && (summary.totals.resources.leftDown ?? 0) === 0 ? 0 : 1 };
}
