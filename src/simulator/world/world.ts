/**
 * The simulated subscription: its resources, built from the scenario, and the one face the routes and the other
 * actors talk to. Each kind of resource keeps its state and rules in a module of its own (as arm-compute splits its
 * client by operation group): power.ts, virtualMachines.ts, scaleSets.ts, networks.ts, subnets.ts,
 * connectivity.ts, actionsOfOthers.ts, with the operations ledger, the Activity Log and the timeline beside them.
 * Power transitions are stored as (operation, start, end) and settled lazily against the clock, so a request costs
 * O(resources touched).
 */
import { ActivityLog, type ActivityEvent } from "./activityLog";
import { ActionsOfOthers } from "./actionsOfOthers";
import { Connectivity, type ConnectivityCheckBody } from "./connectivity";
import { Networks } from "./networks";
import { OperationLedger, type OperationRequest } from "./operations";
import { PowerStateMachine } from "./power";
import { ScaleSets } from "./scaleSets";
import { SubnetOperations, type SubnetPutBody } from "./subnets";
import { Timeline, type StateChange } from "./timeline";
import type {
  Actor,
  ActorResult,
  Machine,
  NicRecord,
  NsgRecord,
  Operation,
  PowerOp,
  RgRecord,
  ScaleSetRecord,
  SubnetState,
  VmRecord,
  VnetState,
  WatcherRecord,
} from "./types";
import { VirtualMachines } from "./virtualMachines";
import type { FaultEngine } from "../faults";
import { Governance, type LockInput, type PolicyAssignmentInput } from "../governance";
import { createRng, type Rng } from "../rng";
import type { Scenario, ScenarioVm } from "../scenario";
import { VmSchema } from "../scenarioResources";
import { ShapePicker } from "../shapes";

/** What the World asks of the other actors' engine (actors.ts). */
export interface ActorHooks {
  fireDue(w: World, now: number): void;
  fireTouch(w: World, resourceKey: string, now: number): void;
}

export class World {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly rgs = new Map<string, RgRecord>();
  readonly rgList: RgRecord[] = [];
  readonly vms: Map<string, VmRecord>;
  readonly vmList: VmRecord[];
  readonly vmsByRg: Map<string, VmRecord[]>;
  readonly scaleSets: Map<string, ScaleSetRecord>;
  readonly scaleSetList: ScaleSetRecord[];
  readonly scaleSetsByRg: Map<string, ScaleSetRecord[]>;
  readonly vnets: Map<string, VnetState>;
  readonly vnetList: VnetState[];
  readonly vnetsByRg: Map<string, VnetState[]>;
  readonly watchers: Map<string, WatcherRecord>;
  readonly watcherList: WatcherRecord[];
  readonly nics: Map<string, NicRecord>;
  readonly nicList: NicRecord[];
  /** Every operation begun, by id (served at its Azure-AsyncOperation/Location URL). */
  readonly operations: Map<string, Operation>;
  /** Network security groups by lower-cased id. */
  readonly nsgs: Map<string, NsgRecord>;
  /** Management locks and policy assignments, enforced at the front door and on subnet writes (governance.ts). */
  readonly governance: Governance;
  readonly exemptionEffectiveAt: number | undefined;
  /** Picks among the answers ARM allows (its own stream, so that jitter and ids stay as the seed gave them). */
  readonly shapes: ShapePicker;
  /** The scenario's other actors (actors.ts): owners and the platform, fired lazily against the clock like everything else. */
  actors: ActorHooks | undefined;

  private readonly activityLog = new ActivityLog();
  private readonly stateChanges = new Timeline();
  private readonly ledger: OperationLedger;
  private readonly power: PowerStateMachine;
  private readonly virtualMachines: VirtualMachines;
  private readonly networks: Networks;
  private readonly subnets: SubnetOperations;
  private readonly others: ActionsOfOthers;
  private readonly connectivity: Connectivity;
  private ipCounter = 4;

