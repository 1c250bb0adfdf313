/**
 * The product running locally in one process: the Azure simulator and the durable host on one virtual clock, the
 * activities handed a real gateway pointed at that simulator over HTTPS and, optionally, an audit store on a real
 * Azurite of their own, and the product's orchestrations imported into the host. Several stacks can run in one
 * process at once. Used by `port25 simulate`, the end-to-end tests, the chaos suite and the benchmarks.
 */
import "../durable-host/register";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import {
  createDurableHost,
  createVirtualClock,
  EventType,
  type DurableHost,
  type DurableHostOptions,
  type HostStats,
  type InstanceStatus,
  type RunReport,
  SpillArchive,
  versioningFromHostJson,
  type VersioningSettings,
} from "../durable-host";
import { latestExemption, loadEstate, rootGroup, startSimulator, type Estate, type EstateInput, type Scenario, type ScenarioInput, type SimulatorHandle } from "../simulator";
import { startAzurite, type LocalAzurite } from "../audit/localAzurite";
import { parseConfig, resetConfig } from "../config";
import { registerActivities } from "../../activities/binding";
import { createActivities } from "../../activities";
import { activityDepsFrom, type ActivityDeps } from "../../activities/deps";
import { parseWith } from "../contracts/parse";
import {
  ProgressSchema,
  RemediationInputSchema,
  RemediationOutputSchema,
  RemediationResultSchema,
  remediationInstanceId,
  type Progress,
  type RemediationInput,
  type RemediationResult,
} from "../contracts/remediation";
import type { RemediationOptionsInput } from "../contracts/options";
import { APPROVE_EVENT, CANCEL_EVENT, REMEDIATE_SUBSCRIPTION } from "../contracts/names";
import { activeLanesOf, withWaveCounts } from "../contracts/functions/runWave";
import { ApproveEventSchema, CancelEventSchema, type ApproveEvent, type CancelEvent } from "../contracts/events";
import { recordRunCompletedActivity } from "../contracts/functions/recordRunCompleted";
import {
  campaignIdFor,
  campaignInstanceId,
  CampaignInputSchema,
  CampaignOutputSchema,
  type CampaignInput,
  type CampaignOutput,
  type CampaignTarget,
} from "../contracts/campaign";
import { REMEDIATE_CAMPAIGN } from "../contracts/names";
import { useTriggerClock } from "../functions/clock";
import { CycleBatchOutput, cycleBatchOrchestration } from "../contracts/functions/cycleBatch";
import { CycleResourceInput, cycleResourceOrchestration } from "../contracts/functions/cycleResource";
import { ResourceOutcomeSchema, type ResourceOutcome } from "../contracts/outcome";
import { resourceKey } from "../contracts/ids";

/** Who approves or cancels a run of the local stack (the person at the keyboard). */
const LOCAL_OPERATOR = "local operator";

/** The package root, whether running from src (tsx, vitest) or from dist (node). */
const ROOT = __dirname.split(/[\\/]/).includes("dist") ? resolve(__dirname, "../../..") : resolve(__dirname, "../..");
const CODE_ROOT = __dirname.split(/[\\/]/).includes("dist") ? resolve(ROOT, "dist") : ROOT;
const SOURCE_EXT = extname(__filename);

/** App settings a stack always sets for itself (the rest come from LocalStackOptions.env or their defaults). */
const OWN_KEYS = [
  "PORT25_ARM_ENDPOINT",
  "PORT25_ARM_CA_FILE",
  "PORT25_ARM_STATIC_TOKEN",
  "PORT25_AUDIT_TABLE_CONNECTION",
  "PORT25_AUDIT_TABLE_ENDPOINT",
] as const;

/**
 * The settings App Service itself would add. The local stack's HTTP front end plays App Service authentication (it
 * hands the triggers the client-principal headers of loopback callers), so with PORT25_AUTH_ENABLED on it says so as
 * the platform does, WEBSITE_AUTH_ENABLED=True, unless the caller set that signal itself.
 */
function platformSettings(env: Record<string, string> | undefined): Record<string, string> {
  const given = env ?? {};
  // The stack's own settings first, then the process's (port25 serve takes the operator's environment).
  const auth = given.PORT25_AUTH_ENABLED ?? process.env.PORT25_AUTH_ENABLED;
  const on = auth === "true" || auth === "1";
  const signalled = (given.WEBSITE_AUTH_ENABLED ?? process.env.WEBSITE_AUTH_ENABLED) !== undefined;
  return on && !signalled ? { ...given, WEBSITE_AUTH_ENABLED: "True" } : { ...given };
}

