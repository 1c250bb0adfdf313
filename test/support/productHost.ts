/**
 * The product end to end in one process: the Azure simulator and the local durable host share one virtual clock,
 * the app settings point the real gateway (real SDK clients, HTTPS) at the simulator, and the product's
 * orchestrations and activities are imported into the host. Nothing is faked between them.
 */
import "../../src/durable-host/register";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createDurableHost, createVirtualClock, type DurableHost, type DurableHostOptions, type HostStats, type RunReport } from "../../src/durable-host";
import { loadScenario, startSimulator, type Scenario, type ScenarioInput, type SimulatorHandle } from "../../src/simulator";
import { resetConfig } from "../../src/config";
import { RemediationInputSchema, RemediationResultSchema, ProgressSchema, remediationInstanceId, type Progress, type RemediationInput, type RemediationResult } from "../../src/contracts/remediation";
import type { RemediationOptionsInput } from "../../src/contracts/options";
import { CANCEL_EVENT, APPROVE_EVENT, REMEDIATE_SUBSCRIPTION } from "../../src/contracts/names";
import { parseWith } from "../../src/contracts/parse";

const ROOT = resolve(__dirname, "../..");
const ENV_KEYS = ["PORT25_ARM_ENDPOINT", "PORT25_ARM_CA_FILE", "PORT25_ARM_STATIC_TOKEN", "PORT25_AUDIT_TABLE_CONNECTION", "PORT25_AUDIT_TABLE_ENDPOINT"] as const;

/** Every module of the function app that registers durable functions (orchestrations and activities). */
export function appModules(): string[] {
  return ["orchestrations", "activities"].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(ROOT, dir, f)),
  );
}

export interface ProductHostOptions {
  scenario: ScenarioInput | Scenario | string;
  seed?: number;
  host?: Omit<DurableHostOptions, "clock">;
  /** Extra app settings for the run (e.g. an audit table connection). */
  env?: Record<string, string>;
}

export interface StartOptions {
  mode?: "plan" | "execute";
  requireApproval?: boolean;
  options?: RemediationOptionsInput;
  probeHost?: string;
  runId?: string;
}

export interface ProductHost {
  sim: SimulatorHandle;
  host: DurableHost;
  scenario: Scenario;
  instanceId: string;
  /** Starts remediateSubscription for the scenario's subscription. */
  start(opts?: StartOptions): RemediationInput;
  /** Runs until idle (or until `until`, virtual epoch ms). */
  run(until?: number): Promise<RunReport>;
  progress(): Progress | undefined;
  /** Stops the durable host and starts a new one on the same stored histories, as after a crash or redeploy. */
  restartHost(): Promise<void>;
  /** Raises "cancel" the way the cancel endpoint does: the run first, then every batch its status lists. */
  cancel(): void;
  approve(): void;
  /** The finished run's output, parsed; throws when the instance did not complete. */
  result(): RemediationResult;
  stats(): HostStats;
  /** Largest history of any instance, with its name. */
  maxHistory(): { instanceId: string; name: string; length: number };
  close(): Promise<void>;
}

export async function startProductHost(opts: ProductHostOptions): Promise<ProductHost> {
  const scenario = loadScenario(opts.scenario);
  const clock = createVirtualClock(scenario.behaviour.startTime ?? "2026-03-03T08:00:00Z");
  const sim = await startSimulator({ scenario, clock, seed: opts.seed ?? 7 });
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.PORT25_ARM_ENDPOINT = sim.endpoint;
  process.env.PORT25_ARM_CA_FILE = sim.caFile;
  process.env.PORT25_ARM_STATIC_TOKEN = sim.token;
  for (const [k, v] of Object.entries(opts.env ?? {})) process.env[k] = v;
  resetConfig();

  let host = createDurableHost({ ...opts.host, clock });
  await host.importApp(appModules());
  const instanceId = remediationInstanceId(sim.subscriptionId);

  const statusOf = () => host.getStatus(instanceId);
  const progress = (): Progress | undefined => {
    const s = statusOf();
    if (s === undefined || s.customStatus === undefined || s.customStatus === null) return undefined;
    return parseWith(ProgressSchema, s.customStatus, "custom status");
  };

  return {
    sim,
    get host(): DurableHost {
      return host;
    },
    scenario,
    instanceId,
    start(o: StartOptions = {}): RemediationInput {
      const input = parseWith(
        RemediationInputSchema,
        {
          subscriptionId: sim.subscriptionId,
          attestation: { reference: "REQ-25-0001", approvedBy: "ops@contoso.example", approvedAt: "2026-03-02T09:00:00Z" },
          mode: o.mode ?? "execute",
          requireApproval: o.requireApproval ?? false,
          options: o.options ?? {},
          requestedBy: "e2e",
          requestedAt: new Date(clock.now()).toISOString(),
          probeHost: o.probeHost ?? "smtp.contoso.example",
          runId: o.runId ?? `run-${clock.now()}`,
        },
        "start input",
      );
      host.startOrchestration(REMEDIATE_SUBSCRIPTION, input, { instanceId });
      return input;
    },
    async restartHost(): Promise<void> {
      const store = host.store;
      await host.close();
      host = createDurableHost({ ...opts.host, clock, store });
      await host.importApp(appModules());
    },
    run: (until?: number) => host.runUntilIdle(until === undefined ? {} : { advanceTimersUpTo: until }),
    progress,
    cancel(): void {
      host.raiseEvent(instanceId, CANCEL_EVENT);
      for (const id of progress()?.activeBatches ?? []) {
        const s = host.getStatus(id);
        if (s !== undefined && (s.runtimeStatus === "Running" || s.runtimeStatus === "Pending")) host.raiseEvent(id, CANCEL_EVENT);
      }
    },
    approve: () => host.raiseEvent(instanceId, APPROVE_EVENT),
    result(): RemediationResult {
      const s = statusOf();
      if (s?.runtimeStatus !== "Completed") {
        throw new Error(`run did not complete: ${s?.runtimeStatus ?? "absent"} ${JSON.stringify(s?.failureDetails ?? s?.customStatus ?? null).slice(0, 2000)}`);
      }
      return parseWith(RemediationResultSchema, s.output, "run output");
    },
    stats: () => host.stats(),
    maxHistory() {
      let best = { instanceId: "", name: "", length: 0 };
      for (const i of host.stats().instances) if (i.historyLength > best.length) best = { instanceId: i.instanceId, name: i.name, length: i.historyLength };
      return best;
    },
    async close(): Promise<void> {
      await host.close();
      await sim.close();
      for (const k of ENV_KEYS) {
        const v = saved[k];
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetConfig();
    },
  };
}

/** Starts the product on a scenario, runs one remediation to the end and returns it (the caller closes). */
export async function runRemediation(
  opts: ProductHostOptions & StartOptions,
): Promise<{ product: ProductHost; result: RemediationResult; input: RemediationInput }> {
  const product = await startProductHost(opts);
  try {
    const input = product.start(opts);
    await product.run();
    return { product, result: product.result(), input };
  } catch (e) {
    await product.close();
    throw e;
  }
}