  constructor(
    readonly scenario: Scenario,
    rng: Rng,
    faults: FaultEngine,
    startedAt: number,
    shapeRng: Rng = createRng(0x5bd1e995),
  ) {
    this.shapes = new ShapePicker(shapeRng, scenario.behaviour.responseShapes);
    const sub = scenario.subscription.id.toLowerCase();
    this.subscriptionId = sub;
    this.tenantId = scenario.subscription.tenantId ?? rng.guid();
    this.exemptionEffectiveAt =
      scenario.exemption.exempted && scenario.exemption.effectiveAt !== undefined
        ? Date.parse(scenario.exemption.effectiveAt)
        : undefined;
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
    const behaviour = scenario.behaviour;
    const log = this.activityLog;
    const timeline = this.stateChanges;
    this.ledger = new OperationLedger({
      rng,
      faults,
      behaviour,
      log,
      settleMachine: (m, now) => this.power.settle(m, now),
      finishSubnetChange: (op, change) => this.subnets.finishChange(op, change),
    });
    const ledger = this.ledger;
    this.power = new PowerStateMachine({ behaviour, rng, faults, ledger, log, timeline });
    this.virtualMachines = new VirtualMachines({ subscriptionId: sub, rgs: this.rgs, rng, nextIp, log, timeline });
    const scaleSets = new ScaleSets({ subscriptionId: sub, rng, nextIp, log });
    this.networks = new Networks({ subscriptionId: sub, scenario, rng, rgOf });
    this.subnets = new SubnetOperations({ behaviour, rng, ledger, nsgs: this.networks.nsgs });
    this.others = new ActionsOfOthers({
      behaviour,
      rng,
      ledger,
      log,
      timeline,
      power: this.power,
      vms: this.virtualMachines,
    });
    this.connectivity = new Connectivity({
      scenario,
      rng,
      shapes: this.shapes,
      ledger,
      power: this.power,
      vms: this.virtualMachines.vms,
      exemptionEffectiveAt: this.exemptionEffectiveAt,
    });
    ({ vms: this.vms, vmList: this.vmList, vmsByRg: this.vmsByRg } = this.virtualMachines);
    ({ scaleSets: this.scaleSets, scaleSetList: this.scaleSetList, scaleSetsByRg: this.scaleSetsByRg } = scaleSets);
    ({ vnets: this.vnets, vnetList: this.vnetList, vnetsByRg: this.vnetsByRg, nsgs: this.nsgs } = this.networks);
    ({
      nics: this.nics,
      nicList: this.nicList,
      watchers: this.watchers,
      watcherList: this.watcherList,
    } = this.networks);
    this.operations = ledger.operations;

    // Built in this order: ids and addresses are drawn from the seed as the resources are added.
    for (const ss of scenario.scaleSets) scaleSets.add(ss, rgOf(ss.resourceGroup), startedAt);
    for (const set of scenario.availabilitySets)
      this.virtualMachines.setUpdateDomainCount(
        `${rgPrefix}${rgOf(set.resourceGroup).name}/providers/Microsoft.Compute/availabilitySets/${set.name}`,
        set.platformUpdateDomainCount,
      );
    for (const vm of scenario.vms) this.virtualMachines.add(vm, startedAt);
    for (const vn of scenario.vnets) this.networks.addVnet(vn);
    for (const n of scenario.networkSecurityGroups) {
      const rg = rgOf(n.resourceGroup);
      this.networks.addNsg(n.name, rg.name, n.location ?? rg.location);
    }
    for (const l of scenario.locks) this.governance.addLock(l);
    for (const a of scenario.policyAssignments) this.governance.addPolicyAssignment(a);
    for (const ss of this.scaleSetList) {
      const subnetId = this.networks.subnetIdOf(ss.spec.subnet);
      if (subnetId !== undefined) ss.subnetId = subnetId;
    }
    for (const vm of this.vmList) this.networks.addNic(vm);
    for (const nw of scenario.networkWatchers) this.networks.addWatcher(nw);
  }