/**
 * host.json's orchestration versioning settings (defaultVersion, versionMatchStrategy, versionFailureStrategy): the
 * local host applies them as the Durable extension does on Azure (docs/architecture.md).
 */
export function appVersioning(): VersioningSettings {
  return versioningFromHostJson(JSON.parse(readFileSync(join(packageRoot(), "host.json"), "utf8")));
}

export function packageRoot(): string {
  return ROOT;
}

/**
 * Every module of the function app under the given folders (default: the orchestrations). The activities are not
 * imported from their folder: a stack registers them with its own dependencies (adoptActivities below).
 */
export function appModules(dirs: readonly string[] = ["orchestrations"]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(join(CODE_ROOT, dir))
      .filter((f) => extname(f) === SOURCE_EXT && !f.endsWith(".d.ts"))
      .sort()
      .map((f) => join(CODE_ROOT, dir, f)),
  );
}

export interface LocalStackOptions {
  /** A single subscription's scenario, or an estate (several subscriptions under management groups). */
  scenario: ScenarioInput | Scenario | EstateInput | Estate | string;
  seed?: number;
  host?: Omit<DurableHostOptions, "clock">;
  /** Start a real Azurite and point the audit store at it. */
  audit?: boolean;
  /** Extra app settings for the run (the activities' dependencies are built from them). */
  env?: Record<string, string>;
  /**
   * Also import the HTTP and timer triggers (src/functions). The triggers read the process's app settings, as in
   * the Functions worker, so the stack then writes its settings to process.env until it closes: one such stack
   * per process at a time.
   */
  triggers?: boolean;
  /**
   * Keep the simulator's log of every request (default). Off, the simulator only counts them (`sim.requestTally()`),
   * as `simulate` and `serve` need: the log of a 20,000-VM run is about 100,000 entries.
   */
  requestLog?: boolean;
}

export interface StartOptions {
  mode?: "plan" | "execute";
  requireApproval?: boolean;
  options?: RemediationOptionsInput;
  probeHost?: string;
  runId?: string;
  requestedBy?: string;
  attestation?: { reference: string; approvedBy: string; approvedAt: string };
}

export interface CampaignStartOptions extends Omit<StartOptions, "runId"> {
  /** Default: the estate's root management group, or its subscriptions when it has no groups. */
  target?: CampaignTarget;
  maxConcurrentSubscriptions?: number;
  campaignId?: string;
}

export interface LocalStack {
  sim: SimulatorHandle;
  /** The current durable host (a new object after restartHost). */
  readonly host: DurableHost;
  /** The first subscription's scenario (the only one, unless the stack serves an estate). */
  scenario: Scenario;
  /** Every subscription the simulator serves, and their management groups. */
  estate: Estate;
  azurite: LocalAzurite | undefined;
  /** Virtual epoch ms when the stack started. */
  startedAt: number;
  instanceId: string;
  /** What the stack's activities reach the outside world through: its own gateway and audit store. */
  readonly deps: ActivityDeps;
  /**
   * Hands the activities a gateway pointed at another simulator (the world moved on), as a redeploy with new app
   * settings would; the stack still closes only its own simulator.
   */
  pointAt(sim: SimulatorHandle): void;
  /** Takes the stack's orchestrations and activities into another host (a restart with options of the caller's). */
  adopt(host: DurableHost): void;
  /** Starts remediateSubscription for the scenario's subscription. */
  start(opts?: StartOptions): RemediationInput;
  /** Starts remediateCampaign over the estate (or `opts.target`); its instance id is campaignInstanceId(campaignId). */
  startCampaign(opts?: CampaignStartOptions): CampaignInput;
  /** A finished campaign's output; throws when the instance did not complete. */
  campaignResult(campaignId: string): CampaignOutput;
  /** Runs until idle (or until `until`, virtual epoch ms). */
  run(until?: number): Promise<RunReport>;
  progress(): Progress | undefined;
  /** Stops the durable host and starts a new one on the same stored histories, as after a crash or redeploy. */
  restartHost(): Promise<void>;
  stats(): HostStats;
  /** Largest history of any instance, with its name. */
  maxHistory(): { instanceId: string; name: string; length: number };
  /**
   * Raises "cancel" as the cancel endpoint does: the run first, then every batch its status lists; recorded as
   * cancelled by `by` (default "local operator") at the virtual clock's time.
   */
  cancel(by?: string): void;
  /** Approves the run waiting for approval, recorded as approved by `by` at the virtual clock's time. */
  approve(by?: string): void;
  /**
   * What the run has finished so far, for a run stopped before its end: the outcomes of its finished lanes and of
   * every resource whose cycle has ended, and the names of the resources whose cycle was still under way.
   */
  partialOutcomes(): { finished: ResourceOutcome[]; inFlight: string[] };
  /**
   * The finished run's full record (plan, every outcome, input) with the summary it returned: the run writes the
   * record once, as recordRunCompleted's input, and returns only its summary. Throws when the instance did not complete.
   */
  result(): RemediationResult;
  close(): Promise<void>;
}

