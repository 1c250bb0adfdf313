/**
 * The product running locally in one process: the Azure simulator and the durable host on one virtual clock, and the
 * app's composition root built for them (src/root.ts): a real gateway pointed at that simulator over HTTPS, optionally
 * an audit store on a real Azurite of its own, and the virtual clock for the triggers. The orchestrations are imported
 * into the host; the activities and the HTTP and timer triggers are registered bound to the stack's root. Nothing is
 * written to process.env, so several stacks with different settings run in one process at once. Used by
 * `port25 simulate` and `serve`, the end-to-end and API tests, the chaos suite and the benchmarks.
 */
import "../durable-host/register";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import {
  createDurableHost,
  createVirtualClock,
  type DurableHost,
  type DurableHostOptions,
  type HostStats,
  type RunReport,
  SpillArchive,
} from "../durable-host";
import {
  latestExemption,
  loadEstate,
  startSimulator,
  type Estate,
  type EstateInput,
  type Scenario,
  type ScenarioInput,
  type SimulatorHandle,
} from "../simulator";
import { startAzurite, type LocalAzurite } from "../audit/localAzurite";
import { openSendIntents } from "./sendIntents";
import { parseConfig } from "../config";
import { appRootFrom, type AppRoot } from "../root";
import { parseWith } from "../contracts/parse";
import {
  RemediationInputSchema,
  remediationInstanceId,
  type Progress,
  type RemediationInput,
  type RemediationResult,
} from "../contracts/remediation";
import type { RemediationOptionsInput } from "../contracts/options";
import { REMEDIATE_CAMPAIGN, REMEDIATE_SUBSCRIPTION } from "../contracts/names";
import {
  campaignIdFor,
  campaignInstanceId,
  CampaignInputSchema,
  CampaignOutputSchema,
  type CampaignInput,
  type CampaignOutput,
  type CampaignTarget,
} from "../contracts/campaign";
import type { ResourceOutcome } from "../contracts/outcome";
import { adoptApp, appModules, appVersioning } from "./localApp";
import { estateTarget, fullRecord, partialOutcomes, simulatedAttestation, simulatedRunId } from "./localRecords";
import { stackSettings } from "./localApp";
import { progressOf, raiseApprove, raiseCancel } from "./localRun";
import { clip, TEXT_LIMITS } from "../contracts/textLimits";

/** Who approves or cancels a run of the local stack (the person at the keyboard). */
const LOCAL_OPERATOR = "local operator";

