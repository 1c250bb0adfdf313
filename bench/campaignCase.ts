/**
 * The campaign benchmark: `port25 simulate --subscriptions N --vms M --json` in a process of its own (the real
 * engine, SDK clients, simulator and Azurite), then its figures checked against the estate it generated: every
 * subscription a member once, every resource of every run accounted for, and the largest orchestration history.
 * Usage: tsx bench/campaignCase.ts '<CampaignCaseSpec JSON>'
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { loadEstate, generateEstate } from "../src/simulator";
import { CampaignSimulateOutputSchema } from "../src/cli/commands/simulateCampaign";
import { ensureError } from "../src/errors";
import { CampaignCaseSpecSchema, CampaignMetricsSchema, type CampaignMetrics } from "./spec";

const ROOT = path.resolve(__dirname, "..");

function runCli(
  args: string[],
  limitSeconds: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => p.kill("SIGKILL"), limitSeconds * 1000);
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function main(): Promise<void> {
  const spec = CampaignCaseSpecSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
  const args = [
    "simulate",
    "--subscriptions",
    String(spec.subscriptions),
    "--vms",
    String(spec.vmsPerSubscription),
    "--seed",
    String(spec.seed),
    "--max-concurrent-subscriptions",
    String(spec.maxConcurrentSubscriptions),
    "--json",
    "--report",
    path.join(mkdtempSync(path.join(tmpdir(), "port25-bench-campaign-")), "campaign.html"),
  ];
  const started = Date.now();
  const loadAverage = Number((loadavg()[0] ?? 0).toFixed(1));
  const r = await runCli(args, spec.realLimitSeconds);
  let metrics: CampaignMetrics;
  try {
    const out = CampaignSimulateOutputSchema.parse(JSON.parse(r.stdout));
    // The same estate the command generated, to count what each run had to account for.
    const estate = loadEstate(
      generateEstate({
        subscriptions: spec.subscriptions,
        vmsPerSubscription: spec.vmsPerSubscription,
        seed: spec.seed,
      }),
    );
    const resourcesOf = new Map(
      estate.subscriptions.map((s) => [
        s.scenario.subscription.id.toLowerCase(),
        s.scenario.vms.length +
          s.scenario.scaleSets.filter((x) => x.orchestrationMode === "Uniform").length +
          s.scenario.vnets.length,
      ]),
    );
    const members = out.summary.members;
    const once =
      new Set(members.map((m) => m.subscriptionId)).size === members.length &&
      members.length === estate.subscriptions.length;
    const unaccounted = members.filter((m) => {
      if (m.state !== "done") return m.reason === undefined;
      const c = m.counts;
      return (
        c === undefined ||
        c.total !== resourcesOf.get(m.subscriptionId) ||
        c.pending !== 0 ||
        c.cycled + c.skipped + c.failed !== c.total
      );
    });
    metrics = {
      label: spec.label,
      subscriptions: spec.subscriptions,
      vmsPerSubscription: spec.vmsPerSubscription,
      maxConcurrentSubscriptions: spec.maxConcurrentSubscriptions,
      status: "completed",
      campaignStatus: out.summary.status,
      byState: out.summary.totals.byState,
      resources: out.summary.totals.resources,
      everySubscriptionOnce: once,
      subscriptionsUnaccounted: unaccounted.map((m) => m.subscriptionId),
      simulatedSeconds: out.timing.simulatedSeconds,
      realSeconds: out.timing.realSeconds,
      cpuSeconds: out.timing.cpuSeconds,
      peakRssMiB: out.timing.peakRssMiB,
      loadAverage,
      arm: out.arm,
      orchestration: out.orchestration,
    };
  } catch (e) {
    metrics = {
      label: spec.label,
      subscriptions: spec.subscriptions,
      vmsPerSubscription: spec.vmsPerSubscription,
      maxConcurrentSubscriptions: spec.maxConcurrentSubscriptions,
      status: r.code === null ? "timedOut" : "error",
      error: `${ensureError(e).message.slice(0, 300)}; exit ${String(r.code)}; ${r.stderr.slice(-500)}`,
      realSeconds: (Date.now() - started) / 1000,
      loadAverage,
    };
  }
  writeFileSync(spec.out, `${JSON.stringify(CampaignMetricsSchema.parse(metrics), null, 2)}\n`);
}

main().catch((e: unknown) => {
  console.error(ensureError(e).message);
  process.exitCode = 1;
});