/**
 * Attestation used for simulated runs and campaigns: dated at the exemption (for an estate the latest, so that every
 * one is in effect), or a day before the simulation when nothing is exempted.
 */
export function simulatedAttestation(exemptedAt: string | undefined, now: number): { reference: string; approvedBy: string; approvedAt: string } {
  return { reference: "SIMULATED-EXEMPTION", approvedBy: "port25 simulate", approvedAt: exemptedAt ?? new Date(now - 24 * 3600 * 1000).toISOString() };
}

/** What a simulated campaign covers by default: the estate's root group, else every subscription it serves. */
function estateTarget(estate: Estate, sim: SimulatorHandle): CampaignTarget {
  const root = rootGroup(estate.managementGroups);
  return root !== undefined ? { kind: "managementGroup", managementGroupId: root.id } : { kind: "subscriptions", subscriptionIds: sim.subscriptionIds };
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const estate = loadEstate(opts.scenario);
  const first = estate.subscriptions[0];
  if (first === undefined) throw new Error("the scenario serves no subscription");
  const scenario = first.scenario;
  const clock = createVirtualClock(estate.clock.startTime ?? scenario.behaviour.startTime ?? "2026-03-03T08:00:00Z");
  const startedAt = clock.now();
  const azurite = opts.audit ? await startAzurite() : undefined;
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({ scenario: estate, clock, seed: opts.seed ?? 7, requestLog: opts.requestLog ?? true });
  } catch (e) {
    await azurite?.stop();
    throw e;
  }
  const ownSettings = (target: SimulatorHandle): Record<string, string> => ({
    ...platformSettings(opts.env),
    PORT25_ARM_ENDPOINT: target.endpoint,
    PORT25_ARM_CA_FILE: target.caFile,
    PORT25_ARM_STATIC_TOKEN: target.token,
    ...(azurite ? { PORT25_AUDIT_TABLE_CONNECTION: azurite.connectionString } : {}),
  });
  let settings = ownSettings(sim);
  let deps: ActivityDeps;
  try {
    deps = activityDepsFrom(parseConfig(settings));
  } catch (e) {
    await sim.close();
    await azurite?.stop();
    throw e;
  }
  const published = opts.triggers ? publishSettings(() => settings) : undefined;
  // The triggers stamp requests, approvals and refusals with the stack's virtual clock, as the orchestrations stamp
  // the runs: one time line, marked simulated.
  const restoreClock = opts.triggers ? useTriggerClock({ now: () => new Date(clock.now()), kind: "simulated" }) : undefined;

  const modules = appModules(opts.triggers ? ["orchestrations", "src/functions"] : undefined);
  // Finished instances leave memory for a scratch file of the stack's own (unless its state lives in a directory), so
  // that a run of 20,000 VMs holds in memory what is in flight, not every lane and resource it has finished.
  const spill = opts.host?.stateDir === undefined && opts.host?.store === undefined ? new SpillArchive() : undefined;
  const hostOptions = (): DurableHostOptions => ({ versioning: appVersioning(), ...(spill === undefined ? {} : { finishedArchive: spill }), ...opts.host, clock });
  let host = createDurableHost(hostOptions());
  const restore = async (): Promise<void> => {
    await host.close();
    spill?.dispose();
    await sim.close();
    await azurite?.stop();
    published?.restore();
    restoreClock?.();
  };
  const adoptActivities = (target: DurableHost): void => adoptWithActivities(target, deps);
  try {
    await host.importApp(modules);
    adoptActivities(host);
  } catch (e) {
    await restore();
    throw e;
  }
  const instanceId = remediationInstanceId(sim.subscriptionId);
  const progress = (): Progress | undefined => {
    const s = host.getStatus(instanceId);
    if (s?.customStatus === undefined || s.customStatus === null) return undefined;
    const p = ProgressSchema.safeParse(s.customStatus);
    if (!p.success) return undefined;
    // The running wave counts its finished lanes in its own status until it ends, and each lane in flight its
    // finished resources, so progress moves as each resource finishes.
    const waves = (p.data.activeBatches ?? []).map((id) => host.getStatus(id)?.customStatus);
    const lanes = waves.flatMap((w) => activeLanesOf(w)).map((id) => host.getStatus(id)?.customStatus);
    return withWaveCounts(p.data, waves, lanes);
  };

  return {
    sim,
    get host(): DurableHost {
      return host;
    },
    scenario,
    estate,
    azurite,
    startedAt,
    instanceId,
    get deps(): ActivityDeps {
      return deps;
    },
    pointAt(target: SimulatorHandle): void {
      settings = ownSettings(target);
      deps = activityDepsFrom(parseConfig(settings));
      published?.publish();
      adoptActivities(host);
    },
    adopt: adoptActivities,
    start(o: StartOptions = {}): RemediationInput {
      const input = parseWith(
        RemediationInputSchema,
        {
          subscriptionId: sim.subscriptionId,
          attestation: o.attestation ?? simulatedAttestation(scenario.exemption.effectiveAt, clock.now()),
          mode: o.mode ?? "execute",
          requireApproval: o.requireApproval ?? false,
          options: o.options ?? {},
          requestedBy: o.requestedBy ?? "port25 simulate",
          requestedAt: new Date(clock.now()).toISOString(),
          probeHost: o.probeHost ?? "smtp.contoso.example",
          runId: o.runId ?? simulatedRunId(clock.now()),
          clock: "simulated",
        },
        "start input",
      );
      host.startOrchestration(REMEDIATE_SUBSCRIPTION, input, { instanceId });
      return input;
    },
    startCampaign(o: CampaignStartOptions = {}): CampaignInput {
      const now = clock.now();
      const target = o.target ?? estateTarget(estate, sim);
      // As the HTTP starter does: the campaign's instance is named by its target (campaignIdFor).
      const campaignId = o.campaignId ?? campaignIdFor(target, `sim-${new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(2).toString("hex")}`);
      const input = parseWith(
        CampaignInputSchema,
        {
          campaignId,
          target,
          maxConcurrentSubscriptions: o.maxConcurrentSubscriptions ?? 5,
          run: {
            attestation: o.attestation ?? simulatedAttestation(latestExemption(estate), now),
            mode: o.mode ?? "execute",
            requireApproval: o.requireApproval ?? false,
            options: RemediationInputSchema.shape.options.parse(o.options ?? {}),
            requestedBy: o.requestedBy ?? "port25 simulate",
            requestedAt: new Date(now).toISOString(),
            probeHost: o.probeHost ?? "smtp.contoso.example",
            clock: "simulated",
          },
        },
        "campaign input",
      );
      host.startOrchestration(REMEDIATE_CAMPAIGN, input, { instanceId: campaignInstanceId(campaignId) });
      return input;
    },
    campaignResult(campaignId: string): CampaignOutput {
      const id = campaignInstanceId(campaignId);
      const s = host.getStatus(id);
      if (s?.runtimeStatus !== "Completed") {
        throw new Error(`campaign did not complete: ${s?.runtimeStatus ?? "absent"} ${JSON.stringify(s?.failureDetails ?? s?.customStatus ?? null).slice(0, 2000)}`);
      }
      return parseWith(CampaignOutputSchema, s.output, "campaign output");
    },
    run: (until?: number) => host.runUntilIdle(until === undefined ? {} : { advanceTimersUpTo: until }),
    progress,
    async restartHost(): Promise<void> {
      const store = host.store;
      await host.close();
      host = createDurableHost({ ...hostOptions(), store });
      await host.importApp(modules);
      adoptActivities(host);
    },
    stats: () => host.stats(),
    maxHistory() {
      let best = { instanceId: "", name: "", length: 0 };
      for (const i of host.stats().instances) {
        if (i.historyLength > best.length) best = { instanceId: i.instanceId, name: i.name, length: i.historyLength };
      }
      return best;
    },
    cancel(by = LOCAL_OPERATOR): void {
      const event: CancelEvent = CancelEventSchema.parse({ cancelledBy: by, cancelledAt: new Date(host.clock.now()).toISOString() });
      host.raiseEvent(instanceId, CANCEL_EVENT, event);
      const live = (id: string): boolean => {
        const s = host.getStatus(id);
        return s !== undefined && (s.runtimeStatus === "Running" || s.runtimeStatus === "Pending");
      };
      // The run's active wave, then the lanes it lists (as the cancel endpoint does).
      for (const id of progress()?.activeBatches ?? []) {
        if (!live(id)) continue;
        host.raiseEvent(id, CANCEL_EVENT, event);
        for (const lane of activeLanesOf(host.getStatus(id)?.customStatus)) if (live(lane)) host.raiseEvent(lane, CANCEL_EVENT, event);
      }
    },
    approve: (by = LOCAL_OPERATOR) => {
      const event: ApproveEvent = ApproveEventSchema.parse({ approvedBy: by, approvedAt: new Date(host.clock.now()).toISOString() });
      host.raiseEvent(instanceId, APPROVE_EVENT, event);
    },
    partialOutcomes() {
      const byKey = new Map<string, ResourceOutcome>();
      const inFlight: string[] = [];
      const keep = (o: ResourceOutcome): void => {
        if (!byKey.has(resourceKey(o.resourceId))) byKey.set(resourceKey(o.resourceId), o);
      };
      for (const lane of host.listInstances({ name: cycleBatchOrchestration.name, runtimeStatus: ["Completed"] })) {
        const out = CycleBatchOutput.safeParse(lane.output);
        if (out.success) out.data.outcomes.forEach(keep);
      }
      for (const one of host.listInstances({ name: cycleResourceOrchestration.name })) {
        if (one.runtimeStatus === "Completed") {
          const o = ResourceOutcomeSchema.safeParse(one.output);
          if (o.success) keep(o.data);
        } else if (one.runtimeStatus === "Running" || one.runtimeStatus === "Pending") {
          const i = CycleResourceInput.safeParse(one.input);
          inFlight.push(i.success ? i.data.entry.name : one.instanceId);
        }
      }
      return { finished: [...byKey.values()], inFlight };
    },
    result(): RemediationResult {
      const s = host.getStatus(instanceId);
      if (s?.runtimeStatus !== "Completed") {
        throw new Error(
          `run did not complete: ${s?.runtimeStatus ?? "absent"} ${JSON.stringify(s?.failureDetails ?? s?.customStatus ?? null).slice(0, 2000)}`,
        );
      }
      return fullRecord(s);
    },
    close: restore,
  };
}

