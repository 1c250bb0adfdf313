/**
 * The simulated subscription's state and its state machine. Power transitions are stored as
 * (operation, start, end) and settled lazily against the clock, so a request costs O(resources touched).
 */
import { ArmHttpError } from "./armError";
import { contains, overlaps, parseCidr, type Cidr } from "./cidr";
import type { FaultEngine, OperationName, ParsedFault, RequestContext } from "./faults";
import { Governance, type LockInput, type PolicyAssignmentInput } from "./governance";
import { createRng, type Rng } from "./rng";
import { VmSchema, type Scenario, type ScenarioSubnet, type ScenarioVm } from "./scenario";
import { ShapePicker } from "./shapes";
import { effectiveRoutesOf, egressOf, findSubnet, routesOf, type SimEgress } from "./egress";

export interface SimClock {
  /** Epoch milliseconds. */
  now(): number;
}

export type PowerState = "starting" | "running" | "stopping" | "stopped" | "deallocating" | "deallocated";
export type StablePower = "running" | "stopped" | "deallocated";
export type PowerOp = "powerOff" | "deallocate" | "start";

export interface StateChange {
  resourceId: string;
  instanceId?: string;
  from: string;
  to: string;
  /** Simulated epoch ms. */
  at: number;
}

/** Who an Activity Log event names: its `caller` and the token `claims` it was made with (Microsoft.Insights EventData). */
export interface Actor {
  caller?: string;
  claims?: Record<string, string>;
}

/** What the World asks of the other actors' engine (actors.ts). */
export interface ActorHooks {
  fireDue(w: World, now: number): void;
  fireTouch(w: World, resourceKey: string, now: number): void;
}

/** What an actor's event met: done, refused as Azure would refuse it, or to be tried again once an operation ends. */
export interface ActorResult {
  busyUntil?: number;
  refused?: string;
}

/** The platform, as the Activity Log names it for an eviction. UNVERIFIED: the caller Azure records for evictSpotVM. */
const PLATFORM: Actor = { caller: "Microsoft.Compute", claims: {} };
/** A spot VM's eviction notice: at least 30 seconds (Scheduled Events' Preempt), then it is deallocated. */
const SPOT_EVICTION_NOTICE_MS = 30_000;
const OWNER_OPERATION: Record<PowerOp, OperationName> = { powerOff: "vmPowerOff", deallocate: "vmDeallocate", start: "vmStart" };

/** One entry of the Activity Log (Microsoft.Insights event data), recorded from the power timeline. */
export interface ActivityEvent {
  eventDataId: string;
  /** The resource as Microsoft.Compute names it (resource group upper-cased). */
  resourceId: string;
  resourceGroup: string;
  resourceType: string;
  operationName: string;
  status: "Started" | "Succeeded" | "Failed";
  correlationId: string;
  /** Simulated epoch ms. */
  at: number;
  /** When the event became queryable (the log lags the operation). */
  submittedAt: number;
  /** Who: absent for the product's own requests (the simulator's default caller). */
  caller?: string;
  claims?: Record<string, string>;
  /** The request's method: POST for actions (the default), DELETE and PUT for deletes and creates. */
  httpMethod?: string;
}

/** A VM extension as the extensions list serves it. */
export interface SimExtension {
  name: string;
  publisher: string;
  type: string;
  version: string;
}

/** How long the Activity Log keeps events. */
export const ACTIVITY_LOG_RETENTION_MS = 90 * 86_400_000;
/** How long an event takes to become queryable. */
export const ACTIVITY_LOG_LAG_MS = 2 * 60_000;

export interface OperationFailure {
  code: string;
  message: string;
  /** The real cause when `code` is a wrapper (ResourceOperationFailure): ARM's `error.details`. */
  details?: { code: string; message: string }[] | undefined;
}

interface Transition {
  op: Operation;
  kind: PowerOp;
  from: StablePower;
  transitional: PowerState;
  target: StablePower;
  endsAt: number;
  failure?: OperationFailure & { revertTo: StablePower };
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
  machines: Machine[];
  subnetChange?: { vnet: VnetState; subnet: SubnetState; action: "create" | "update" | "delete"; previous?: SubnetState };
  /** Body served by the operation's Location URL once it succeeded. */
  result?: unknown;
  settled: boolean;
  /** The Activity Log entry a power operation writes when it ends. */
  activity?: Omit<ActivityEvent, "eventDataId" | "status" | "at" | "submittedAt">;
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

/** The first api-version whose scale-set powerOff refuses deallocated instances (Azure/azure-rest-api-specs#31426). */
const SCALE_SET_POWER_OFF_REFUSAL_API_VERSION = "2024-07-01";

const TRANSITIONAL: Record<PowerOp, PowerState> = { powerOff: "stopping", deallocate: "deallocating", start: "starting" };
const TARGET: Record<PowerOp, StablePower> = { powerOff: "stopped", deallocate: "deallocated", start: "running" };

/** Seconds with ±jitter, as integer milliseconds. */
function jittered(seconds: number, jitter: number, rng: Rng): number {
  return Math.max(0, Math.round(seconds * 1000 * (1 + jitter * (2 * rng.next() - 1))));
}

export class World {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly rgs = new Map<string, RgRecord>();
  readonly rgList: RgRecord[] = [];
  readonly vms = new Map<string, VmRecord>();
  readonly vmList: VmRecord[] = [];
  /** Update-domain count of each availability set declared with one (others have 5), and members dealt so far. */
  private readonly updateDomainCounts = new Map<string, number>();
  private readonly availabilitySetMembers = new Map<string, number>();
  readonly vmsByRg = new Map<string, VmRecord[]>();
  readonly scaleSets = new Map<string, ScaleSetRecord>();
  readonly scaleSetList: ScaleSetRecord[] = [];
  readonly scaleSetsByRg = new Map<string, ScaleSetRecord[]>();
  readonly vnets = new Map<string, VnetState>();
  readonly vnetList: VnetState[] = [];
  readonly vnetsByRg = new Map<string, VnetState[]>();
  readonly watchers = new Map<string, WatcherRecord>();
  readonly watcherList: WatcherRecord[] = [];
  readonly nics = new Map<string, NicRecord>();
  readonly nicList: NicRecord[] = [];
  readonly operations = new Map<string, Operation>();
  /** Network security groups by lower-cased id. */
  readonly nsgs = new Map<string, NsgRecord>();
  /** Management locks and policy assignments, enforced at the front door and on subnet writes (governance.ts). */
  readonly governance: Governance;
  private readonly active = new Set<Operation>();
  private readonly changes: StateChange[] = [];
  /** The Activity Log: power operations' Started and Succeeded/Failed events, oldest first. */
  private readonly activityLog: ActivityEvent[] = [];
  readonly exemptionEffectiveAt: number | undefined;
  /** Picks among the answers ARM allows (its own stream, so that jitter and ids stay as the seed gave them). */
  readonly shapes: ShapePicker;

