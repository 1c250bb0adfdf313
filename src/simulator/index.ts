/** The Azure simulator: a local HTTPS server speaking the subset of Azure Resource Manager the product uses. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";
import { FaultEngine, type FaultSpec } from "./faults";
import { createRng } from "./rng";
import { loadScenario, type Scenario, type ScenarioInput } from "./scenario";
import { createHandler, type RequestLogEntry } from "./server";
import { ComputeThrottler, Throttler } from "./throttle";
import { subnetPrefixes, World, type PowerState, type SimClock, type StateChange } from "./world";

export { loadScenario, ScenarioSchema, type Scenario, type ScenarioInput } from "./scenario";
export { FaultSpecSchema, OPERATION_NAMES, type FaultSpec, type OperationName } from "./faults";
export { generateFleet } from "./fleet";
export { API_VERSIONS } from "./routes";
export type { RequestLogEntry } from "./server";
export type { PowerState, SimClock, StateChange } from "./world";

export interface SimulatorOptions {
  /** A scenario object or the path of a JSON scenario file. */
  scenario: Scenario | ScenarioInput | string;
  /** Default: real time scaled by `behaviour.timeScale`, starting at `behaviour.startTime` (or now). */
  clock?: SimClock;
  /** Default 0: a free port. */
  port?: number;
  /** Seed for jitter, generated ids and probabilistic faults. */
  seed?: number;
}

export interface SimMachineState {
  id: string;
  name: string;
  instanceId?: string;
  powerState: PowerState;
  provisioningState: string;
  lastStartTime?: string;
  /** Last start from deallocated: when the machine picked up the current network policy. */
  lastAllocatedAt?: string;
}

export interface SimState {
  /** Simulated epoch ms of the snapshot. */
  at: number;
  subscriptionId: string;
  vms: (SimMachineState & { resourceGroup: string; tags: Record<string, string> })[];
  scaleSets: { id: string; name: string; resourceGroup: string; orchestrationMode: string; instances: SimMachineState[] }[];
  vnets: {
    id: string;
    name: string;
    resourceGroup: string;
    addressPrefixes: string[];
    subnets: { name: string; prefixes: string[]; delegations: string[]; provisioningState: string }[];
  }[];
  /** Long-running operations not yet finished (a stuck one stays here). */
  operationsInProgress: number;
}

export interface SimulatorHandle {
  /** https://127.0.0.1:PORT */
  endpoint: string;
  caPem: string;
  caFile: string;
  /** The only bearer token accepted. */
  token: string;
  subscriptionId: string;
  requestLog(): RequestLogEntry[];
  timeline(resourceId?: string): StateChange[];
  snapshot(): SimState;
  injectFault(f: FaultSpec): void;
  counters(): { requests: number; throttled: number; faultsInjected: Record<string, number> };
  close(): Promise<void>;
}

/** Real time scaled by `timeScale`, counted from `start`. */
export function scaledClock(start: number, timeScale: number): SimClock {
  const real0 = Date.now();
  return { now: () => start + (Date.now() - real0) * timeScale };
}

export async function startSimulator(opts: SimulatorOptions): Promise<SimulatorHandle> {
  const scenario = loadScenario(opts.scenario);
  const b = scenario.behaviour;
  const clock = opts.clock ?? scaledClock(b.startTime === undefined ? Date.now() : Date.parse(b.startTime), b.timeScale);
  const rng = createRng(opts.seed ?? 1);
  const faults = new FaultEngine(rng);
  for (const f of b.faults) faults.add(f);
  // The response shapes draw from their own stream: adding a draw never shifts the seed's jitter, ids or faults.
  const world = new World(scenario, rng, faults, clock.now(), createRng(((opts.seed ?? 1) ^ 0x5bd1e995) >>> 0));
  const throttler = new Throttler(b.throttling.enabled, b.throttling, clock.now());
  const compute = new ComputeThrottler(b.computeThrottling);

  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), "port25-sim-"));
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, pems.cert);

  const token = randomBytes(24).toString("base64url");
  const log: RequestLogEntry[] = [];
  const counters = { requests: 0, throttled: 0 };
  let endpoint = "";
  const server: Server = createServer(
    { key: pems.private, cert: pems.cert, keepAlive: true, keepAliveTimeout: 30_000 },
    createHandler({ world, clock, token, throttler, compute, faults, endpoint: () => endpoint, log, counters }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const machine = (m: World["vmList"][number]["machine"]): SimMachineState => {
    const s: SimMachineState = { id: m.resourceId, name: m.name, powerState: m.power, provisioningState: m.provisioningState };
    if (m.instanceId !== undefined) s.instanceId = m.instanceId;
    if (m.lastStartTime !== undefined) s.lastStartTime = new Date(m.lastStartTime).toISOString();
    if (m.allocatedAt !== undefined) s.lastAllocatedAt = new Date(m.allocatedAt).toISOString();
    return s;
  };

  return {
    endpoint,
    caPem: pems.cert,
    caFile,
    token,
    subscriptionId: world.subscriptionId,
    requestLog: () => [...log],
    timeline: (resourceId) => world.timeline(clock.now(), resourceId),
    snapshot: () => {
      const now = clock.now();
      world.settleAll(now);
      return {
        at: now,
        subscriptionId: world.subscriptionId,
        vms: world.vmList.map((vm) => ({ ...machine(vm.machine), resourceGroup: vm.resourceGroup, tags: vm.spec.tags })),
        scaleSets: world.scaleSetList.map((ss) => ({
          id: ss.id,
          name: ss.name,
          resourceGroup: ss.resourceGroup,
          orchestrationMode: ss.spec.orchestrationMode,
          instances: ss.instanceList.map(machine),
        })),
        vnets: world.vnetList.map((v) => ({
          id: v.id,
          name: v.name,
          resourceGroup: v.resourceGroup,
          addressPrefixes: v.addressPrefixes,
          subnets: [...v.subnets.values()].map((s) => ({ name: s.name, prefixes: subnetPrefixes(s), delegations: s.delegations, provisioningState: s.provisioningState })),
        })),
        operationsInProgress: [...world.operations.values()].filter((o) => !o.settled).length,
      };
    },
    injectFault: (f) => faults.add(f),
    counters: () => ({ requests: counters.requests, throttled: counters.throttled, faultsInjected: { ...faults.fired } }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
