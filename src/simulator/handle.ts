/** What the simulator is started with and what it hands back (src/simulator/index.ts starts it). */
import type { ActorRecord } from "./actors";
import type { Estate, EstateInput, EstateScenario } from "./estate";
import type { FaultSpec } from "./faults";
import type { JournalStats } from "./persist";
import type { Scenario, ScenarioInput } from "./scenario";
import type { RequestLogEntry } from "./server";
import type { StateChange } from "./world/timeline";
import type { PowerState, SimClock } from "./world/types";
import type { World } from "./world/world";

export interface SimulatorOptions {
  /**
   * What to serve: a single-subscription scenario, or an estate (several subscriptions under management groups),
   * as an object or the path of a JSON file.
   */
  scenario: Scenario | ScenarioInput | EstateInput | EstateScenario | Estate | string;
  /** Default: real time scaled by `behaviour.timeScale`, starting at `behaviour.startTime` (or now). */
  clock?: SimClock;
  /** Default 0: a free port. */
  port?: number;
  /** Seed for jitter, generated ids and probabilistic faults. */
  seed?: number;
  /**
   * Keep every request for `requestLog()` (default). Off, only `requestTally()` counts them: a long run of many VMs
   * then does not hold hundreds of thousands of entries nobody reads.
   */
  requestLog?: boolean;
  /**
   * Keep the world in this folder (persist.ts) and resume the one it holds: a saved world's scenario, seed and port
   * take the place of `scenario`, `seed` and `port`; `source` says what was asked for (written for a new world).
   */
  persist?: { dir: string; source: string };
}

/** Requests answered, counted as they are answered (kept whether or not the request log is). */
export interface RequestTally {
  requests: number;
  /** Answered 429. */
  throttled: number;
  /** Refused by Microsoft.Compute's own policies. */
  computeThrottled: number;
  /** Every method but GET and HEAD. */
  writes: number;
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
  /** `platformUpdateDomain`: the VM's update domain in its availability set (only VMs in one have it). */
  vms: (SimMachineState & {
    resourceGroup: string;
    tags: Record<string, string>;
    platformUpdateDomain?: number | undefined;
  })[];
  scaleSets: {
    id: string;
    name: string;
    resourceGroup: string;
    orchestrationMode: string;
    instances: SimMachineState[];
  }[];
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

/** A management group the simulator serves, with the subscriptions directly in it. */
export interface SimManagementGroup {
  id: string;
  displayName: string;
  /** The parent's id; absent for the root. */
  parent?: string | undefined;
  subscriptionIds: string[];
}

export interface SimSubscription {
  id: string;
  displayName: string;
  managementGroup?: string | undefined;
}

export interface SimCounters {
  requests: number;
  throttled: number;
  faultsInjected: Record<string, number>;
}

export interface SimulatorHandle {
  /** https://127.0.0.1:PORT */
  endpoint: string;
  caPem: string;
  caFile: string;
  /** The only bearer token accepted. */
  token: string;
  /** The first subscription served. */
  subscriptionId: string;
  /** Every subscription served, in declaration order (lower case). */
  subscriptionIds: string[];
  /** The same subscriptions with their display names and the group each sits in directly. */
  subscriptions: SimSubscription[];
  tenantId: string;
  /** The management-group hierarchy (empty for a single-subscription scenario). */
  managementGroups: SimManagementGroup[];
  /** Every request answered, oldest first; empty when the simulator was started with `requestLog: false`. */
  requestLog(): RequestLogEntry[];
  requestTally(): RequestTally;
  /** What the scenario's other actors did so far (actors.ts), in the order they acted; each subscription's in turn. */
  actorLog(): ActorRecord[];
  /** Power-state changes, oldest first: of one resource, or of every subscription's resources. */
  timeline(resourceId?: string): StateChange[];
  /** One subscription's state (default: the first). */
  snapshot(subscriptionId?: string): SimState;
  /** Arms a fault in one subscription (default: the first). */
  injectFault(f: FaultSpec, subscriptionId?: string): void;
  /** One subscription's world (default: the first), for changes others make during a run (World.addLock, …). */
  world(subscriptionId?: string): World;
  /** Totals over the whole endpoint (tenant-level requests included). */
  counters(): SimCounters;
  /** Per subscription (lower-case id), requests to its paths only. */
  countersBySubscription(): Record<string, SimCounters>;
  /**
   * With `persist`: the world resumed from its folder (how many requests were taken again, and the simulated time of
   * the last one, which the clock must not fall behind), or undefined for a new world.
   */
  resumed: { requests: number; lastAt: number } | undefined;
  /** With `persist`: what keeping the world on disk has cost since the start. */
  journalStats(): JournalStats | undefined;
  close(): Promise<void>;
}
