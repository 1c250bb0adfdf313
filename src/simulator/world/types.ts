/**
 * The simulated subscription's state, as records: machines (VMs and scale-set instances) with their power
 * transitions, the operations in flight, VNets and subnets, and the other resources the routes serve. The shapes
 * that refer to one another live together here, so that the modules acting on them import no circle.
 */
import type { ActivityEntry } from "./activityLog";
import type { OperationName } from "../faults";
import type { Scenario, ScenarioSubnet } from "../scenario";

export interface SimClock {
  /** Epoch milliseconds. */
  now(): number;
}

export type PowerState = "starting" | "running" | "stopping" | "stopped" | "deallocating" | "deallocated";
export type StablePower = "running" | "stopped" | "deallocated";
export type PowerOp = "powerOff" | "deallocate" | "start";

/** Who an Activity Log event names: its `caller` and the token `claims` it was made with (Microsoft.Insights EventData). */
export interface Actor {
  caller?: string;
  claims?: Record<string, string>;
}

/** What an actor's event met: done, refused as Azure would refuse it, or to be tried again once an operation ends. */
export interface ActorResult {
  busyUntil?: number;
  refused?: string;
}

/** A VM extension as the extensions list serves it. */
export interface SimExtension {
  name: string;
  publisher: string;
  type: string;
  version: string;
}

export interface OperationFailure {
  code: string;
  message: string;
  /** The real cause when `code` is a wrapper (ResourceOperationFailure): ARM's `error.details`. */
  details?: { code: string; message: string }[] | undefined;
}

/** A machine's power operation under way: from a stable state, through a transitional one, to its target (or back, when it fails). */
export interface Transition {
  op: Operation;
  kind: PowerOp;
  from: StablePower;
  transitional: PowerState;
  target: StablePower;
  endsAt: number;
  failure?: OperationFailure & { revertTo: StablePower };
  /**
   * A start from deallocated: while the VM is placed on a host and not yet powered on, its power state reads
   * `stopped` (behaviour.stoppedWhileStarting), from `from` to `to` (epoch ms).
   */
  showsStopped?: { from: number; to: number };
}

/** A VM or a uniform scale-set instance: anything with a power state. */
export interface Machine {
  resourceId: string;
  instanceId?: string;
  name: string;
  location: string;
  vmId: string;
  ephemeralOsDisk: boolean;
  networkWatcherAgent: boolean;
  power: PowerState;
  /** When the current power state began; unknown for an initial state the scenario gave no time for. */
  powerSince?: number;
  createdAt: number;
  provisioningState: string;
  provisioningError?: string | undefined;
  /** Last time the machine entered PowerState/running. */
  lastStartTime?: number;
  /** Last time it was started from deallocated (i.e. placed on a host and given the current network policy). */
  allocatedAt?: number;
  pending?: Transition | undefined;
  privateIp: string;
  /**
   * After a start, when the VM agent reports Ready and when its extensions (the Network Watcher agent) report
   * provisioned: minutes after PowerState/running (behaviour.agentReady). Unset = ready since before the run.
   */
  agentReadyAt?: number;
  extensionsReadyAt?: number;
  /** When a connectivity check from it can run (the agent answering, not only reported provisioned). */
  checksReadyAt?: number;
  /** Its owner's delete runs until then: the VM is marked for deletion (provisioning state Deleting). */
  deletingUntil?: number;
}

export interface SubnetState {
  name: string;
  addressPrefix?: string;
  addressPrefixes?: string[];
  delegations: string[];
  serviceAssociationLinks: ScenarioSubnet["serviceAssociationLinks"];
  ipamAllocations: ScenarioSubnet["ipamAllocations"];
  inUse: boolean;
  /** Its network security group's id, when it has one. */
  networkSecurityGroupId?: string;
  provisioningState: "Succeeded" | "Updating" | "Deleting" | "Failed";
  etag: number;
  routeTableId?: string;
  natGatewayId?: string;
}

export interface VnetState {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  addressPrefixes: string[];
  ipamPools: string[];
  tags: Record<string, string>;
  guid: string;
  subnets: Map<string, SubnetState>;
  peerings: NonNullable<Scenario["vnets"][number]["peerings"]>;
  /** The write in flight on this VNet (ARM serialises writes per VNet). */
  pending?: Operation | undefined;
  etag: number;
}

export interface Operation {
  id: string;
  provider: "Microsoft.Compute" | "Microsoft.Network";
  location: string;
  name: OperationName;
  apiVersion: string;
  startedAt: number;
  endsAt: number;
  failure?: OperationFailure;
  /** Its status says Canceled rather than Failed (a preempted operation, as Compute may report one). */
  canceled?: boolean;
  machines: Machine[];
  subnetChange?: {
    vnet: VnetState;
    subnet: SubnetState;
    action: "create" | "update" | "delete";
    previous?: SubnetState;
  };
  /** Body served by the operation's Location URL once it succeeded. */
  result?: unknown;
  settled: boolean;
  /** The Activity Log entry a power operation writes when it ends. */
  activity?: ActivityEntry;
}

export interface VmRecord {
  id: string;
  name: string;
  resourceGroup: string;
  spec: Scenario["vms"][number];
  machine: Machine;
  availabilitySetId?: string;
  /**
   * Its update domain in its availability set: the platform deals a set's VMs over its domains in creation order
   * (the sixth of five domains joins the first; Learn, "Availability sets overview").
   */
  platformUpdateDomain?: number;
  flexScaleSetId?: string;
  timeCreated: number;
  /** Its extensions (the Network Watcher agent under one of the names people give it). */
  extensions: SimExtension[];
}

export interface ScaleSetRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  spec: Scenario["scaleSets"][number];
  uniqueId: string;
  instances: Map<string, Machine>;
  instanceList: Machine[];
  /** The subnet of its network profile, when the scenario gives one. */
  subnetId?: string;
}

export interface RgRecord {
  id: string;
  name: string;
  location: string;
  managedBy?: string;
  tags: Record<string, string>;
}

/** A network security group: it exists, so a subnet may name it. */
export interface NsgRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
}

/** A VM's NIC (one per VM, named after it), in the subnet the scenario gives the VM. */
export interface NicRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  vm: VmRecord;
  /** The subnet's id; undefined when the scenario gives the VM none. */
  subnetId?: string;
}

export interface WatcherRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
}

/** Files a record under its key (records by resource group). */
export function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