  constructor(
    readonly scenario: Scenario,
    private readonly rng: Rng,
    private readonly faults: FaultEngine,
    startedAt: number,
    shapeRng: Rng = createRng(0x5bd1e995),
  ) {
    this.shapes = new ShapePicker(shapeRng, scenario.behaviour.responseShapes);
    const sub = scenario.subscription.id.toLowerCase();
    this.subscriptionId = sub;
    this.tenantId = scenario.subscription.tenantId ?? rng.guid();
    this.exemptionEffectiveAt =
      scenario.exemption.exempted && scenario.exemption.effectiveAt !== undefined ? Date.parse(scenario.exemption.effectiveAt) : undefined;
    const rgPrefix = `/subscriptions/${sub}/resourceGroups/`;
    this.governance = new Governance(sub, (name) => this.rgs.get(name.toLowerCase())?.name);
    for (const rg of scenario.resourceGroups) {
      const rec: RgRecord = { id: `${rgPrefix}${rg.name}`, name: rg.name, location: rg.location, tags: rg.tags };
      if (rg.managedBy !== undefined) rec.managedBy = rg.managedBy;
      this.rgs.set(rg.name.toLowerCase(), rec);
      this.rgList.push(rec);
    }
    const rgOf = (name: string): RgRecord => {
      const rec = this.rgs.get(name.toLowerCase());
      if (rec === undefined) throw new Error(`resource group ${name} is not declared`);
      return rec;
    };
    const nextIp = (): string => this.nextIp();
    for (const ss of scenario.scaleSets) {
      const rg = rgOf(ss.resourceGroup);
      const id = `${rgPrefix}${rg.name}/providers/Microsoft.Compute/virtualMachineScaleSets/${ss.name}`;
      const location = ss.location ?? rg.location;
      const rec: ScaleSetRecord = { id, name: ss.name, resourceGroup: rg.name, location, spec: ss, uniqueId: rng.guid(), instances: new Map(), instanceList: [] };
      for (const inst of ss.instances) {
        const last = inst.lastStartTime === undefined ? undefined : Date.parse(inst.lastStartTime);
        const m: Machine = {
          resourceId: id,
          instanceId: inst.instanceId,
          name: `${ss.name}_${inst.instanceId}`,
          location,
          vmId: rng.guid(),
          ephemeralOsDisk: ss.ephemeralOsDisk,
          networkWatcherAgent: false,
          power: inst.power,
          createdAt: (last ?? startedAt) - 30 * 86_400_000,
          provisioningState: "Succeeded",
          privateIp: nextIp(),
        };
        if (last !== undefined) {
          m.lastStartTime = last;
          m.allocatedAt = last;
          if (inst.power === "running") m.powerSince = last;
          this.recordHistory(`${id}/virtualMachines/${inst.instanceId}`, rg.name, "Microsoft.Compute/virtualMachineScaleSets/virtualMachines", last, startedAt);
        }
        rec.instances.set(inst.instanceId, m);
        rec.instanceList.push(m);
      }
      this.scaleSets.set(id.toLowerCase(), rec);
      this.scaleSetList.push(rec);
      pushTo(this.scaleSetsByRg, rg.name.toLowerCase(), rec);
    }
    for (const set of scenario.availabilitySets)
      this.updateDomainCounts.set(`${rgPrefix}${rgOf(set.resourceGroup).name}/providers/Microsoft.Compute/availabilitySets/${set.name}`.toLowerCase(), set.platformUpdateDomainCount);
    for (const vm of scenario.vms) this.addVm(vm, startedAt);
    for (const vn of scenario.vnets) {
      const rg = rgOf(vn.resourceGroup);
      const id = `${rgPrefix}${rg.name}/providers/Microsoft.Network/virtualNetworks/${vn.name}`;
      const state: VnetState = {
        id,
        name: vn.name,
        resourceGroup: rg.name,
        location: vn.location ?? rg.location,
        addressPrefixes: vn.addressPrefixes,
        ipamPools: vn.ipamPools,
        tags: vn.tags,
        guid: rng.guid(),
        subnets: new Map(),
        etag: 1,
        peerings: vn.peerings ?? [],
      };
      for (const sn of vn.subnets) {
        const s: SubnetState = {
          name: sn.name,
          delegations: sn.delegations,
          serviceAssociationLinks: sn.serviceAssociationLinks,
          ipamAllocations: sn.ipamAllocations,
          inUse: sn.inUse,
          provisioningState: "Succeeded",
          etag: 1,
        };
        if (sn.addressPrefix !== undefined) s.addressPrefix = sn.addressPrefix;
        if (sn.addressPrefixes !== undefined) s.addressPrefixes = sn.addressPrefixes;
        const nsg = sn.networkSecurityGroup;
        if (nsg !== undefined) {
          const named = typeof nsg === "string" ? { name: nsg, resourceGroup: rg.name } : nsg;
          s.networkSecurityGroupId = this.addNsg(named.name, rgOf(named.resourceGroup).name, state.location).id;
        }
        const table = sn.routeTable === undefined ? undefined : scenario.routeTables.find((t) => t.name.toLowerCase() === sn.routeTable?.toLowerCase());
        if (table !== undefined) s.routeTableId = `${rgPrefix}${rgOf(table.resourceGroup).name}/providers/Microsoft.Network/routeTables/${table.name}`;
        const nat = sn.natGateway === undefined ? undefined : scenario.natGateways.find((t) => t.name.toLowerCase() === sn.natGateway?.toLowerCase());
        if (nat !== undefined) s.natGatewayId = `${rgPrefix}${rgOf(nat.resourceGroup).name}/providers/Microsoft.Network/natGateways/${nat.name}`;
        state.subnets.set(sn.name.toLowerCase(), s);
      }
      this.vnets.set(id.toLowerCase(), state);
      this.vnetList.push(state);
      pushTo(this.vnetsByRg, rg.name.toLowerCase(), state);
    }
    for (const n of scenario.networkSecurityGroups) {
      const rg = rgOf(n.resourceGroup);
      this.addNsg(n.name, rg.name, n.location ?? rg.location);
    }
    for (const l of scenario.locks) this.governance.addLock(l);
    for (const a of scenario.policyAssignments) this.governance.addPolicyAssignment(a);
    const subnetIdOf = (ref: string | undefined): string | undefined => {
      const found = findSubnet(scenario, ref);
      return found === undefined ? undefined : `${rgPrefix}${rgOf(found.vnet.resourceGroup).name}/providers/Microsoft.Network/virtualNetworks/${found.vnet.name}/subnets/${found.subnet.name}`;
    };
    for (const ss of this.scaleSetList) {
      const subnetId = subnetIdOf(ss.spec.subnet);
      if (subnetId !== undefined) ss.subnetId = subnetId;
    }
    for (const vm of this.vmList) {
      const id = `${rgPrefix}${vm.resourceGroup}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic`;
      const nic: NicRecord = { id, name: `${vm.name}-nic`, resourceGroup: vm.resourceGroup, location: vm.machine.location, vm };
      const subnetId = subnetIdOf(vm.spec.subnet);
      if (subnetId !== undefined) nic.subnetId = subnetId;
      this.nics.set(id.toLowerCase(), nic);
      this.nicList.push(nic);
    }
    for (const nw of scenario.networkWatchers) {
      const rg = rgOf(nw.resourceGroup);
      const name = nw.name ?? `NetworkWatcher_${nw.location}`;
      const rec: WatcherRecord = { id: `${rgPrefix}${rg.name}/providers/Microsoft.Network/networkWatchers/${name}`, name, resourceGroup: rg.name, location: nw.location };
      this.watchers.set(rec.id.toLowerCase(), rec);
      this.watcherList.push(rec);
    }
  }

