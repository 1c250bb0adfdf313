/** The Azure simulator: a local HTTPS server speaking the subset of Azure Resource Manager the product uses. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";
import { FaultEngine } from "./faults";
import { createRng } from "./rng";
import { loadEstate } from "./estate";
import { createHandler, type FrontDoorDeps, type RequestLogEntry, type SubscriptionHost } from "./server";
import {
  loadSavedWorld,
  openJournal,
  replayRequest,
  saveWorld,
  SimulatorStateError,
  REQUESTS_FILE,
  type WorldJournal,
} from "./persist";
import { Hierarchy } from "./tenant";
import { ComputeThrottler } from "./computeThrottle";
import { Throttler } from "./throttle";
import { ActorEngine } from "./actors";
import { subnetPrefixes } from "./world/subnets";
import type { SimClock } from "./world/types";
import { World } from "./world/world";

export { loadScenario, ScenarioSchema, type Scenario, type ScenarioInput } from "./scenario";
export {
  FaultSpecSchema,
  LRO_OPERATIONS,
  OPERATION_NAMES,
  POWER_OPERATIONS,
  type FaultSpec,
  type OperationName,
} from "./faults";
export { generateEstate, generateFleet, type EstateOptions } from "./fleet";
export {
  EstateSchema,
  isEstateInput,
  latestExemption,
  loadEstate,
  parseEstate,
  rootGroup,
  type Estate,
  type EstateGroup,
  type EstateInput,
  type EstateScenario,
} from "./estate";
export { DESCENDANTS_PAGE_SIZE, MANAGEMENT_GROUPS_API_VERSIONS } from "./tenant";
export { API_VERSIONS } from "./routeKit";
export type { RequestLogEntry } from "./server";
export type { StateChange } from "./world/timeline";
export type { PowerState, SimClock } from "./world/types";
export type { World } from "./world/world";
export type { RecordedRequest } from "./server";
export {
  loadSavedWorld,
  readSavedWorld,
  SimulatorStateError,
  REQUESTS_FILE,
  WORLD_FILE,
  type JournalStats,
  type SavedWorld,
} from "./persist";

export type {
  RequestTally,
  SimCounters,
  SimMachineState,
  SimManagementGroup,
  SimState,
  SimSubscription,
  SimulatorHandle,
  SimulatorOptions,
} from "./handle";
import type { RequestTally, SimMachineState, SimManagementGroup, SimulatorHandle, SimulatorOptions } from "./handle";

/** Real time scaled by `timeScale`, counted from `start`. */
export function scaledClock(start: number, timeScale: number): SimClock {
  const real0 = Date.now();
  return { now: () => start + (Date.now() - real0) * timeScale };
}

