/**
 * The product running locally in one process: the Azure simulator and the durable host on one virtual clock, the
 * app settings pointing the real gateway at the simulator over HTTPS, optionally a real Azurite for the audit
 * tables, and the product's orchestrations and activities imported into the host. Used by `port25 simulate`,
 * the end-to-end tests, the chaos suite and the benchmarks.
 */
import "../durable-host/register";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import {
  createDurableHost,
  createVirtualClock,
  type DurableHost,
  type DurableHostOptions,
  type HostStats,
  type RunReport,
} from "../durable-host";
import { loadScenario, startSimulator, type Scenario, type ScenarioInput, type SimulatorHandle } from "../simulator";
import { startAzurite, type LocalAzurite } from "../audit/localAzurite";
import { resetConfig } from "../config";
import { parseWith } from "../contracts/parse";
import {
  ProgressSchema,
  RemediationInputSchema,
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

/** Who approves or cancels a run of the local stack (the person at the keyboard). */
const LOCAL_OPERATOR = "local operator";

/** The package root, whether running from src (tsx, vitest) or from dist (node). */
const ROOT = __dirname.split(/[\\/]/).includes("dist") ? resolve(__dirname, "../../..") : resolve(__dirname, "../..");
const CODE_ROOT = __dirname.split(/[\\/]/).includes("dist") ? resolve(ROOT, "dist") : ROOT;
const SOURCE_EXT = extname(__filename);

const ENV_KEYS = [
  "PORT25_ARM_ENDPOINT",
  "PORT25_ARM_CA_FILE",
  "PORT25_ARM_STATIC_TOKEN",
  "PORT25_AUDIT_TABLE_CONNECTION",
  "PORT25_AUDIT_TABLE_ENDPOINT",
] as const;

export function packageRoot(): string {
  return ROOT;
}

/** Every module of the function app under the given folders (default: orchestrations and activities). */
export function appModules(dirs: readonly string[] = ["orchestrations", "activities"]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(join(CODE_ROOT, dir))
      .filter((f) => extname(f) === SOURCE_EXT && !f.endsWith(".d.ts"))
      .sort()
      .map((f) => join(CODE_ROOT, dir, f)),
  );
}

export interface LocalStackOptions {
  scenario: ScenarioInput | Scenario | string;
  seed?: number;
  host?: Omit<DurableHostOptions, "clock">;
  /** Start a real Azurite and point the audit store at it. */
  audit?: boolean;
  /** Extra app settings for the run. */
  env?: Record<string, string>;
  /** Also import the HTTP and timer triggers (src/functions). */
  triggers?: boolean;
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

export interface LocalStack {
  sim: SimulatorHandle;
  /** The current durable host (a new object after restartHost). */
  readonly host: DurableHost;
  scenario: Scenario;
  azurite: LocalAzurite | undefined;
  /** Virtual epoch ms when the stack started. */
  startedAt: number;
  instanceId: string;
  /** Starts remediateSubscription for the scenario's subscription. */
  start(opts?: StartOptions): RemediationInput;
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
  /** The finished run's output; throws when the instance did not complete. */
  result(): RemediationResult;
  close(): Promise<void>;
}

/** Attestation used for simulated runs: the scenario's exemption time, or a day before the simulation. */
export function simulatedAttestation(scenario: Scenario, now: number): { reference: string; approvedBy: string; approvedAt: string } {
  return {
    reference: "SIMULATED-EXEMPTION",
    approvedBy: "port25 simulate",
    approvedAt: scenario.exemption.effectiveAt ?? new Date(now - 24 * 3600 * 1000).toISOString(),
  };
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const scenario = loadScenario(opts.scenario);
  const clock = createVirtualClock(scenario.behaviour.startTime ?? "2026-03-03T08:00:00Z");
  const startedAt = clock.now();
  const azurite = opts.audit ? await startAzurite() : undefined;
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({ scenario, clock, seed: opts.seed ?? 7 });
  } catch (e) {
    await azurite?.stop();
    throw e;
  }
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.PORT25_ARM_ENDPOINT = sim.endpoint;
  process.env.PORT25_ARM_CA_FILE = sim.caFile;
  process.env.PORT25_ARM_STATIC_TOKEN = sim.token;
  if (azurite) process.env.PORT25_AUDIT_TABLE_CONNECTION = azurite.connectionString;
  for (const [k, v] of Object.entries(opts.env ?? {})) process.env[k] = v;
  resetConfig();

  const modules = appModules(opts.triggers ? ["orchestrations", "activities", "src/functions"] : undefined);
  let host = createDurableHost({ ...opts.host, clock });
  const restore = async (): Promise<void> => {
    await host.close();
    await sim.close();
    await azurite?.stop();
    for (const k of ENV_KEYS) {
      const v = saved[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetConfig();
  };
  try {
    await host.importApp(modules);
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
    // The running wave counts its finished lanes in its own status until it ends.
    return withWaveCounts(p.data, (p.data.activeBatches ?? []).map((id) => host.getStatus(id)?.customStatus));
  };

  return {
    sim,
    get host(): DurableHost {
      return host;
    },
    scenario,
    azurite,
    startedAt,
    instanceId,
    start(o: StartOptions = {}): RemediationInput {
      const input = parseWith(
        RemediationInputSchema,
        {
          subscriptionId: sim.subscriptionId,
          attestation: o.attestation ?? simulatedAttestation(scenario, clock.now()),
          mode: o.mode ?? "execute",
          requireApproval: o.requireApproval ?? false,
          options: o.options ?? {},
          requestedBy: o.requestedBy ?? "port25 simulate",
          requestedAt: new Date(clock.now()).toISOString(),
          probeHost: o.probeHost ?? "smtp.contoso.example",
          runId: o.runId ?? simulatedRunId(clock.now()),
        },
        "start input",
      );
      host.startOrchestration(REMEDIATE_SUBSCRIPTION, input, { instanceId });
      return input;
    },
    run: (until?: number) => host.runUntilIdle(until === undefined ? {} : { advanceTimersUpTo: until }),
    progress,
    async restartHost(): Promise<void> {
      const store = host.store;
      await host.close();
      host = createDurableHost({ ...opts.host, clock, store });
      await host.importApp(modules);
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
    result(): RemediationResult {
      const s = host.getStatus(instanceId);
      if (s?.runtimeStatus !== "Completed") {
        throw new Error(
          `run did not complete: ${s?.runtimeStatus ?? "absent"} ${JSON.stringify(s?.failureDetails ?? s?.customStatus ?? null).slice(0, 2000)}`,
        );
      }
      return parseWith(RemediationResultSchema, s.output, "run output");
    },
    close: restore,
  };
}

/**
 * A run id unique to this run: the simulated start time (which repeats: every simulation starts at the scenario's
 * clock) and random hex, so a second run never reuses the first one's audit record or report file.
 */
export function simulatedRunId(startMs: number): string {
  return `sim-${new Date(startMs).toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
}
