/**
 * port25 run: the product itself on the embedded durable host, against real ARM (or any ARM-compatible endpoint),
 * with the operator's own credential and its state on disk. The same command again resumes the run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { hostname, userInfo } from "node:os";
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { z } from "zod";
import { camelKeys, environment, parseFlags, parseFlagValues, UsageError } from "../args";
import { parseConfig, subnetGrantOf } from "../../config";
import { createArmGateway } from "../../azure/clients";
import { discoverSubscription } from "../../azure/discover";
import { SubscriptionIdSchema } from "../../contracts/ids";
import { AvailabilitySetRuleSchema, RemediationOptionsSchema, RunningVmCycleSchema } from "../../contracts/options";
import { RemediationInputSchema, remediationInstanceId, type RemediationResult } from "../../contracts/remediation";
import { runInputOf } from "../../contracts/campaign";
import { REMEDIATE_SUBSCRIPTION } from "../../contracts/names";
import { classifySubscription } from "../../domain/classify";
import { buildPlan } from "../../domain/planWaves";
import { newRunId, runTemplateOf } from "../../functions/runTemplate";
import { renderRunReport } from "../../audit/report";
import { renderClassification, renderGrantCommands, renderPlan, renderSummary } from "../render";
import { fitLines } from "../table";
import { createProgressSink } from "../progress";
import { displayPath, FAILING_STATUSES, invocation, shellQuote } from "../invocation";
import { fullRecord } from "../localRecords";
import { isLiveOn, progressOf } from "../localRun";
import { defaultStateDir, openState, readRunRecord, writeAtomic, writeRunRecord, type OpenedState } from "../runState";
import { isSignInFailure, ResourceGroupsFlag, signInAdvice } from "./plan";
import { ensureError } from "../../errors";
import type { CommandResult } from "../command";
import { clip, TEXT_LIMITS } from "../../contracts/textLimits";

const LOOPBACK = /^https:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;

const RunFlags = z
  .object({
    subscription: SubscriptionIdSchema,
    attestationRef: z.string().min(3),
    approvedBy: z.string().min(1),
    approvedAt: z.iso.datetime({ offset: true }),
    mode: z.enum(["plan", "execute"]).default("execute"),
    resourceGroup: ResourceGroupsFlag.optional(),
    maxConcurrency: z.coerce.number().int().min(1).max(1000).optional(),
    runningVmCycle: RunningVmCycleSchema.optional(),
    availabilitySetRule: AvailabilitySetRuleSchema.optional(),
    state: z.string().min(1).optional(),
    report: z.string().min(1).optional(),
    yes: z.boolean().default(false),
    json: z.boolean().default(false),
    armEndpoint: z.url({ protocol: /^https$/ }).optional(),
    ca: z.string().min(1).optional(),
    timeScale: z.coerce.number().positive().max(1e6).optional(),
  })
  .strict();
type RunFlagValues = z.output<typeof RunFlags>;

/** What a later `port25 run` must repeat to be the same run: the subscription and the exemption it acts on. */
export function localRunInstanceId(subscriptionId: string, attestationRef: string): string {
  const digest = createHash("sha256")
    .update(`${subscriptionId.toLowerCase()}\n${attestationRef}`)
    .digest("hex")
    .slice(0, 8);
  return `${remediationInstanceId(subscriptionId)}-${digest}`;
}