export interface LocalStackOptions {
  /** A single subscription's scenario, or an estate (several subscriptions under management groups). */
  scenario: ScenarioInput | Scenario | EstateInput | Estate | string;
  seed?: number;
  host?: Omit<DurableHostOptions, "clock">;
  /** Start a real Azurite and point the audit store at it. */
  audit?: boolean;
  /** With `audit`: Azurite keeps its data in this folder (else in memory). */
  auditLocation?: string;
  /** Keep the simulator's world in a folder and resume the one it holds (src/simulator/persist.ts). */
  simulatorPersist?: { dir: string; source: string };
  /**
   * App settings of the stack's app (its composition root is built from them, for activities and triggers alike);
   * the ARM and audit settings are always the stack's own simulator's and Azurite's.
   */
  env?: Readonly<Record<string, string | undefined>>;
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
  /**
   * The stack's composition root: what its activities and triggers reach the outside world through (its own gateway,
   * audit store and virtual clock).
   */
  readonly root: AppRoot;
  /**
   * Hands the app a root pointed at another simulator (the world moved on), as a redeploy with new app settings
   * would; the stack still closes only its own simulator.
   */
  pointAt(sim: SimulatorHandle): void;
  /** Takes the stack's orchestrations, activities and triggers into another host (a restart with options of the caller's). */
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
   * Raises "cancel" as the cancel endpoint does: the run first, then its active wave and the lanes that lists; recorded as
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

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const estate = loadEstate(opts.scenario);
  const first = estate.subscriptions[0];
  if (first === undefined) throw new Error("the scenario serves no subscription");
  const scenario = first.scenario;
  const clock = createVirtualClock(estate.clock.startTime ?? scenario.behaviour.startTime ?? "2026-03-03T08:00:00Z");
  const startedAt = clock.now();
  const azurite = opts.audit
    ? await startAzurite(opts.auditLocation === undefined ? {} : { location: opts.auditLocation })
    : undefined;
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({
      scenario: estate,
      clock,
      seed: opts.seed ?? 7,
      requestLog: opts.requestLog ?? true,
      ...(opts.simulatorPersist === undefined ? {} : { persist: opts.simulatorPersist }),
    });
  } catch (e) {
    await azurite?.stop();
    throw e;
  }
  // A resumed world has seen times this clock has not: time never goes back for it.
  if (sim.resumed !== undefined) clock.advanceTo(sim.resumed.lastAt);
  // A stack that keeps its state in a folder records first writes there before sending them (sendIntents.ts), beside
  // the durable state (`DIR/durable`).
  const stateDir = opts.host?.stateDir;
  const sendIntents = stateDir === undefined ? undefined : openSendIntents(join(dirname(stateDir), "sends.jsonl"));
  const rootFor = (target: SimulatorHandle): AppRoot => ({
    ...appRootFrom(parseConfig(stackSettings(opts.env, target, azurite)), {
      // The triggers stamp requests, approvals and refusals with the stack's virtual clock, as the orchestrations
      // stamp the runs: one time line, marked simulated.
      clock: { now: () => new Date(clock.now()), kind: "simulated" },
      // The state folder's record; without one, a stack with Azurite keeps it in a table, as the deployed app does.
      ...(sendIntents === undefined ? {} : { sendIntents }),
    }),
  });
  let root: AppRoot;
  try {
    root = rootFor(sim);
  } catch (e) {
    await sim.close();
    await azurite?.stop();
    throw e;
  }
  const modules = appModules();
  // Finished instances leave memory for a scratch file of the stack's own (unless its state lives in a directory), so
  // that a run of 20,000 VMs holds in memory what is in flight, not every lane and resource it has finished.
  const spill = opts.host?.stateDir === undefined && opts.host?.store === undefined ? new SpillArchive() : undefined;
  const hostOptions = (): DurableHostOptions => ({
    versioning: appVersioning(),
    ...(spill === undefined ? {} : { finishedArchive: spill }),
    ...opts.host,
    clock,
  });
  let host: DurableHost;
  try {
    host = createDurableHost(hostOptions());
  } catch (e) {
    // A state folder the host refuses (in use, corrupt): nothing the stack started is left running.
    spill?.dispose();
    await sim.close();
    await azurite?.stop();
    throw e;
  }
  const restore = async (): Promise<void> => {
    await host.close();
    spill?.dispose();
    await sim.close();
    await azurite?.stop();
  };
  const adopt = (target: DurableHost): void => adoptApp(target, root);
  try {
    await host.importApp(modules);
    adopt(host);
  } catch (e) {
    await restore();
    throw e;
  }
  const instanceId = remediationInstanceId(sim.subscriptionId);
  const progress = (): Progress | undefined => progressOf(host, instanceId);

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
    get root(): AppRoot {
      return root;
    },
    pointAt(target: SimulatorHandle): void {
      root = rootFor(target);
      adopt(host);
    },
    adopt,
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
      const campaignId =
        o.campaignId ??
        campaignIdFor(
          target,
          `sim-${new Date(now)
            .toISOString()
            .replace(/[-:]/g, "")
            .replace(/\.\d+Z$/, "Z")}-${randomBytes(2).toString("hex")}`,
        );
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
        throw new Error(
          `campaign did not complete: ${s?.runtimeStatus ?? "absent"} ${clip(JSON.stringify(s?.failureDetails ?? s?.customStatus ?? null), TEXT_LIMITS.message)}`,
        );
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
      adopt(host);
    },
    stats: () => host.stats(),
    maxHistory() {
      let best = { instanceId: "", name: "", length: 0 };
      for (const i of host.stats().instances) {
        if (i.historyLength > best.length) best = { instanceId: i.instanceId, name: i.name, length: i.historyLength };
      }
      return best;
    },
    // As the cancel and approve endpoints raise them: the run, then its active wave and every lane the wave lists.
    cancel: (by = LOCAL_OPERATOR) => raiseCancel(host, instanceId, by),
    approve: (by = LOCAL_OPERATOR) => raiseApprove(host, instanceId, by),
    partialOutcomes: () => partialOutcomes(host),
    result(): RemediationResult {
      const s = host.getStatus(instanceId);
      if (s?.runtimeStatus !== "Completed") {
        throw new Error(
          `run did not complete: ${s?.runtimeStatus ?? "absent"} ${clip(JSON.stringify(s?.failureDetails ?? s?.customStatus ?? null), TEXT_LIMITS.message)}`,
        );
      }
      return fullRecord(s, (id) => host.getStatus(id));
    },
    close: restore,
  };
}