  // ---------------------------------------------------------------- locks, policy, NSGs (what others change)

  private addNsg(name: string, resourceGroup: string, location: string): NsgRecord {
    const id = `/subscriptions/${this.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
    const known = this.nsgs.get(id.toLowerCase());
    if (known !== undefined) return known;
    const rec: NsgRecord = { id, name, resourceGroup, location };
    this.nsgs.set(id.toLowerCase(), rec);
    return rec;
  }

  /** Someone puts a management lock (the scenario's `locks[]` shape); one of that name at that scope is replaced. */
  addLock(lock: LockInput): void {
    this.governance.addLock(lock);
  }

  /** Someone removes a lock (named as in `locks[]`); whether there was one. */
  removeLock(lock: Pick<LockInput, "name" | "scope">): boolean {
    return this.governance.removeLock(lock);
  }

  /** Someone assigns a policy (the scenario's `policyAssignments[]` shape). */
  addPolicyAssignment(assignment: PolicyAssignmentInput): void {
    this.governance.addPolicyAssignment(assignment);
  }

  /** Someone removes an assignment (named as in `policyAssignments[]`); whether there was one. */
  removePolicyAssignment(assignment: Pick<PolicyAssignmentInput, "name" | "scope">): boolean {
    return this.governance.removePolicyAssignment(assignment);
  }

  private ipCounter = 4;
  private nextIp(): string {
    const n = this.ipCounter++;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  /** Adds a VM (from the scenario, or created during the run); its history, when it has one, goes to the Activity Log. */
  private addVm(vm: ScenarioVm, startedAt: number): VmRecord {
    const rg = this.rgs.get(vm.resourceGroup.toLowerCase());
    if (rg === undefined) throw new Error(`resource group ${vm.resourceGroup} is not declared`);
    const rgPrefix = `/subscriptions/${this.subscriptionId}/resourceGroups/`;
    const id = `${rgPrefix}${rg.name}/providers/Microsoft.Compute/virtualMachines/${vm.name}`;
    const last = vm.lastStartTime === undefined ? undefined : Date.parse(vm.lastStartTime);
    const m: Machine = {
      resourceId: id,
      name: vm.name,
      location: vm.location ?? rg.location,
      vmId: this.rng.guid(),
      ephemeralOsDisk: vm.ephemeralOsDisk,
      networkWatcherAgent: vm.networkWatcherAgent,
      power: vm.power,
      createdAt: vm.timeCreated !== undefined ? Date.parse(vm.timeCreated) : (last ?? startedAt) - 30 * 86_400_000,
      provisioningState: vm.provisioningState,
      privateIp: this.nextIp(),
    };
    if (last !== undefined) {
      m.lastStartTime = last;
      m.allocatedAt = last;
      if (vm.power === "running") m.powerSince = last;
    }
    const rec: VmRecord = { id, name: vm.name, resourceGroup: rg.name, spec: vm, machine: m, timeCreated: m.createdAt, extensions: extensionsOf(id, vm.osType, vm.networkWatcherAgent) };
    if (last !== undefined) this.recordHistory(id, rg.name, "Microsoft.Compute/virtualMachines", last, startedAt);
    if (vm.availabilitySet !== undefined) {
      rec.availabilitySetId = `${rgPrefix}${rg.name}/providers/Microsoft.Compute/availabilitySets/${vm.availabilitySet}`;
      const setKey = rec.availabilitySetId.toLowerCase();
      const members = this.availabilitySetMembers.get(setKey) ?? 0;
      rec.platformUpdateDomain = members % (this.updateDomainCounts.get(setKey) ?? 5);
      this.availabilitySetMembers.set(setKey, members + 1);
    }
    if (vm.flexScaleSet !== undefined) rec.flexScaleSetId = `${rgPrefix}${rg.name}/providers/Microsoft.Compute/virtualMachineScaleSets/${vm.flexScaleSet}`;
    this.vms.set(id.toLowerCase(), rec);
    this.vmList.push(rec);
    pushTo(this.vmsByRg, rg.name.toLowerCase(), rec);
    return rec;
  }

  // ---------------------------------------------------------------- other actors (actors.ts scripts them)

  /** The scenario's other actors (actors.ts): owners and the platform, fired lazily against the clock like everything else. */
  actors: ActorHooks | undefined;

  /** A created VM's fields, as `vms[]` takes them (the scenario was checked when loaded). */
  createdVmSpec(raw: Record<string, unknown>): ScenarioVm {
    return VmSchema.parse(raw);
  }

  /** Fires the other actors' events due by `now` (each at its own time). */
  settleActors(now: number): void {
    this.actors?.fireDue(this, now);
  }

  /** The product's first write on a VM: the events scripted for that moment take effect before it is handled. */
  touch(resourceId: string, now: number): void {
    this.actors?.fireTouch(this, resourceId.toLowerCase(), now);
  }

  /** A VM's resource id, whether or not it exists. */
  vmIdOf(resourceGroup: string, name: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
  }

  /** A VM by resource group and name, if it (still) exists. */
  findVm(resourceGroup: string, name: string): VmRecord | undefined {
    return this.vms.get(this.vmIdOf(resourceGroup, name).toLowerCase());
  }

  /**
   * An owner's power action on a VM (portal, CLI, an auto-shutdown schedule), as Azure takes it: an action meeting
   * an operation in flight waits until that ends (`busyUntil`: the portal refuses with a conflict and people try
   * again); a powerOff of a deallocated VM is refused like ours; a VM already there is left as it is.
   */
  ownerPower(vm: VmRecord, kind: PowerOp, actor: Actor, at: number): ActorResult {
    const m = vm.machine;
    this.settleMachine(m, at);
    if (m.pending !== undefined) return { busyUntil: m.pending.endsAt };
    if (kind === "powerOff" && (m.power === "deallocated" || m.power === "deallocating")) return { refused: "OperationNotAllowed" };
    const type = "Microsoft.Compute/virtualMachines";
    const op = this.newOperation("Microsoft.Compute", m.location, OWNER_OPERATION[kind], "2024-07-01", at);
    op.activity = { resourceId: vm.id, resourceGroup: vm.resourceGroup, resourceType: type, operationName: `${type}/${kind}/action`, correlationId: op.id, ...actor };
    this.logActivity(op.activity, "Started", at);
    if (m.power === TARGET[kind]) {
      op.endsAt = at;
      return {};
    }
    op.endsAt = this.transition(op, m, kind, at, jittered(this.scenario.behaviour.latencies[kind], this.scenario.behaviour.jitter, this.rng));
    return {};
  }

  /**
   * A spot VM evicted by the platform: deallocated (about 30 seconds after the notice the VM receives through Scheduled
   * Events) or deleted, as its evictionPolicy says. The Activity Log records `Microsoft.Compute/virtualMachines/evictSpotVM/action`
   * (the operation public Activity Log captures show for a real eviction; the scale-set form
   * `Microsoft.Compute/virtualMachineScaleSets/evictSpotVM/action`). UNVERIFIED: the caller Azure records for it.
   */
  evictSpotVm(vm: VmRecord, at: number): ActorResult {
    const m = vm.machine;
    this.settleMachine(m, at);
    if (m.pending !== undefined) return { busyUntil: m.pending.endsAt };
    if (m.power !== "running" && m.power !== "stopped") return { refused: "NotAllocated" };
    const type = "Microsoft.Compute/virtualMachines";
    const activity = { resourceId: vm.id, resourceGroup: vm.resourceGroup, resourceType: type, operationName: `${type}/evictSpotVM/action`, ...PLATFORM };
    if (vm.spec.evictionPolicy === "Delete") {
      this.logActivity({ ...activity, correlationId: this.eventGuid() }, "Succeeded", at);
      this.removeVm(vm, at);
      return {};
    }
    const op = this.newOperation("Microsoft.Compute", m.location, "vmDeallocate", "2024-07-01", at);
    op.activity = { ...activity, correlationId: op.id };
    this.logActivity(op.activity, "Started", at);
    op.endsAt = this.transition(op, m, "deallocate", at, SPOT_EVICTION_NOTICE_MS);
    return {};
  }

  /** An owner deletes a VM: gone from every read at once (ARM answers 404 from then on), recorded in the Activity Log. */
  deleteVm(vm: VmRecord, actor: Actor, at: number): ActorResult {
    const m = vm.machine;
    this.settleMachine(m, at);
    if (m.pending !== undefined) return { busyUntil: m.pending.endsAt };
    const type = "Microsoft.Compute/virtualMachines";
    this.logActivity({ resourceId: vm.id, resourceGroup: vm.resourceGroup, resourceType: type, operationName: `${type}/delete`, correlationId: this.eventGuid(), httpMethod: "DELETE", ...actor }, "Succeeded", at);
    this.removeVm(vm, at);
    return {};
  }

  /** Someone creates a VM during the run: it starts running at once, allocated after the exemption if there is one. */
  createVm(spec: ScenarioVm, actor: Actor, at: number): ActorResult {
    if (this.findVm(spec.resourceGroup, spec.name) !== undefined) return { refused: "AlreadyExists" };
    const rec = this.addVm({ ...spec, timeCreated: new Date(at).toISOString(), lastStartTime: undefined }, at);
    const m = rec.machine;
    m.power = "running";
    m.powerSince = at;
    m.lastStartTime = at;
    m.allocatedAt = at;
    this.record(m, "absent", "running", at);
    const type = "Microsoft.Compute/virtualMachines";
    this.logActivity({ resourceId: rec.id, resourceGroup: rec.resourceGroup, resourceType: type, operationName: `${type}/write`, correlationId: this.eventGuid(), httpMethod: "PUT", ...actor }, "Succeeded", at);
    return {};
  }

  private removeVm(vm: VmRecord, at: number): void {
    this.record(vm.machine, vm.machine.power, "absent", at);
    this.vms.delete(vm.id.toLowerCase());
    const i = this.vmList.indexOf(vm);
    if (i >= 0) this.vmList.splice(i, 1);
    const byRg = this.vmsByRg.get(vm.resourceGroup.toLowerCase());
    const j = byRg?.indexOf(vm) ?? -1;
    if (byRg !== undefined && j >= 0) byRg.splice(j, 1);
  }

  /** Puts a machine into a step's transition, ending `latencyMs` later; returns when it ends. */
  private transition(op: Operation, m: Machine, kind: PowerOp, at: number, latencyMs: number): number {
    const from = m.power as StablePower;
    const t: Transition = { op, kind, from, transitional: TRANSITIONAL[kind], target: TARGET[kind], endsAt: at + latencyMs };
    this.record(m, from, t.transitional, at);
    m.power = t.transitional;
    m.powerSince = at;
    m.provisioningState = "Updating";
    m.pending = t;
    op.machines.push(m);
    return t.endsAt;
  }

  // ---------------------------------------------------------------- settling

  /** Applies a machine's finished transition, if its end time has passed. */
  settleMachine(m: Machine, now: number): void {
    const t = m.pending;
    if (t === undefined || now < t.endsAt) return;
    const final = t.failure?.revertTo ?? t.target;
    this.record(m, t.transitional, final, t.endsAt);
    m.power = final;
    m.powerSince = t.endsAt;
    m.pending = undefined;
    if (t.failure) {
      m.provisioningState = "Failed";
      // The instance view names the real cause (ProvisioningState/failed/AllocationFailed), wrapped or not.
      m.provisioningError = t.failure.details?.[0]?.code ?? t.failure.code;
    } else {
      m.provisioningState = "Succeeded";
      m.provisioningError = undefined;
      if (t.kind === "start") {
        m.lastStartTime = t.endsAt;
        if (t.from === "deallocated") m.allocatedAt = t.endsAt;
        this.bootAgents(m, t.endsAt);
      }
    }
  }

  /**
   * A machine that just reached running has a guest still booting: its VM agent reports Ready minutes later, and
   * the extensions after it (azure-facts §5d: PowerState/running comes before the agent and extensions are
   * ready). Jitter is drawn from the machine's own seed, so the world's draws do not shift.
   */
  private bootAgents(m: Machine, runningAt: number): void {
    const a = this.scenario.behaviour.agentReady;
    const rng = createRng(hashOf(`${m.vmId}|${runningAt}`));
    m.agentReadyAt = runningAt + jittered(a.afterStartSeconds, this.scenario.behaviour.jitter, rng);
    m.extensionsReadyAt = m.agentReadyAt + jittered(a.extensionsAfterAgentSeconds, this.scenario.behaviour.jitter, rng);
    m.checksReadyAt = m.extensionsReadyAt + jittered(a.checksAfterExtensionsSeconds, this.scenario.behaviour.jitter, rng);
  }

  settleVnet(v: VnetState, now: number): void {
    if (v.pending !== undefined) this.settleOperation(v.pending, now);
  }

  /** Settles whatever of the operation has finished; returns its status. */
  settleOperation(op: Operation, now: number): "InProgress" | "Succeeded" | "Failed" {
    if (!op.settled) {
      for (const m of op.machines) if (m.pending?.op === op) this.settleMachine(m, now);
      if (now >= op.endsAt) {
        const change = op.subnetChange;
        if (change !== undefined) this.finishSubnetChange(op, change);
        op.settled = true;
        this.active.delete(op);
        if (op.activity !== undefined) this.logActivity(op.activity, op.failure === undefined ? "Succeeded" : "Failed", op.endsAt);
      }
    }
    if (!op.settled) return "InProgress";
    return op.failure === undefined ? "Succeeded" : "Failed";
  }

  settleAll(now: number): void {
    this.settleActors(now);
    for (const op of [...this.active]) this.settleOperation(op, now);
  }

  private record(m: Machine, from: string, to: string, at: number): void {
    const c: StateChange = { resourceId: m.resourceId, from, to, at };
    if (m.instanceId !== undefined) c.instanceId = m.instanceId;
    this.changes.push(c);
  }

  /** Activity Log events queryable at `now` (submitted, within the retention), newest first. */
  activityEvents(now: number): ActivityEvent[] {
    this.settleAll(now);
    return this.activityLog.filter((e) => e.submittedAt <= now && e.at >= now - ACTIVITY_LOG_RETENTION_MS).sort((a, b) => b.at - a.at);
  }

  private logActivity(base: NonNullable<Operation["activity"]>, status: ActivityEvent["status"], at: number): void {
    this.activityLog.push({ ...base, resourceId: computeResourceId(base.resourceId), resourceGroup: base.resourceGroup.toUpperCase(), eventDataId: this.eventGuid(), status, at, submittedAt: at + ACTIVITY_LOG_LAG_MS });
  }

  /** Event ids from their own counter, so that logging never shifts the seed's draws. */
  private eventCounter = 0;
  private eventGuid(): string {
    const n = (this.eventCounter++).toString(16).padStart(12, "0");
    return `e0e0e0e0-0000-4000-8000-${n}`;
  }

  /** A machine's history before the simulation: deallocated, then started at `startedAtMs`, both already queryable. */
  private recordHistory(resourceId: string, resourceGroup: string, type: string, startedAtMs: number, simulationStart: number): void {
    for (const [kind, at] of [["deallocate", startedAtMs - 5 * 60_000], ["start", startedAtMs]] as const) {
      const base = { resourceId, resourceGroup, resourceType: type, operationName: `${type}/${kind}/action`, correlationId: this.eventGuid() };
      this.activityLog.push({ ...base, resourceId: computeResourceId(resourceId), resourceGroup: resourceGroup.toUpperCase(), eventDataId: this.eventGuid(), status: "Succeeded", at, submittedAt: Math.min(at + ACTIVITY_LOG_LAG_MS, simulationStart) });
    }
  }

  timeline(now: number, resourceId?: string): StateChange[] {
    this.settleAll(now);
    const key = resourceId?.toLowerCase();
    const list = key === undefined ? [...this.changes] : this.changes.filter((c) => c.resourceId.toLowerCase() === key);
    return list.sort((a, b) => a.at - b.at);
  }

  // ---------------------------------------------------------------- power operations

  private newOperation(
    provider: Operation["provider"],
    location: string,
    name: OperationName,
    apiVersion: string,
    now: number,
  ): Operation {
    const op: Operation = { id: this.rng.guid(), provider, location, name, apiVersion, startedAt: now, endsAt: now, machines: [], settled: false };
    this.operations.set(op.id, op);
    this.active.add(op);
    return op;
  }

  /**
   * Azure refuses powerOff of a VM that is deallocated or being deallocated: 409 OperationNotAllowed, "Operation
   * 'powerOff' is not allowed on VM '<name>' since the VM is either deallocated or marked to be deallocated"
   * (hashicorp/terraform-provider-azurerm#28218, microsoft/AzureTRE#4135). The REST spec says the same of a scale set
   * with such an instance, and of its instances, from api-version 2024-07-01 (Azure/azure-rest-api-specs#31426);
   * earlier api-versions are not held to it.
   */
  private refusePowerOffOfDeallocated(machines: readonly Machine[], apiVersion: string): void {
    const refused = machines.filter((m) => m.power === "deallocated" || m.power === "deallocating" || m.pending?.kind === "deallocate");
    const first = refused[0];
    if (first === undefined) return;
    if (first.instanceId === undefined) {
      throw new ArmHttpError(409, "OperationNotAllowed", `Operation 'powerOff' is not allowed on VM '${first.name}' since the VM is either deallocated or marked to be deallocated.`);
    }
    if (apiVersion < SCALE_SET_POWER_OFF_REFUSAL_API_VERSION) return;
    const set = /\/virtualMachineScaleSets\/([^/]+)/i.exec(first.resourceId)?.[1] ?? first.name;
    const ids = refused.map((m) => m.instanceId ?? "").join(", ");
    throw new ArmHttpError(
      409,
      "OperationNotAllowed",
      `Operation 'powerOff' is not allowed on VM scale set '${set}' since its virtual machine(s) ${ids} are either deallocated or marked to be deallocated.`,
    );
  }

  /**
   * Starts powerOff/deallocate/start on one VM or a set of scale-set instances. A machine already in the
   * target state is a no-op; one already doing the same operation joins it (ARM answers retries idempotently).
   */
  beginPower(
    machines: Machine[],
    kind: PowerOp,
    ctx: RequestContext & { apiVersion: string; spike?: ParsedFault & { kind: "latencySpike" } },
    now: number,
  ): Operation {
    for (const m of machines) this.settleMachine(m, now);
    if (kind === "powerOff") this.refusePowerOffOfDeallocated(machines, ctx.apiVersion);
    const joined = machines.length > 0 && machines.every((m) => m.pending?.kind === kind) ? machines[0]?.pending?.op : undefined;
    if (joined !== undefined && machines.every((m) => m.pending?.op === joined)) return joined;
    for (const m of machines) {
      if (m.pending !== undefined) {
        throw new ArmHttpError(
          409,
          "AnotherOperationInProgress",
          `Operation '${kind}' on '${m.name}' cannot run while operation '${m.pending.kind}' is in progress (power state ${m.power}).`,
        );
      }
      if (kind === "deallocate" && m.ephemeralOsDisk) {
        throw new ArmHttpError(409, "OperationNotAllowed", `Operation 'deallocate' is not supported for VM '${m.name}' because it has an ephemeral OS disk.`);
      }
    }
    const first = machines[0];
    const op = this.newOperation("Microsoft.Compute", first?.location ?? "westeurope", ctx.operation, ctx.apiVersion, now);
    if (first !== undefined) {
      // The Activity Log records the operation on the resource the request named: the VM, or the scale set.
      const scaleSet = first.instanceId !== undefined;
      const type = scaleSet ? "Microsoft.Compute/virtualMachineScaleSets" : "Microsoft.Compute/virtualMachines";
      op.activity = {
        resourceId: first.resourceId,
        resourceGroup: resourceGroupOf(first.resourceId),
        resourceType: type,
        operationName: `${type}/${kind}/action`,
        correlationId: op.id,
      };
      this.logActivity(op.activity, "Started", now);
    }
    const movers = machines.filter((m) => m.power !== TARGET[kind]);
    if (movers.length === 0) return op;
    const stuck = this.faults.take("stuckTransition", ctx);
    const failed = this.faults.take("lroFailed", ctx);
    const allocation = kind === "start" && movers.some((m) => m.power === "deallocated") ? this.faults.take("allocationFailure", ctx) : undefined;
    const extra = ctx.spike === undefined ? 0 : ctx.spike.extraSeconds * 1000;
    const base = this.scenario.behaviour.latencies[kind];
    let endsAt = now;
    for (const m of movers) {
      const from = m.power as StablePower;
      const t: Transition = {
        op,
        kind,
        from,
        transitional: TRANSITIONAL[kind],
        target: TARGET[kind],
        endsAt: stuck ? Number.POSITIVE_INFINITY : now + jittered(base, this.scenario.behaviour.jitter, this.rng) + extra,
      };
      if (failed) {
        t.failure = { code: failed.code, message: `The operation '${kind}' on '${m.name}' failed with an internal error.`, revertTo: from };
      } else if (allocation && from === "deallocated") {
        const cause = {
          code: allocation.code,
          message: `Allocation failed (${allocation.code}). We do not have sufficient capacity for the requested VM size in this region. VM '${m.name}' stays deallocated.`,
        };
        t.failure =
          allocation.wrappedIn === undefined
            ? { ...cause, revertTo: "deallocated" }
            : { code: allocation.wrappedIn, message: `The resource operation completed with terminal provisioning state 'Failed'.`, details: [cause], revertTo: "deallocated" };
      }
      this.record(m, from, t.transitional, now);
      m.power = t.transitional;
      m.powerSince = now;
      m.provisioningState = "Updating";
      m.pending = t;
      op.machines.push(m);
      endsAt = Math.max(endsAt, t.endsAt);
      if (t.failure !== undefined && op.failure === undefined) {
        op.failure = { code: t.failure.code, message: t.failure.message, details: t.failure.details };
      }
    }
    op.endsAt = endsAt;
    return op;
  }

  // ---------------------------------------------------------------- subnets

  /** Claims the VNet's write lock or refuses as ARM does while another write is in flight. */
  private lockVnet(v: VnetState, now: number): void {
    this.settleVnet(v, now);
    const p = v.pending;
    if (p === undefined || p.settled) return;
    const mode = this.scenario.behaviour.vnetWriteConflict;
    const use429 = mode === "429" || (mode === "either" && this.rng.next() < 0.5);
    const wait = Number.isFinite(p.endsAt) ? Math.min(60, Math.max(1, Math.ceil((p.endsAt - now) / 1000))) : 60;
    if (use429) {
      // As the network RP answers: a generic RetryableError at the top, the reason in details.
      throw new ArmHttpError(
        429,
        "RetryableError",
        "A retryable error occurred.",
        { "retry-after": String(wait) },
        [
          {
            code: "RetryableErrorDueToAnotherOperation",
            message: `Operation PutSubnetOperation (${p.name}) on virtual network '${v.name}' cannot be performed because another operation on it or a dependent resource is in progress. Retry later.`,
          },
        ],
      );
    }
    throw new ArmHttpError(409, "AnotherOperationInProgress", `Another operation on this or dependent resource is in progress. Operation ${p.name} on virtual network '${v.name}' is still running.`);
  }

  private occupied(v: VnetState, except: string): { cidr: Cidr; subnet: string }[] {
    const out: { cidr: Cidr; subnet: string }[] = [];
    for (const [key, s] of v.subnets) {
      if (key === except) continue;
      for (const p of subnetPrefixes(s)) {
        const c = parseCidr(p);
        if (typeof c !== "string") out.push({ cidr: c, subnet: s.name });
      }
    }
    return out;
  }

  beginPutSubnet(
    v: VnetState,
    name: string,
    body: { addressPrefix?: string; addressPrefixes?: string[]; delegations: string[]; networkSecurityGroupId?: string },
    ctx: RequestContext & { apiVersion: string; spike?: ParsedFault & { kind: "latencySpike" } },
    now: number,
  ): { op: Operation; subnet: SubnetState; created: boolean } {
    this.lockVnet(v, now);
    let nsg: NsgRecord | undefined;
    if (body.networkSecurityGroupId !== undefined) {
      // The network RP resolves the reference: an NSG that does not exist, or lives in another region, is refused
      // (InvalidResourceReference, as azure-cli and terraform threads capture it).
      nsg = this.nsgs.get(body.networkSecurityGroupId.toLowerCase());
      if (nsg === undefined || nsg.location !== v.location)
        throw new ArmHttpError(
          400,
          "InvalidResourceReference",
          `Resource ${body.networkSecurityGroupId} referenced by resource ${v.id}/subnets/${name} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
        );
    }
    const prefixes = [...(body.addressPrefix === undefined ? [] : [body.addressPrefix]), ...(body.addressPrefixes ?? [])];
    if (prefixes.length === 0) throw new ArmHttpError(400, "SubnetMissingAddressPrefix", `Subnet '${name}' must have an addressPrefix or addressPrefixes.`);
    const space = v.addressPrefixes.map((p) => parseCidr(p)).filter((c): c is Cidr => typeof c !== "string");
    const key = name.toLowerCase();
    const others = this.occupied(v, key);
    for (const p of prefixes) {
      const c = parseCidr(p);
      if (typeof c === "string") throw new ArmHttpError(400, "NetcfgInvalidSubnet", `Subnet '${name}' is not valid in virtual network '${v.name}': ${c}.`);
      if (c.prefixLength > 29) throw new ArmHttpError(400, "NetcfgInvalidSubnet", `Subnet '${name}' prefix ${p} is smaller than the smallest supported subnet (/29).`);
      if (!space.some((s) => contains(s, c)))
        throw new ArmHttpError(400, "NetcfgSubnetRangeOutsideVnet", `Subnet '${name}' is not valid because its IP address range ${p} is outside the IP address range of virtual network '${v.name}'.`);
      const clash = others.find((o) => overlaps(o.cidr, c));
      if (clash) throw new ArmHttpError(400, "NetcfgSubnetRangesOverlap", `Subnet '${name}' is not valid because its IP address range ${p} overlaps with that of an existing subnet '${clash.subnet}' in virtual network '${v.name}'.`);
    }
    const previous = v.subnets.get(key);
    if (previous?.provisioningState === "Deleting") throw new ArmHttpError(409, "AnotherOperationInProgress", `Subnet '${name}' is being deleted.`);
    const subnet: SubnetState = {
      name: previous?.name ?? name,
      delegations: body.delegations,
      serviceAssociationLinks: previous?.serviceAssociationLinks ?? [],
      ipamAllocations: previous?.ipamAllocations ?? [],
      inUse: previous?.inUse ?? false,
      provisioningState: "Updating",
      etag: (previous?.etag ?? 0) + 1,
    };
    if (body.addressPrefix !== undefined) subnet.addressPrefix = body.addressPrefix;
    if (body.addressPrefixes !== undefined) subnet.addressPrefixes = body.addressPrefixes;
    if (nsg !== undefined) subnet.networkSecurityGroupId = nsg.id;
    v.subnets.set(key, subnet);
    v.etag += 1;
    const op = this.newOperation("Microsoft.Network", v.location, ctx.operation, ctx.apiVersion, now);
    op.subnetChange = previous === undefined ? { vnet: v, subnet, action: "create" } : { vnet: v, subnet, action: "update", previous };
    this.finishNetworkOp(op, ctx, "subnetCreate", now);
    v.pending = op;
    return { op, subnet, created: previous === undefined };
  }

  beginDeleteSubnet(
    v: VnetState,
    name: string,
    ctx: RequestContext & { apiVersion: string; spike?: ParsedFault & { kind: "latencySpike" } },
    now: number,
  ): Operation | undefined {
    this.lockVnet(v, now);
    const key = name.toLowerCase();
    const subnet = v.subnets.get(key);
    if (subnet === undefined) return undefined;
    const blocking = subnet.serviceAssociationLinks.find((l) => !l.allowDelete);
    if (subnet.inUse || blocking !== undefined) {
      const by = blocking !== undefined ? `service association link to ${blocking.linkedResourceType}` : "IP configurations";
      throw new ArmHttpError(400, "InUseSubnetCannotBeDeleted", `Subnet '${subnet.name}' is in use by ${by} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.`);
    }
    subnet.provisioningState = "Deleting";
    const op = this.newOperation("Microsoft.Network", v.location, ctx.operation, ctx.apiVersion, now);
    op.subnetChange = { vnet: v, subnet, action: "delete" };
    this.finishNetworkOp(op, ctx, "subnetDelete", now);
    v.pending = op;
    return op;
  }

  private finishNetworkOp(
    op: Operation,
    ctx: RequestContext & { spike?: ParsedFault & { kind: "latencySpike" } },
    latency: "subnetCreate" | "subnetDelete" | "connectivityCheck" | "effectiveRouteTable",
    now: number,
  ): void {
    const stuck = this.faults.take("stuckTransition", ctx);
    const failed = this.faults.take("lroFailed", ctx);
    const extra = ctx.spike === undefined ? 0 : ctx.spike.extraSeconds * 1000;
    op.endsAt = stuck ? Number.POSITIVE_INFINITY : now + jittered(this.scenario.behaviour.latencies[latency], this.scenario.behaviour.jitter, this.rng) + extra;
    if (failed) op.failure = { code: failed.code, message: `The operation ${op.name} failed with an internal error.` };
  }

  private finishSubnetChange(op: Operation, change: NonNullable<Operation["subnetChange"]>): void {
    const { vnet, subnet, action } = change;
    const key = subnet.name.toLowerCase();
    if (vnet.pending === op) vnet.pending = undefined;
    vnet.etag += 1;
    if (op.failure !== undefined) {
      if (action === "create") vnet.subnets.delete(key);
      else if (action === "update" && change.previous) vnet.subnets.set(key, { ...change.previous, provisioningState: "Succeeded" });
      else subnet.provisioningState = "Succeeded";
      return;
    }
    if (action === "delete") vnet.subnets.delete(key);
    else subnet.provisioningState = "Succeeded";
  }

  /** Finishes a network operation at once (a synchronous answer), when nothing made it fail or hang. */
  completeNow(op: Operation, now: number): boolean {
    if (op.failure !== undefined || !Number.isFinite(op.endsAt)) return false;
    op.endsAt = now;
    this.settleOperation(op, now);
    return true;
  }

  // ---------------------------------------------------------------- effective routes

  /**
   * NetworkInterfaces_GetEffectiveRouteTable: long-running (202, result at the Location), from the routes the
   * simulator routes the VM by. Azure answers only for a NIC attached to a running VM: 400
   * NicMustBeAttachedToRunningVmToGetEffectiveRoutes otherwise (the code as `az network nic
   * show-effective-route-table` reports it; its sibling NicMustBeAttachedToRunningVmToGetEffectiveSecurityGroups is a
   * 400 in Azure/azure-xplat-cli's recorded tests; cloud-custodian/cloud-custodian#3694: an orphan NIC or a stopped
   * VM's NIC gets an error).
   */
  beginEffectiveRouteTable(nic: NicRecord, ctx: RequestContext & { apiVersion: string; spike?: ParsedFault & { kind: "latencySpike" } }, now: number): Operation {
    const m = nic.vm.machine;
    this.settleMachine(m, now);
    if (m.power !== "running")
      throw new ArmHttpError(
        400,
        "NicMustBeAttachedToRunningVmToGetEffectiveRoutes",
        `A network interface must be attached to a running virtual machine to get effective routes. The network interface ${nic.id} is not attached to a running virtual machine.`,
      );
    const op = this.newOperation("Microsoft.Network", nic.location, ctx.operation, ctx.apiVersion, now);
    this.finishNetworkOp(op, ctx, "effectiveRouteTable", now);
    const ref = findSubnet(this.scenario, nic.vm.spec.subnet);
    const routes = ref === undefined ? [{ name: "", addressPrefix: "0.0.0.0/0", nextHopType: "Internet", source: "Default" as const }] : routesOf(this.scenario, ref);
    op.result = { value: effectiveRoutesOf(routes) };
    return op;
  }

  // ---------------------------------------------------------------- connectivity check

  /**
   * A check from a VM whose Network Watcher agent is not ready yet: no verdict. Either the answer the REST spec
   * allows for it (networkWatcher.json: `connectionStatus: Unknown`, and an `AgentStopped` issue, one of the
   * spec's IssueType values, on the source hop, nothing probed), or the operation fails, as the spec's `default`
   * error response allows (no documented code: a generic InternalServerError). `behaviour.agentReady.checkAnswer`
   * picks; "either" varies by a hash of the VM and the time, so the world's draws do not shift.
   */
  private agentNotReadyAnswer(op: Operation, vm: VmRecord, address: string, now: number): void {
    const mode = this.scenario.behaviour.agentReady.checkAnswer;
    const fail = mode === "failed" || (mode === "either" && hashOf(`${vm.machine.vmId}|check|${now}`) % 2 === 1);
    if (fail) {
      op.failure = { code: "InternalServerError", message: `The connectivity check from '${vm.name}' to '${address}' could not be completed.` };
      return;
    }
    op.result = {
      hops: [
        {
          type: "Source",
          id: this.rng.guid(),
          address: vm.machine.privateIp,
          resourceId: vm.id,
          nextHopIds: [],
          issues: [{ origin: "Local", severity: "Error", type: "AgentStopped", context: [] }],
        },
      ],
      connectionStatus: "Unknown",
      probesSent: 0,
      probesFailed: 0,
    };
  }

  beginConnectivityCheck(
    watcher: WatcherRecord,
    body: { sourceId: string; address: string; port: number; protocol: string },
    ctx: RequestContext & { apiVersion: string; spike?: ParsedFault & { kind: "latencySpike" } },
    now: number,
  ): Operation {
    const vm = this.vms.get(body.sourceId.toLowerCase());
    if (vm === undefined) throw new ArmHttpError(400, "InvalidSourceResource", `Source resource '${body.sourceId}' was not found or is not a virtual machine.`);
    const m = vm.machine;
    this.settleMachine(m, now);
    if (m.location !== watcher.location)
      throw new ArmHttpError(400, "InvalidSourceLocation", `Source VM '${vm.name}' is in ${m.location} but Network Watcher '${watcher.name}' watches ${watcher.location}.`);
    if (m.power !== "running") throw new ArmHttpError(400, "VmNotRunning", `Source VM '${vm.name}' must be running (power state ${m.power}).`);
    if (!m.networkWatcherAgent)
      throw new ArmHttpError(400, "NetworkWatcherAgentNotInstalled", `The Network Watcher agent extension is not installed on source VM '${vm.name}'.`);
    const op = this.newOperation("Microsoft.Network", watcher.location, ctx.operation, ctx.apiVersion, now);
    this.finishNetworkOp(op, ctx, "connectivityCheck", now);
    if (m.checksReadyAt !== undefined && now < m.checksReadyAt) {
      this.agentNotReadyAnswer(op, vm, body.address, now);
      return op;
    }
    op.result = this.connectivityAlong(vm, egressOf(this.scenario, findSubnet(this.scenario, vm.spec.subnet)), body);
    return op;
  }

  /**
   * A connectivity check's answer along the VM's egress path (Learn "Connection troubleshoot overview": hop types
   * Source, VirtualAppliance, VnetLocal, Internet). Direct to the internet, TCP 25 passes once the VM was allocated
   * after the exemption took effect; through an appliance or firewall, what that hop does with port 25 decides; a
   * forced tunnel ends at the gateway (on-premises egress is unknown here: "blocked" unless the scenario opens it);
   * a route to None drops it at the source.
   */
  private connectivityAlong(vm: VmRecord, path: SimEgress, body: { address: string; port: number }): unknown {
    const m = vm.machine;
    const eff = this.exemptionEffectiveAt;
    const smtp = body.port === 25;
    const exempt = eff !== undefined && m.allocatedAt !== undefined && m.allocatedAt > eff;
    const nicConfig = `${vm.id.replace(/\/providers\/Microsoft\.Compute\/virtualMachines\/.*$/, "")}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic/ipConfigurations/ipconfig1`;
    // Two ids drawn whatever the path, as for a direct path, so that a scenario without routes draws as it always did.
    const srcHop = this.rng.guid();
    const internetHop = this.rng.guid();
    type Hop = { type: string; id: string; address: string; resourceId: string; nextHopIds: string[]; issues: unknown[] };
    const hops: Hop[] = [{ type: "Source", id: srcHop, address: m.privateIp, resourceId: nicConfig, nextHopIds: [], issues: [] }];
    const source = hops[0] as Hop;
    let last = source;
    const append = (hop: Omit<Hop, "id" | "nextHopIds">, id: string = this.rng.guid()): Hop => {
      const next: Hop = { ...hop, id, nextHopIds: [] };
      last.nextHopIds = [next.id];
      hops.push(next);
      last = next;
      return next;
    };
    let blocked: boolean;
    switch (path.kind) {
      case "internet":
        blocked = smtp && !exempt;
        if (blocked) source.issues = [{ origin: "Outbound", severity: "Error", type: "Platform", context: [{ port: "25" }, { reason: "Outbound SMTP (TCP 25) is blocked for this subscription or VM" }] }];
        break;
      case "appliance":
        append({ type: "VirtualAppliance", address: path.address, resourceId: path.at?.resourceId ?? "Unknown", issues: [] });
        blocked = smtp && path.at?.port25 !== "open";
        break;
      case "gateway":
        append({ type: "VirtualNetworkGateway", address: "", resourceId: "Unknown", issues: [] });
        blocked = smtp && path.gateway?.port25 !== "open";
        break;
      default:
        blocked = true;
        source.issues = [{ origin: "Outbound", severity: "Error", type: "UserDefinedRoute", context: [{ route: path.route }, { nextHopType: "None" }] }];
    }
    if (!blocked) append({ type: "Internet", address: body.address, resourceId: "Internet", issues: [] }, internetHop);
    return {
      hops,
      connectionStatus: this.shapes.connectionVocabulary() === "spec" ? (blocked ? "Disconnected" : "Connected") : blocked ? "Unreachable" : "Reachable",
      ...(blocked ? {} : { avgLatencyInMs: 12, minLatencyInMs: 9, maxLatencyInMs: 21 }),
      probesSent: 30,
      probesFailed: blocked ? 30 : 0,
    };
  }
}