/** The Date header of any answer of the endpoint (a 401 will do): the simulator's simulated time. */
function endpointTime(endpoint: string, caFile: string | undefined): Promise<number> {
  return new Promise((resolveTime, reject) => {
    const req = request(
      new URL("/", endpoint),
      { method: "GET", ...(caFile === undefined ? {} : { ca: readFileSync(caFile) }) },
      (res) => {
        res.resume();
        const at = Date.parse(res.headers.date ?? "");
        if (Number.isFinite(at)) resolveTime(at);
        else
          reject(new Error(`${endpoint} answered without a Date header: its clock cannot be followed (--time-scale)`));
      },
    );
    req.on("error", (e) => reject(new Error(`cannot reach ${endpoint}: ${e.message}`)));
    req.end();
  });
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Emitter {
  info(text: string, event: Record<string, unknown>): void;
}

function emitter(json: boolean): Emitter {
  return {
    info(text, event) {
      process.stderr.write(json ? `${JSON.stringify(event)}\n` : `${text}\n`);
    },
  };
}

export async function runCommand(argv: string[], interrupted: Promise<void>): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    subscription: { type: "string" },
    "attestation-ref": { type: "string" },
    "approved-by": { type: "string" },
    "approved-at": { type: "string" },
    mode: { type: "string" },
    "resource-group": { type: "string", multiple: true },
    "max-concurrency": { type: "string" },
    "running-vm-cycle": { type: "string" },
    "availability-set-rule": { type: "string" },
    state: { type: "string" },
    report: { type: "string" },
    yes: { type: "boolean" },
    json: { type: "boolean" },
    "arm-endpoint": { type: "string" },
    ca: { type: "string" },
    "time-scale": { type: "string" },
  });
  const f = parseFlagValues(RunFlags, camelKeys(values));
  if (f.ca !== undefined && !existsSync(f.ca)) throw new UsageError(`--ca: no such file: ${f.ca}`);
  const endpoint = f.armEndpoint ?? "https://management.azure.com";
  const loopback = LOOPBACK.test(endpoint);
  // Azure's clock is the wall clock: only a simulator on this machine can run faster.
  if (f.timeScale !== undefined && !loopback) {
    throw new UsageError(
      `--time-scale: only against a simulator on this machine (a loopback --arm-endpoint); ${endpoint} runs in real time`,
    );
  }
  const dir = resolve(f.state ?? defaultStateDir());
  const command = [invocation(), "run", ...argv.map(shellQuote)].join(" ");
  const instanceId = localRunInstanceId(f.subscription, f.attestationRef);
  const known = readRunRecord(dir);
  const confirmable = f.yes || f.mode === "plan" || process.stdin.isTTY;
  // Refused before anything is opened: a pipeline must say --yes (a resume asks nothing: it was confirmed).
  if (!confirmable && known?.instanceId !== instanceId) {
    throw new UsageError(
      "refusing to start a run without confirmation: stdin is not a terminal, so the subscription's name cannot be typed; pass --yes to confirm (pipelines)",
    );
  }
  const out = emitter(f.json);
  const scale = f.timeScale ?? 1;
  const now = f.timeScale !== undefined ? await endpointTime(endpoint, f.ca) : Date.now();
  const settings: Record<string, string | undefined> = {
    ...environment(),
    PORT25_ARM_ENDPOINT: endpoint,
    ...(f.ca === undefined ? {} : { PORT25_ARM_CA_FILE: f.ca }),
  };
  const config = parseConfig(settings);
  const state = await openState(dir, { command, audit: true, settings, now });
  try {
    state.clock.advanceTo(now);
    const existing = state.host.getStatus(instanceId);
    if (existing !== undefined && !isLiveOn(state.host, instanceId)) {
      out.info(`Run ${instanceId} in ${displayPath(dir)} has ended (${existing.runtimeStatus}): its summary follows.`, {
        event: "ended",
        instanceId,
        stateDir: dir,
      });
      return await finish(state, instanceId, f, dir);
    }
    if (existing !== undefined) {
      out.info(`resuming run ${instanceId} from ${displayPath(dir)}`, { event: "resuming", instanceId, stateDir: dir });
    } else if (known?.instanceId === instanceId) {
      // Started before, yet the durable state does not know it: starting again could cycle the fleet twice.
      throw new Error(
        `${displayPath(dir)}: run ${instanceId} was started here (run.json) but the durable state under durable/ has no record of it; nothing was started. Check the audit (port25 audit --state ${shellQuote(displayPath(dir))}) and the subscription, then use a new --state to start afresh`,
      );
    } else {
      const other = state.host
        .listInstances({ runtimeStatus: ["Running", "Pending"], name: REMEDIATE_SUBSCRIPTION })
        .find((i) => i.instanceId !== instanceId && i.parentInstanceId === undefined);
      if (other !== undefined) {
        throw new UsageError(
          `${displayPath(dir)} holds another run in progress (${other.instanceId}${known === undefined ? "" : `: \`${known.command}\``}); resume it with its own command, cancel it (port25 cancel --state ${shellQuote(displayPath(dir))}), or use another --state`,
        );
      }
      const started = await planAndStart(state, f, config, loopback, instanceId, now, command, dir);
      if (started !== undefined) return started;
    }
    return await drive(state, instanceId, f, dir, command, scale, now, interrupted);
  } finally {
    // Stopped before a run started (not signed in, refused, not confirmed): the folder is left as it was found.
    await state.close({ discardCreated: state.host.getStatus(instanceId) === undefined });
  }
}

/** Classifies, plans, prints the plan, asks for confirmation and starts the run; a result when it stops short. */
async function planAndStart(
  state: OpenedState,
  f: RunFlagValues,
  config: ReturnType<typeof parseConfig>,
  loopback: boolean,
  instanceId: string,
  now: number,
  command: string,
  dir: string,
): Promise<CommandResult | undefined> {
  if (Date.parse(f.approvedAt) > now + 5 * 60_000)
    throw new UsageError(
      `--approved-at: must not be in the future (it is ${new Date(now).toISOString()} at the endpoint)`,
    );
  const arm = createArmGateway(config);
  const signIn = (e: unknown): never => {
    throw isSignInFailure(e)
      ? new Error(
          signInAdvice(loopback)
            .replace("runs plan", "runs port25 run")
            .replace("run plan again", "run port25 run again"),
        )
      : e;
  };
  const options = RemediationOptionsSchema.parse({
    maxConcurrency: f.maxConcurrency,
    runningVmCycle: f.runningVmCycle,
    availabilitySetRule: f.availabilitySetRule,
    resourceGroups: f.resourceGroup,
  });
  const [subscription, billing] = await Promise.all([
    arm.getSubscription(f.subscription),
    arm.getBillingProperty(f.subscription),
  ]).catch(signIn);
  const classification = classifySubscription(billing, subscription);
  const plan = buildPlan(await discoverSubscription(arm, f.subscription, options, subnetGrantOf(config)), options);
  const refused = classification.category === "blockedNotExemptible" || classification.category === "unknown";
  // The plan goes to stderr with --json: stdout carries only the result.
  const planText = `${subscription.displayName} (${subscription.subscriptionId})\n${renderClassification(classification)}\n\n${renderPlan(plan, false)}`;
  const grants = renderGrantCommands(plan);
  if (f.json)
    process.stderr.write(
      `${JSON.stringify({ event: "plan", subscription, classification, counts: plan.counts, resourceGroups: plan.resourceGroups ?? null })}\n`,
    );
  else process.stdout.write(`${fitLines(planText)}\n${grants === "" ? "" : `\n${grants}\n`}`);
  if (refused) {
    process.stderr.write(
      "The run would be refused (the subscription is not exemptible, or its billing cannot be read): nothing was started or changed.\n",
    );
    return { exitCode: 1 };
  }
  if (f.mode === "execute" && !f.yes) {
    const confirmed = await confirm(subscription.displayName, plan.counts.toCycle);
    if (!confirmed) {
      process.stderr.write("Not confirmed: nothing was started or changed.\n");
      return { exitCode: 1 };
    }
  }
  const at = new Date(now);
  const who = `${userInfo().username}@${hostname()} (port25 run)`;
  const template = runTemplateOf(
    {
      attestation: { reference: f.attestationRef, approvedBy: f.approvedBy, approvedAt: f.approvedAt },
      mode: f.mode,
      requireApproval: false,
      allowSelfApproval: false,
      options,
    },
    { name: who, id: undefined },
    at,
    config.PORT25_PROBE_HOST,
  );
  const input = RemediationInputSchema.parse(runInputOf(template, f.subscription, newRunId(at)));
  writeRunRecord(dir, {
    version: 1,
    instanceId,
    runId: input.runId,
    subscriptionId: f.subscription,
    attestation: input.attestation,
    mode: input.mode,
    armEndpoint: config.PORT25_ARM_ENDPOINT,
    command,
  });
  state.host.startOrchestration(REMEDIATE_SUBSCRIPTION, input, { instanceId });
  return undefined;
}

/** Asks for the subscription's display name, as destructive CLIs ask for the name of what they destroy. */
async function confirm(displayName: string, toCycle: number): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = rl.question(
      `\nThis cycles ${toCycle} resources: running VMs are stopped and started again. Type the subscription's name (${displayName}) to go on: `,
    );
    const cancelled = new Promise<string>((r) => rl.once("SIGINT", () => r("")));
    return (await Promise.race([answer, cancelled])).trim() === displayName;
  } finally {
    rl.close();
  }
}

