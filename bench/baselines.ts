/**
 * What users would run instead of the product, measured on the same simulator and fleet: scripts over the real
 * Azure SDK client (@azure/arm-compute's ComputeManagementClient, with the product's endpoint, CA and credential
 * configuration), in the simulator's virtual time.
 *
 *   sequential   each running VM in turn: power off, deallocate, start, waiting for each (beginXAndWait).
 *   allAtOnce    as `az vm … --no-wait` loops do: begin power off for every VM, wait until all are done, then
 *                deallocate for all, then start for all; no caps.
 *
 * Virtual time: the SDK sleeps on real timers (its poller's interval, its retry policy's Retry-After), which would
 * ignore the simulator's clock. So the scripts poll by hand — each operation's poller is polled every 2 s of
 * virtual time, the SDK poller's default interval when ARM sends no Retry-After (the simulator sends none on
 * power operations) — and the SDK's default retry policy is replaced, in the pipeline, by the same rule run on the
 * virtual clock:
 * a 429 (or 503) is retried after its Retry-After (else 1, 2, 4 s …), at most 3 times (the SDK's default), then
 * the call fails; a variant of the all-at-once script retries without limit, as a script that waits 429s out.
 * A VM whose script fails is not taken further (a real script would stop there or carry on without it).
 *
 * Usage: node --import tsx bench/baselines.ts '<BaselineSpec JSON>'
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { ComputeManagementClient } from "@azure/arm-compute";
import { isRestError, type PipelinePolicy } from "@azure/core-rest-pipeline";
import { createVirtualClock, type VirtualClock } from "../src/durable-host/clock";
import { generateFleet, startSimulator, type Scenario, type SimulatorHandle } from "../src/simulator";
import { createArmConnection } from "../src/azure/clients";
import { parseConfig } from "../src/config";
import { ensureError } from "../src/errors";
import { availabilitySetsFullyDown } from "./analyse";
import { REALISTIC } from "./fleetCase";
import { BaselineMetricsSchema, BaselineSpecSchema, type BaselineMetrics, type BaselineSpec } from "./spec";

/** The SDK poller's default interval (core-lro) when the service sends no Retry-After. */
const POLL_MS = 2000;

type Step = "powerOff" | "deallocate" | "start";
const STEPS: readonly Step[] = ["powerOff", "deallocate", "start"];

/**
 * Runs async agents on a virtual clock: when every agent is asleep (or waiting for nothing but a timer), the clock
 * jumps to the earliest wake-up. Agents only wait on HTTP (real, to the simulator) and on `sleep` (virtual).
 */
class VirtualScheduler {
  private running = 0;
  private seq = 0;
  private readonly sleepers: { at: number; seq: number; wake: () => void }[] = [];
  constructor(readonly clock: VirtualClock) {}

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepers.push({ at: this.clock.now() + Math.max(0, ms), seq: this.seq++, wake: resolve });
      this.running--;
    });
  }

  async all<T>(items: readonly T[], agent: (item: T) => Promise<void>): Promise<void> {
    let done = 0;
    this.running += items.length;
    for (const item of items) {
      void agent(item)
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          done++;
        });
    }
    while (done < items.length) {
      // Let HTTP round trips and their continuations run until every agent sleeps or has finished.
      while (this.running > 0) await new Promise((r) => setImmediate(r));
      if (done >= items.length) break;
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const first = this.sleepers[0];
      if (first === undefined) throw new Error("the scheduler stalled: agents neither run nor sleep");
      this.clock.advanceTo(first.at);
      const due = this.sleepers.filter((s) => s.at <= first.at);
      this.sleepers.splice(0, due.length);
      this.running += due.length;
      for (const s of due) s.wake();
    }
  }
}

interface Target {
  name: string;
  resourceGroup: string;
}

/** The VMs a user's script would cycle: running ones Azure can deallocate, outside managed groups, not tagged skip. */
export function scriptTargets(scenario: Scenario): Target[] {
  const managed = new Set(
    scenario.resourceGroups.filter((g) => g.managedBy !== undefined).map((g) => g.name.toLowerCase()),
  );
  return scenario.vms
    .filter((v) => v.power === "running" && !v.ephemeralOsDisk && !managed.has(v.resourceGroup.toLowerCase()))
    .filter((v) => (v.tags["port25-remediation"] ?? "").toLowerCase() !== "skip")
    .map((v) => ({ name: v.name, resourceGroup: v.resourceGroup }));
}

class Counters {
  throttled = 0;
  constructor(readonly maxRetries: number) {}
}

/** Why a call failed, in a few words: the HTTP status and ARM's code, or the error's name. */
function failureKey(e: unknown): string {
  if (isRestError(e)) {
    const status = e.statusCode === 429 ? "429 after the retries" : String(e.statusCode ?? "no status");
    return `${status}${e.code !== undefined ? ` ${e.code}` : ""}`;
  }
  return ensureError(e).message.slice(0, 80);
}

/**
 * The SDK's default retry rule for throttling (core-rest-pipeline's throttlingRetryStrategy: 429 or 503 retried
 * after Retry-After, else with exponential backoff, at most `maxRetries` times), as a pipeline policy in the same
 * place, sleeping on the virtual clock instead of a real timer. Polls and initial requests both go through it.
 */
