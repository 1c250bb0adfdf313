/**
 * What others do to the VMs while the product runs (actors.ts scripts them): an owner's power action, delete or
 * create, and the platform's spot eviction, each taken as Azure takes it and recorded in the Activity Log.
 */
import type { ActivityEntry, ActivityLog } from "./activityLog";
import { jittered, type OperationLedger } from "./operations";
import { TARGET, type PowerStateMachine } from "./power";
import type { Timeline } from "./timeline";
import type { Actor, ActorResult, PowerOp, VmRecord } from "./types";
import type { VirtualMachines } from "./virtualMachines";
import type { OperationName } from "../faults";
import type { Rng } from "../rng";
import type { Scenario, ScenarioVm } from "../scenario";

/** The platform, as the Activity Log names it for an eviction. UNVERIFIED: the caller Azure records for evictSpotVM. */
const PLATFORM: Actor = { caller: "Microsoft.Compute", claims: {} };
/** A spot VM's eviction notice: at least 30 seconds (Scheduled Events' Preempt), then it is deallocated. */
const SPOT_EVICTION_NOTICE_MS = 30_000;
const OWNER_OPERATION: Record<PowerOp, OperationName> = {
  powerOff: "vmPowerOff",
  deallocate: "vmDeallocate",
  start: "vmStart",
};

const VM_TYPE = "Microsoft.Compute/virtualMachines";

/** The Activity Log's entry for `operation` on a VM (`Microsoft.Compute/virtualMachines/<operation>`) by `actor`. */
function vmEntry(
  vm: VmRecord,
  operation: string,
  correlationId: string,
  actor: Actor,
  httpMethod?: "DELETE" | "PUT",
): ActivityEntry {
  return {
    resourceId: vm.id,
    resourceGroup: vm.resourceGroup,
    resourceType: VM_TYPE,
    operationName: `${VM_TYPE}/${operation}`,
    correlationId,
    ...(httpMethod === undefined ? {} : { httpMethod }),
    ...actor,
  };
}

export interface ActionsOfOthersParts {
  behaviour: Scenario["behaviour"];
  rng: Rng;
  ledger: OperationLedger;
  log: ActivityLog;
  timeline: Timeline;
  power: PowerStateMachine;
  vms: VirtualMachines;
}

export class ActionsOfOthers {
  constructor(private readonly parts: ActionsOfOthersParts) {}

  /**
   * An owner's power action on a VM (portal, CLI, an auto-shutdown schedule), as Azure takes it: an action meeting
   * an operation in flight waits until that ends (`busyUntil`: the portal refuses with a conflict and people try
   * again); a powerOff of a deallocated VM is refused like ours; a VM already there is left as it is.
   */
  power(vm: VmRecord, kind: PowerOp, actor: Actor, at: number): ActorResult {
    const m = vm.machine;
    this.parts.power.settle(m, at);
    if (m.deletingUntil !== undefined) return { refused: "MarkedForDeletion" };
    // Azure may let the newer operation preempt the one in flight (behaviour.powerConflict); else the owner waits. A
    // powerOff never preempts a deallocate: Azure refuses it (power.ts).
    const preemptable =
      m.pending !== undefined &&
      !(kind === "powerOff" && m.pending.kind === "deallocate") &&
      this.parts.power.preempts(m, kind, at);
    if (m.pending !== undefined && !preemptable) return { busyUntil: m.pending.endsAt };
    if (kind === "powerOff" && (m.power === "deallocated" || m.power === "deallocating"))
      return { refused: "OperationNotAllowed" };
    const preempted = preemptable ? this.parts.power.preempt(m, at) : undefined;
    const op = this.parts.ledger.begin("Microsoft.Compute", m.location, OWNER_OPERATION[kind], "2024-07-01", at);
    op.activity = vmEntry(vm, `${kind}/action`, op.id, actor);
    this.parts.log.log(op.activity, "Started", at);
    if (m.power === TARGET[kind]) {
      op.endsAt = at;
      return {};
    }
    op.endsAt = this.parts.power.transition(
      op,
      m,
      kind,
      at,
      jittered(this.parts.behaviour.latencies[kind], this.parts.behaviour.jitter, this.parts.rng),
      preempted,
    );
    return {};
  }