/**
 * Drives the host until the run ends: the virtual clock follows real time (times --time-scale) from the anchor,
 * durable timers fire as it passes them. Ctrl+C pauses: the host stops, the state stays, exit 130.
 */
async function drive(
  state: OpenedState,
  instanceId: string,
  f: RunFlagValues,
  dir: string,
  command: string,
  scale: number,
  virtualAnchor: number,
  interrupted: Promise<void>,
): Promise<CommandResult> {
  let paused = false;
  void interrupted.then(() => {
    paused = true;
  });
  const realAnchor = Date.now();
  const sink = createProgressSink(process.stderr, !f.json);
  const tick = Math.min(250, Math.max(10, 1000 / scale));
  let lastShown = "";
  let lastWritten = 0;
  try {
    for (;;) {
      if (paused) break;
      const target = virtualAnchor + (Date.now() - realAnchor) * scale;
      state.clock.advanceTo(target);
      const report = await state.host.runUntilIdle({ maxEpisodes: 200, advanceTimersUpTo: target });
      const p = progressOf(state.host, instanceId);
      if (p) {
        const shown = JSON.stringify({ phase: p.phase, counts: p.counts });
        if (shown !== lastShown) {
          lastShown = shown;
          if (f.json)
            process.stderr.write(
              `${JSON.stringify({ event: "progress", instanceId, phase: p.phase, counts: p.counts })}\n`,
            );
          else sink.update(p);
        }
        if (Date.now() - lastWritten > 1000) {
          lastWritten = Date.now();
          writeAtomic(
            join(dir, "progress.json"),
            JSON.stringify({ instanceId, pid: process.pid, at: new Date().toISOString(), progress: p }),
          );
        }
      }
      if (!isLiveOn(state.host, instanceId)) break;
      if (report.stuck.some((i) => i.instanceId === instanceId))
        throw new Error(
          `run ${instanceId} stopped making progress (nothing pending): see port25 status --state ${shellQuote(displayPath(dir))}`,
        );
      if (report.stoppedBy === "idle") await realSleep(tick);
    }
  } finally {
    sink.done();
  }
  if (paused && isLiveOn(state.host, instanceId)) {
    process.stderr.write(
      `\nPaused run ${instanceId}; its state is in ${displayPath(dir)}. Resume it with the same command:\n  ${command}\n`,
    );
    // 128 + SIGINT, as shells report a command stopped by Ctrl+C.
    return { exitCode: 130 };
  }
  return finish(state, instanceId, f, dir);
}