function virtualRetryPolicy(sched: VirtualScheduler, counters: Counters): PipelinePolicy {
  return {
    name: "virtualClockThrottlingRetry",
    async sendRequest(request, next) {
      for (let attempt = 0; ; attempt++) {
        const response = await next(request);
        if ((response.status !== 429 && response.status !== 503) || attempt >= counters.maxRetries) return response;
        counters.throttled++;
        const header = response.headers.get("retry-after");
        const seconds = header !== undefined && /^\d+$/.test(header) ? Number(header) : Math.min(64, 2 ** attempt);
        await sched.sleep(seconds * 1000);
      }
    },
  };
}

/** One power operation of one VM, begun and polled to its end (beginXAndWait, on the virtual clock). */
async function runStep(
  sched: VirtualScheduler,
  client: ComputeManagementClient,
  vm: Target,
  step: Step,
): Promise<void> {
  const vms = client.virtualMachines;
  const poller =
    step === "powerOff"
      ? vms.powerOff(vm.resourceGroup, vm.name)
      : step === "deallocate"
        ? vms.deallocate(vm.resourceGroup, vm.name)
        : vms.start(vm.resourceGroup, vm.name);
  await poller.submitted();
  while (!poller.isDone) {
    await sched.sleep(POLL_MS);
    await poller.poll();
  }
  const status = poller.operationState?.status;
  if (status !== "succeeded") throw new Error(`${step} of ${vm.name} ended ${String(status)}`);
}

export async function runBaseline(spec: BaselineSpec): Promise<BaselineMetrics> {
  const t0 = performance.now();
  const load = loadavg()[0] ?? 0;
  const base = generateFleet(spec.vms, spec.seed);
  const scenario: Scenario = { ...base, behaviour: { ...base.behaviour, ...REALISTIC } };
  const clock = createVirtualClock(scenario.behaviour.startTime ?? "2026-03-03T08:00:00Z");
  const sim: SimulatorHandle = await startSimulator({ scenario, clock, seed: spec.seed });
  try {
    // The product's connection: endpoint, the simulator's CA only, the static token config allows for loopback.
    const connection = createArmConnection(
      parseConfig({
        PORT25_ARM_ENDPOINT: sim.endpoint,
        PORT25_ARM_CA_FILE: sim.caFile,
        PORT25_ARM_STATIC_TOKEN: sim.token,
      }),
    );
    const client = new ComputeManagementClient(connection.credential, sim.subscriptionId, {
      endpoint: connection.endpoint,
      credentials: { scopes: [connection.scope] },
      ...(connection.caPem !== undefined ? { tlsOptions: { ca: [connection.caPem] } } : {}),
    });
    const all = scriptTargets(scenario);
    const targets = spec.script === "sequential" && spec.sample !== undefined ? all.slice(0, spec.sample) : all;
    const counters = new Counters(spec.maxRetries);
    const sched = new VirtualScheduler(clock);
    // Its retry policy sleeps on real timers: the same rule, on the virtual clock, takes its place.
    client.pipeline.removePolicy({ name: "defaultRetryPolicy" });
    client.pipeline.addPolicy(virtualRetryPolicy(sched, counters), { phase: "Retry" });
    const failed = new Map<string, string>();
    const started = clock.now();
    if (spec.script === "sequential") {
      await sched.all([0], async () => {
        for (const vm of targets) {
          try {
            for (const step of STEPS) await runStep(sched, client, vm, step);
          } catch (e) {
            failed.set(vm.name, failureKey(e));
          }
        }
      });
    } else {
      for (const step of STEPS) {
        await sched.all(
          targets.filter((vm) => !failed.has(vm.name)),
          async (vm) => {
            try {
              await runStep(sched, client, vm, step);
            } catch (e) {
              failed.set(vm.name, `${step}: ${failureKey(e)}`);
            }
          },
        );
      }
    }
    const ended = clock.now();
    const log = sim.requestLog();
    const snapshot = sim.snapshot();
    const names = new Set(targets.map((t) => t.name));
    const leftDown = snapshot.vms.filter((v) => names.has(v.name) && v.powerState !== "running").length;
    const simulatedSeconds = (ended - started) / 1000;
    const reasons: Record<string, number> = {};
    for (const key of failed.values()) reasons[key] = (reasons[key] ?? 0) + 1;
    return BaselineMetricsSchema.parse({
      label: spec.label,
      script: spec.script,
      maxRetries: spec.maxRetries,
      vms: spec.vms,
      seed: spec.seed,
      targets: targets.length,
      fleetTargets: all.length,
      status: "completed",
      loadAverage: Number(load.toFixed(1)),
      realSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      simulatedSeconds: Math.round(simulatedSeconds),
      /** For a sample of the sequential script: its time scaled to every target (it is linear: one VM at a time). */
      extrapolatedSeconds:
        targets.length < all.length ? Math.round((simulatedSeconds * all.length) / Math.max(1, targets.length)) : null,
      requests: log.length,
      throttled: log.filter((r) => r.status === 429).length,
      retriedAfter429: counters.throttled,
      vmsFailed: failed.size,
      failedBy: reasons,
      vmsLeftDown: leftDown,
      availabilitySets: availabilitySetsFullyDown(scenario, snapshot, sim.timeline()),
    });
  } finally {
    await sim.close();
  }
}

async function main(): Promise<void> {
  const spec = BaselineSpecSchema.parse(JSON.parse(process.argv[2] ?? "null"));
  const metrics = await runBaseline(spec);
  writeFileSync(spec.out, `${JSON.stringify(metrics, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(ensureError(e).stack ?? ensureError(e).message);
    process.exitCode = 1;
  });
}