export function subnetPrefixes(s: SubnetState): string[] {
  return [...(s.addressPrefix === undefined ? [] : [s.addressPrefix]), ...(s.addressPrefixes ?? []), ...s.ipamAllocations.flatMap((a) => a.allocatedAddressPrefixes)];
}

/** The resource group named in a resource id. */
function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? "";
}

/** An id as Microsoft.Compute writes it: the resource group upper-cased. */
export function computeResourceId(id: string): string {
  return id.replace(/^(\/subscriptions\/[^/]+\/resourceGroups\/)([^/]+)/i, (_all: string, head: string, rg: string) => `${head}${rg.toUpperCase()}`);
}

/** Names people give the Network Watcher agent's extension (the portal's is AzureNetworkWatcherExtension). */
const AGENT_EXTENSION_NAMES = ["AzureNetworkWatcherExtension", "NetworkWatcherAgent", "Microsoft.Azure.NetworkWatcher.NetworkWatcherAgent", "networkwatcher", "nw-agent"];

/** FNV-1a of a string: a VM's own seed, so its extensions do not depend on (or shift) the world's draws. */
function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A VM's extensions, seeded by its id: the agent (when installed) under a varying name, and sometimes others. */
function extensionsOf(vmId: string, os: "Linux" | "Windows", agent: boolean): SimExtension[] {
  const rng = createRng(hashOf(vmId.toLowerCase()));
  const out: SimExtension[] = [];
  if (rng.next() < 0.5) {
    out.push(os === "Windows"
      ? { name: "AzureMonitorWindowsAgent", publisher: "Microsoft.Azure.Monitor", type: "AzureMonitorWindowsAgent", version: "1.22" }
      : { name: "AzureMonitorLinuxAgent", publisher: "Microsoft.Azure.Monitor", type: "AzureMonitorLinuxAgent", version: "1.29" });
  }
  const pick = AGENT_EXTENSION_NAMES[rng.int(AGENT_EXTENSION_NAMES.length)] ?? "AzureNetworkWatcherExtension";
  if (agent) {
    const type = os === "Windows" ? "NetworkWatcherAgentWindows" : "NetworkWatcherAgentLinux";
    out.push({ name: pick.endsWith("NetworkWatcherAgent") ? `${pick}${os}` : pick, publisher: "Microsoft.Azure.NetworkWatcher", type, version: "1.4" });
  }
  return out;
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