/** The ended run's summary, report and exit code (those of simulate). */
async function finish(state: OpenedState, instanceId: string, f: RunFlagValues, dir: string): Promise<CommandResult> {
  const status = state.host.getStatus(instanceId);
  if (status?.runtimeStatus !== "Completed") {
    const why = clip(JSON.stringify(status?.failureDetails ?? status?.output ?? null), TEXT_LIMITS.message);
    process.stderr.write(`Run ${instanceId} ended ${status?.runtimeStatus ?? "absent"}: ${why}\n`);
    if (f.json)
      process.stdout.write(
        `${JSON.stringify({ version: 1, instanceId, runtimeStatus: status?.runtimeStatus ?? null, failure: why })}\n`,
      );
    return { exitCode: 1 };
  }
  let result: RemediationResult;
  try {
    result = fullRecord(status, (lane) => state.host.getStatus(lane));
  } catch (e) {
    process.stderr.write(`Run ${instanceId} completed but its record cannot be read: ${ensureError(e).message}\n`);
    return { exitCode: 1 };
  }
  const audited = await state.deps?.auditStore?.getRun(result.summary.runId);
  let reportPath: string | null = null;
  if (audited) {
    reportPath = resolve(f.report ?? join(dir, "reports", `port25-${result.summary.runId}.html`));
    mkdirSync(dirname(reportPath), { recursive: true });
    writeFileSync(reportPath, renderRunReport(audited));
  }
  if (f.json) {
    process.stdout.write(
      `${JSON.stringify({ version: 1, instanceId, stateDir: dir, summary: result.summary, classification: result.classification, outcomes: result.outcomes, report: reportPath })}\n`,
    );
  } else {
    process.stdout.write(`\n${renderSummary(result)}\n`);
    process.stdout.write(
      reportPath ? `Report: ${displayPath(reportPath)}\n` : "No audit record was found, so there is no report.\n",
    );
  }
  return {
    exitCode: FAILING_STATUSES.includes(result.summary.status) || (result.summary.counts.leftDown ?? 0) > 0 ? 1 : 0,
  };
}