  /**
   * A spot VM evicted by the platform: deallocated (about 30 seconds after the notice the VM receives through Scheduled
   * Events) or deleted, as its evictionPolicy says. The Activity Log records `Microsoft.Compute/virtualMachines/evictSpotVM/action`
   * (the operation public Activity Log captures show for a real eviction; the scale-set form
   * `Microsoft.Compute/virtualMachineScaleSets/evictSpotVM/action`). UNVERIFIED: the caller Azure records for it.
   */
  evictSpot(vm: VmRecord, at: number): ActorResult {
    const m = vm.machine;
    this.parts.power.settle(m, at);
    if (m.deletingUntil !== undefined) return { refused: "MarkedForDeletion" };
    if (m.pending !== undefined) return { busyUntil: m.pending.endsAt };
    if (m.power !== "running" && m.power !== "stopped") return { refused: "NotAllocated" };
    if (vm.spec.evictionPolicy === "Delete") {
      this.parts.log.log(vmEntry(vm, "evictSpotVM/action", this.parts.log.guid(), PLATFORM), "Succeeded", at);
      this.parts.vms.remove(vm, at);
      return {};
    }
    const op = this.parts.ledger.begin("Microsoft.Compute", m.location, "vmDeallocate", "2024-07-01", at);
    op.activity = vmEntry(vm, "evictSpotVM/action", op.id, PLATFORM);
    this.parts.log.log(op.activity, "Started", at);
    op.endsAt = this.parts.power.transition(op, m, "deallocate", at, SPOT_EVICTION_NOTICE_MS);
    return {};
  }

  /**
   * An owner deletes a VM. The delete takes `latencies.delete`: meanwhile the VM is marked for deletion (provisioning
   * state Deleting; every power action refused 409 OperationNotAllowed, power.ts), then it is gone from every read
   * (ARM answers 404). The Activity Log records the delete's start and its end.
   */
  delete(vm: VmRecord, actor: Actor, at: number): ActorResult {
    const m = vm.machine;
    this.parts.power.settle(m, at);
    if (m.deletingUntil !== undefined) return { refused: "MarkedForDeletion" };
    if (m.pending !== undefined) return { busyUntil: m.pending.endsAt };
    const entry = vmEntry(vm, "delete", this.parts.log.guid(), actor, "DELETE");
    const endsAt = at + jittered(this.parts.behaviour.latencies.delete, this.parts.behaviour.jitter, this.parts.rng);
    if (endsAt <= at) {
      this.parts.log.log(entry, "Succeeded", at);
      this.parts.vms.remove(vm, at);
      return {};
    }
    this.parts.log.log(entry, "Started", at);
    m.deletingUntil = endsAt;
    m.provisioningState = "Deleting";
    this.deleting.push({ vm, entry, endsAt });
    return {};
  }

  /** VMs whose delete is under way. */
  private readonly deleting: { vm: VmRecord; entry: ActivityEntry; endsAt: number }[] = [];

  /** Ends the deletes due by `now`: each VM is gone from its delete's end. */
  finishDeletes(now: number): void {
    for (const d of [...this.deleting]) {
      if (d.endsAt > now) continue;
      this.deleting.splice(this.deleting.indexOf(d), 1);
      this.parts.log.log(d.entry, "Succeeded", d.endsAt);
      this.parts.vms.remove(d.vm, d.endsAt);
    }
  }

  /** Someone creates a VM during the run: it starts running at once, allocated after the exemption if there is one. */
  create(spec: ScenarioVm, actor: Actor, at: number): ActorResult {
    if (this.parts.vms.find(spec.resourceGroup, spec.name) !== undefined) return { refused: "AlreadyExists" };
    const rec = this.parts.vms.add({ ...spec, timeCreated: new Date(at).toISOString(), lastStartTime: undefined }, at);
    const m = rec.machine;
    m.power = "running";
    m.powerSince = at;
    m.lastStartTime = at;
    m.allocatedAt = at;
    this.parts.timeline.record(m, "absent", "running", at);
    this.parts.log.log(vmEntry(rec, "write", this.parts.log.guid(), actor, "PUT"), "Succeeded", at);
    return {};
  }
}