  private nextIp(): string {
    const n = this.ipCounter++;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  // ---------------------------------------------------------------- locks and policy (what others change)

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

  // ---------------------------------------------------------------- other actors (actors.ts scripts them)

  /** A created VM's fields, as `vms[]` takes them (the scenario was checked when loaded). */
  createdVmSpec(raw: Record<string, unknown>): ScenarioVm {
    return VmSchema.parse(raw);
  }

  /** Fires the other actors' events due by `now` (each at its own time). */
  settleActors(now: number): void {
    this.actors?.fireDue(this, now);
    this.others.finishDeletes(now);
  }

  /** The product's first write on a VM: the events scripted for that moment take effect before it is handled. */
  touch(resourceId: string, now: number): void {
    this.actors?.fireTouch(this, resourceId.toLowerCase(), now);
  }

  /** A VM's resource id, whether or not it exists. */
  vmIdOf(resourceGroup: string, name: string): string {
    return this.virtualMachines.idOf(resourceGroup, name);
  }

  /** A VM by resource group and name, if it (still) exists. */
  findVm(resourceGroup: string, name: string): VmRecord | undefined {
    return this.virtualMachines.find(resourceGroup, name);
  }

  /** An owner's power action on a VM (actionsOfOthers.ts). */
  ownerPower(vm: VmRecord, kind: PowerOp, actor: Actor, at: number): ActorResult {
    return this.others.power(vm, kind, actor, at);
  }

  /** A spot VM evicted by the platform (actionsOfOthers.ts). */
  evictSpotVm(vm: VmRecord, at: number): ActorResult {
    return this.others.evictSpot(vm, at);
  }

  /** An owner deletes a VM (actionsOfOthers.ts). */
  deleteVm(vm: VmRecord, actor: Actor, at: number): ActorResult {
    return this.others.delete(vm, actor, at);
  }

  /** Someone creates a VM during the run (actionsOfOthers.ts). */
  createVm(spec: ScenarioVm, actor: Actor, at: number): ActorResult {
    return this.others.create(spec, actor, at);
  }

  // ---------------------------------------------------------------- settling and reading back

  /** Applies a machine's finished transition, if its end time has passed. */
  settleMachine(m: Machine, now: number): void {
    this.power.settle(m, now);
  }

  settleVnet(v: VnetState, now: number): void {
    this.subnets.settleVnet(v, now);
  }

  /** Settles whatever of the operation has finished; returns its status. */
  settleOperation(op: Operation, now: number): "InProgress" | "Succeeded" | "Failed" {
    return this.ledger.settle(op, now);
  }

  settleAll(now: number): void {
    this.settleActors(now);
    this.ledger.settleAll(now);
  }

  /** Activity Log events queryable at `now` (submitted, within the retention), within [from, to] if given, newest first. */
  activityEvents(now: number, from?: number, to?: number): ActivityEvent[] {
    this.settleAll(now);
    return this.activityLog.queryable(now, from, to);
  }

  /** What the world keeps for the whole run, counted: records and the distinct strings they share. */
  retained(): ReturnType<ActivityLog["counts"]> &
    ReturnType<Timeline["counts"]> &
    ReturnType<OperationLedger["counts"]> {
    return { ...this.activityLog.counts(), ...this.stateChanges.counts(), ...this.ledger.counts() };
  }

  timeline(now: number, resourceId?: string): StateChange[] {
    this.settleAll(now);
    return this.stateChanges.list(resourceId);
  }

  // ---------------------------------------------------------------- the product's requests

  /** Starts powerOff/deallocate/start on one VM or a set of scale-set instances (power.ts). */
  beginPower(machines: Machine[], kind: PowerOp, ctx: OperationRequest, now: number): Operation {
    return this.power.begin(machines, kind, ctx, now);
  }

  /** Creates or updates a subnet (subnets.ts). */
  beginPutSubnet(
    v: VnetState,
    name: string,
    body: SubnetPutBody,
    ctx: OperationRequest,
    now: number,
  ): { op: Operation; subnet: SubnetState; created: boolean } {
    return this.subnets.put(v, name, body, ctx, now);
  }

  /** Deletes a subnet; undefined when there is none of that name (subnets.ts). */
  beginDeleteSubnet(v: VnetState, name: string, ctx: OperationRequest, now: number): Operation | undefined {
    return this.subnets.delete(v, name, ctx, now);
  }

  /** Finishes a network operation at once (a synchronous answer), when nothing made it fail or hang. */
  completeNow(op: Operation, now: number): boolean {
    return this.ledger.completeNow(op, now);
  }

  /** NetworkInterfaces_GetEffectiveRouteTable (connectivity.ts). */
  beginEffectiveRouteTable(nic: NicRecord, ctx: OperationRequest, now: number): Operation {
    return this.connectivity.effectiveRouteTable(nic, ctx, now);
  }

  /** NetworkWatchers_CheckConnectivity (connectivity.ts). */
  beginConnectivityCheck(
    watcher: WatcherRecord,
    body: ConnectivityCheckBody,
    ctx: OperationRequest,
    now: number,
  ): Operation {
    return this.connectivity.check(watcher, body, ctx, now);
  }
}