/**
 * Registers activities bound to `deps` and has `host` take them. Registration goes through the process-wide
 * registry the Functions programming model has (one app per worker process); each durable host keeps its own copy
 * of the handlers, taken when it adopts them. Registering and adopting in one synchronous step means no other
 * stack's registration can come between them, so every host runs the activities of its own stack.
 */
export function adoptWithActivities(host: DurableHost, deps: ActivityDeps): void {
  registerActivities(createActivities(deps));
  host.adoptRegistrations();
}

/**
 * Writes a stack's app settings to process.env for the triggers, which read the process's settings; restore()
 * puts back what was there.
 */
function publishSettings(current: () => Record<string, string>): { publish(): void; restore(): void } {
  const saved = new Map<string, string | undefined>();
  const publish = (): void => {
    const settings = current();
    for (const k of [...OWN_KEYS, ...Object.keys(settings)]) {
      if (!saved.has(k)) saved.set(k, process.env[k]);
      const v = settings[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetConfig();
  };
  publish();
  return {
    publish,
    restore(): void {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetConfig();
    },
  };
}

/**
 * A run id unique to this run: the simulated start time (which repeats: every simulation starts at the scenario's
 * clock) and random hex, so a second run never reuses the first one's audit record or report file.
 */
export function simulatedRunId(startMs: number): string {
  return `sim-${new Date(startMs).toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
}

/** A completed run's full record: recordRunCompleted's input in its history, with the summary the run returned. */
export function fullRecord(status: InstanceStatus): RemediationResult {
  const output = parseWith(RemediationOutputSchema, status.output, "run output");
  const scheduled = status.history.find((e) => e.EventType === EventType.TaskScheduled && e.Name === recordRunCompletedActivity.name);
  if (scheduled?.Input === undefined) throw new Error(`run ${status.instanceId} has no record of its result: ${recordRunCompletedActivity.name} was never scheduled`);
  const record = parseWith(RemediationResultSchema, JSON.parse(scheduled.Input) as unknown, `input of ${recordRunCompletedActivity.name}`);
  return { ...record, summary: output.summary };
}