export async function startSimulator(opts: SimulatorOptions): Promise<SimulatorHandle> {
  const stored = opts.persist === undefined ? undefined : loadSavedWorld(opts.persist.dir, true);
  const estate = stored?.saved.estate ?? loadEstate(opts.scenario);
  const seed = stored?.saved.seed ?? opts.seed ?? 1;
  const port = stored?.saved.port ?? opts.port ?? 0;
  const clock =
    opts.clock ??
    scaledClock(
      estate.clock.startTime === undefined ? Date.now() : Date.parse(estate.clock.startTime),
      estate.clock.timeScale,
    );
  // Subscription k draws from its own streams; the first keeps the seed's own (a single scenario replays as before).
  const tenantRng = createRng((seed ^ 0x7e4a11) >>> 0);
  const tenantId = estate.tenantId ?? (estate.subscriptions.length > 1 ? tenantRng.guid() : undefined);
  const hosts = new Map<string, SubscriptionHost>();
  for (const [k, { scenario }] of estate.subscriptions.entries()) {
    const b = scenario.behaviour;
    const subSeed = k === 0 ? seed : (seed + Math.imul(k, 0x9e3779b1)) >>> 0;
    const rng = createRng(subSeed);
    const faults = new FaultEngine(rng);
    for (const f of b.faults) faults.add(f);
    const own =
      tenantId === undefined || scenario.subscription.tenantId !== undefined
        ? scenario
        : { ...scenario, subscription: { ...scenario.subscription, tenantId } };
    // The response shapes draw from their own stream: adding a draw never shifts the seed's jitter, ids or faults.
    const world = new World(own, rng, faults, clock.now(), createRng((subSeed ^ 0x5bd1e995) >>> 0));
    if (own.actors.length > 0) world.actors = new ActorEngine(own.actors, clock.now(), world.subscriptionId);
    hosts.set(world.subscriptionId, {
      world,
      throttler: new Throttler(b.throttling.enabled, b.throttling, clock.now()),
      compute: new ComputeThrottler(b.computeThrottling),
      faults,
      counters: { requests: 0, throttled: 0 },
    });
  }
  const worlds = [...hosts.values()].map((h) => h.world);
  const first = worlds[0];
  if (first === undefined) throw new Error("an estate serves at least one subscription");
  const tt = estate.tenantThrottling;
  const tenant = { hierarchy: new Hierarchy(estate), throttler: new Throttler(tt.enabled, tt, clock.now(), "tenant") };
  const hostOf = (subscriptionId: string | undefined): SubscriptionHost => {
    const h = hosts.get((subscriptionId ?? first.subscriptionId).toLowerCase());
    if (h === undefined)
      throw new RangeError(
        `the simulator serves no subscription ${subscriptionId ?? ""} (it serves ${[...hosts.keys()].join(", ")})`,
      );
    return h;
  };

  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), "port25-sim-"));
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, pems.cert);

  const token = randomBytes(24).toString("base64url");
  const log: RequestLogEntry[] = [];
  const keepLog = opts.requestLog ?? true;
  const tally: RequestTally = { requests: 0, throttled: 0, computeThrottled: 0, writes: 0 };
  const record = {
    push(entry: RequestLogEntry): void {
      tally.requests += 1;
      if (entry.status === 429) tally.throttled += 1;
      if (entry.throttledBy === "compute") tally.computeThrottled += 1;
      if (entry.kind !== "read") tally.writes += 1;
      if (keepLog) log.push(entry);
    },
  };
  const counters = { requests: 0, throttled: 0 };
  let endpoint = port === 0 ? "" : `https://127.0.0.1:${port}`;
  const deps: FrontDoorDeps = {
    subscriptions: hosts,
    tenant,
    clock,
    token,
    endpoint: () => endpoint,
    log: record,
    counters,
  };
  let resumed: SimulatorHandle["resumed"];
  if (stored !== undefined && opts.persist !== undefined) {
    // The world is built again from its scenario and seed, then takes every request it answered, in order.
    for (const [i, r] of stored.requests.entries()) {
      const again = await replayRequest(deps, r);
      if (again.status !== r.entry.status) {
        throw new SimulatorStateError(
          `${join(opts.persist.dir, REQUESTS_FILE)} line ${i + 1}: ${r.method} ${r.entry.path} was answered ${r.entry.status}${r.entry.errorCode === undefined ? "" : ` ${r.entry.errorCode}`} then, and would be answered ${again.status < 0 ? "after other readings of the clock" : `${again.status}${again.errorCode === undefined ? "" : ` ${again.errorCode}`}`} now: this version of port25 cannot rebuild the simulated world saved there; move the folder aside to start afresh`,
        );
      }
    }
    const last = stored.requests.at(-1);
    resumed = { requests: stored.requests.length, lastAt: last === undefined ? clock.now() : Math.max(...last.reads) };
  }
  let journal: WorldJournal | undefined;
  if (opts.persist !== undefined) {
    // Requests recorded without a world.json belong to no world (a start killed before it wrote one).
    if (stored === undefined) rmSync(join(opts.persist.dir, REQUESTS_FILE), { force: true });
    journal = await openJournal(opts.persist.dir);
    deps.journal = journal;
  }
  const server: Server = createServer(
    { key: pems.private, cert: pems.cert, keepAlive: true, keepAliveTimeout: 30_000 },
    createHandler(deps),
  );
  await new Promise<void>((resolve, reject) => {
    server.once(
      "error",
      (e: Error & { code?: string }) =>
        void journal
          ?.close()
          .finally(() =>
            reject(
              stored !== undefined && e.code === "EADDRINUSE"
                ? new SimulatorStateError(
                    `the simulated world saved in ${opts.persist?.dir ?? ""} listens on port ${port} (the operations it handed out name it), which is in use: free it and start again`,
                    e,
                  )
                : e,
            ),
          ),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (opts.persist !== undefined && stored === undefined) {
    saveWorld(opts.persist.dir, {
      formatVersion: 1,
      source: opts.persist.source,
      seed,
      port: (server.address() as AddressInfo).port,
      estate,
    });
  }

  const machine = (m: World["vmList"][number]["machine"]): SimMachineState => {
    const s: SimMachineState = {
      id: m.resourceId,
      name: m.name,
      powerState: m.power,
      provisioningState: m.provisioningState,
    };
    if (m.instanceId !== undefined) s.instanceId = m.instanceId;
    if (m.lastStartTime !== undefined) s.lastStartTime = new Date(m.lastStartTime).toISOString();
    if (m.allocatedAt !== undefined) s.lastAllocatedAt = new Date(m.allocatedAt).toISOString();
    return s;
  };

  const groups: SimManagementGroup[] = estate.managementGroups.map((g) => ({
    id: g.id,
    displayName: g.displayName,
    parent: g.parent,
    subscriptionIds: estate.subscriptions
      .filter((s) => s.managementGroup?.toLowerCase() === g.id.toLowerCase())
      .map((s) => s.scenario.subscription.id.toLowerCase()),
  }));
  const fired = (engines: readonly FaultEngine[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const e of engines) for (const [k, v] of Object.entries(e.fired)) out[k] = (out[k] ?? 0) + v;
    return out;
  };

  return {
    endpoint,
    caPem: pems.cert,
    caFile,
    token,
    subscriptionId: first.subscriptionId,
    subscriptionIds: worlds.map((w) => w.subscriptionId),
    subscriptions: estate.subscriptions.map((s) => ({
      id: s.scenario.subscription.id.toLowerCase(),
      displayName: s.scenario.subscription.name,
      managementGroup: s.managementGroup,
    })),
    tenantId: first.tenantId,
    managementGroups: groups,
    requestLog: () => [...log],
    requestTally: () => ({ ...tally }),
    actorLog: () => {
      const now = clock.now();
      return worlds.flatMap((w) => {
        w.settleAll(now);
        return w.actors instanceof ActorEngine ? [...w.actors.log] : [];
      });
    },
    timeline: (resourceId) => {
      const now = clock.now();
      const sub =
        resourceId === undefined ? undefined : /^\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1]?.toLowerCase();
      if (sub !== undefined) return hosts.get(sub)?.world.timeline(now, resourceId) ?? [];
      return worlds.flatMap((w) => w.timeline(now, resourceId)).sort((a, b) => a.at - b.at);
    },
    snapshot: (subscriptionId) => {
      const world = hostOf(subscriptionId).world;
      const now = clock.now();
      world.settleAll(now);
      return {
        at: now,
        subscriptionId: world.subscriptionId,
        vms: world.vmList.map((vm) => ({
          ...machine(vm.machine),
          resourceGroup: vm.resourceGroup,
          tags: vm.spec.tags,
          platformUpdateDomain: vm.platformUpdateDomain,
        })),
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
          subnets: [...v.subnets.values()].map((s) => ({
            name: s.name,
            prefixes: subnetPrefixes(s),
            delegations: s.delegations,
            provisioningState: s.provisioningState,
          })),
        })),
        operationsInProgress: [...world.operations.values()].filter((o) => !o.settled).length,
      };
    },
    injectFault: (f, subscriptionId) => hostOf(subscriptionId).faults.add(f),
    world: (subscriptionId) => hostOf(subscriptionId).world,
    counters: () => ({
      requests: counters.requests,
      throttled: counters.throttled,
      faultsInjected: fired([...hosts.values()].map((h) => h.faults)),
    }),
    countersBySubscription: () =>
      Object.fromEntries(
        [...hosts.entries()].map(([id, h]) => [
          id,
          { requests: h.counters.requests, throttled: h.counters.throttled, faultsInjected: fired([h.faults]) },
        ]),
      ),
    resumed,
    journalStats: () => journal?.stats(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await journal?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
