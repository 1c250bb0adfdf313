/**
 * The power state machine of a VM or scale-set instance: powerOff, deallocate and start, each a transition stored as
 * (operation, start, end) and settled lazily against the clock; the refusals Azure answers; and the guest that boots
 * after PowerState/running.
 */
import { resourceGroupOf, type ActivityLog } from "./activityLog";
import { jittered, type OperationLedger, type OperationRequest } from "./operations";
import type { Timeline } from "./timeline";
import type { Machine, Operation, PowerOp, PowerState, StablePower, Transition } from "./types";
import { ArmHttpError } from "../armError";
import type { FaultEngine } from "../faults";
import { createRng, hashOf, type Rng } from "../rng";
import type { Scenario } from "../scenario";

/** The first api-version whose scale-set powerOff refuses deallocated instances (Azure/azure-rest-api-specs#31426). */
const SCALE_SET_POWER_OFF_REFUSAL_API_VERSION = "2024-07-01";

const TRANSITIONAL: Record<PowerOp, PowerState> = {
  powerOff: "stopping",
  deallocate: "deallocating",
  start: "starting",
};
export const TARGET: Record<PowerOp, StablePower> = {
  powerOff: "stopped",
  deallocate: "deallocated",
  start: "running",
};

export interface PowerParts {
  behaviour: Scenario["behaviour"];
  rng: Rng;
  faults: FaultEngine;
  ledger: OperationLedger;
  log: ActivityLog;
  timeline: Timeline;
}

export class PowerStateMachine {
  constructor(private readonly parts: PowerParts) {}

  /**
   * Azure refuses powerOff of a VM that is deallocated or being deallocated: 409 OperationNotAllowed, "Operation
   * 'powerOff' is not allowed on VM '<name>' since the VM is either deallocated or marked to be deallocated"
   * (hashicorp/terraform-provider-azurerm#28218, microsoft/AzureTRE#4135). The REST spec says the same of a scale set
   * with such an instance, and of its instances, from api-version 2024-07-01 (Azure/azure-rest-api-specs#31426);
   * earlier api-versions are not held to it.
   */
  private refusePowerOffOfDeallocated(machines: readonly Machine[], apiVersion: string): void {
    const refused = machines.filter(
      (m) => m.power === "deallocated" || m.power === "deallocating" || m.pending?.kind === "deallocate",
    );
    const first = refused[0];
    if (first === undefined) return;
    if (first.instanceId === undefined) {
      throw new ArmHttpError(
        409,
        "OperationNotAllowed",
        `Operation 'powerOff' is not allowed on VM '${first.name}' since the VM is either deallocated or marked to be deallocated.`,
      );
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
  begin(machines: Machine[], kind: PowerOp, ctx: OperationRequest, now: number): Operation {
    for (const m of machines) this.settle(m, now);
    const deleting = machines.find((m) => m.deletingUntil !== undefined);
    if (deleting !== undefined)
      // Compute's words (Learn "Azure Virtual Machine Error Messages"): only the delete may be sent again.
      throw new ArmHttpError(
        409,
        "OperationNotAllowed",
        `Operation '${kind}' is not allowed on VM '${deleting.name}' since the VM is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete).`,
      );
    if (kind === "powerOff") this.refusePowerOffOfDeallocated(machines, ctx.apiVersion);
    const joined =
      machines.length > 0 && machines.every((m) => m.pending?.kind === kind) ? machines[0]?.pending?.op : undefined;
    if (joined !== undefined && machines.every((m) => m.pending?.op === joined)) return joined;
    const preempting: Machine[] = [];
    for (const m of machines) {
      if (m.pending !== undefined && this.preempts(m, kind, now)) {
        preempting.push(m);
      } else if (m.pending !== undefined) {
        // Compute's own words for it (Learn "Azure Virtual Machine Error Messages", MicrosoftDocs/azure-docs
        // articles/virtual-machines/windows/error-messages.md): OperationNotAllowed, not the network RP's
        // AnotherOperationInProgress.
        throw new ArmHttpError(
          409,
          "OperationNotAllowed",
          `Operation '${kind}' is not allowed on VM '${m.name}' since another operation is in progress.`,
        );
      }
      if (kind === "deallocate" && m.ephemeralOsDisk) {
        throw new ArmHttpError(
          409,
          "OperationNotAllowed",
          `Operation 'deallocate' is not supported for VM '${m.name}' because it has an ephemeral OS disk.`,
        );
      }
    }
    const settledFrom = new Map(preempting.map((m) => [m, this.preempt(m, now)]));
    const first = machines[0];
    const op = this.parts.ledger.begin(
      "Microsoft.Compute",
      first?.location ?? "westeurope",
      ctx.operation,
      ctx.apiVersion,
      now,
    );
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
      this.parts.log.log(op.activity, "Started", now);
    }
    const movers = machines.filter((m) => m.power !== TARGET[kind]);
    if (movers.length === 0) return op;
    const stuck = this.parts.faults.take("stuckTransition", ctx);
    const failed = this.parts.faults.take("lroFailed", ctx);
    const allocation =
      kind === "start" && movers.some((m) => m.power === "deallocated")
        ? this.parts.faults.take("allocationFailure", ctx)
        : undefined;
    const extra = ctx.spike === undefined ? 0 : ctx.spike.extraSeconds * 1000;
    const base = this.parts.behaviour.latencies[kind];
    let endsAt = now;
    for (const m of movers) {
      const from = settledFrom.get(m) ?? (m.power as StablePower);
      const latency = stuck
        ? Number.POSITIVE_INFINITY
        : jittered(base, this.parts.behaviour.jitter, this.parts.rng) + extra;
      const t = this.enter(op, m, kind, now, now + latency, from);
      if (failed) {
        t.failure = {
          code: failed.code,
          message: `The operation '${kind}' on '${m.name}' failed with an internal error.`,
          revertTo: from,
        };
      } else if (allocation && from === "deallocated") {
        const cause = {
          code: allocation.code,
          message: `Allocation failed (${allocation.code}). We do not have sufficient capacity for the requested VM size in this region. VM '${m.name}' stays deallocated.`,
        };
        t.failure =
          allocation.wrappedIn === undefined
            ? { ...cause, revertTo: "deallocated" }
            : {
                code: allocation.wrappedIn,
                message: `The resource operation completed with terminal provisioning state 'Failed'.`,
                details: [cause],
                revertTo: "deallocated",
              };
      }
      endsAt = Math.max(endsAt, t.endsAt);
      if (t.failure !== undefined && op.failure === undefined) {
        op.failure = {
          code: t.failure.code,
          message: t.failure.message,
          ...(t.failure.details !== undefined ? { details: t.failure.details } : {}),
        };
      }
    }
    op.endsAt = endsAt;
    return op;
  }

  /**
   * Whether a `kind` operation sent now preempts the machine's operation in flight rather than meeting a 409
   * (behaviour.powerConflict). Only an operation on that machine alone is preempted: one over several scale-set
   * instances is refused as before.
   */
  preempts(m: Machine, kind: PowerOp, now: number): boolean {
    const t = m.pending;
    if (t === undefined || t.kind === kind || t.op.machines.length !== 1) return false;
    const mode = this.parts.behaviour.powerConflict;
    return mode === "preempt" || (mode === "either" && hashOf(`${m.vmId}|preempt|${now}`) % 2 === 1);
  }

  /**
   * Ends the machine's operation in flight as preempted: Failed with OperationPreempted, now. The machine stays in
   * its transitional state for the newer operation to take over; returns the stable state it was in before, which
   * the newer operation reverts to if it fails.
   */
  preempt(m: Machine, now: number): StablePower {
    const t = m.pending;
    if (t === undefined) return m.power as StablePower;
    t.op.failure = {
      code: "OperationPreempted",
      message: `The operation '${t.kind}' on '${m.name}' was preempted by a later operation on the same resource.`,
    };
    // Its status then reads Canceled or Failed (behaviour.preemptedStatus): Compute is reported to end an operation a
    // later one took over either way (Azure/azure-sdk-for-java#1783, Azure/azure-sdk-for-python#5167).
    const mode = this.parts.behaviour.preemptedStatus;
    if (mode === "Canceled" || (mode === "either" && hashOf(`${t.op.id}|canceled`) % 2 === 1)) t.op.canceled = true;
    t.op.endsAt = now;
    m.pending = undefined;
    return t.from;
  }

  /** Puts a machine into a step's transition, ending `latencyMs` later; returns when it ends. */
  transition(
    op: Operation,
    m: Machine,
    kind: PowerOp,
    at: number,
    latencyMs: number,
    from: StablePower = m.power as StablePower,
  ): number {
    return this.enter(op, m, kind, at, at + latencyMs, from).endsAt;
  }

  /** The machine enters the step's transitional state at `at`, to leave it at `endsAt`: its pending transition. */
  private enter(op: Operation, m: Machine, kind: PowerOp, at: number, endsAt: number, from: StablePower): Transition {
    const t: Transition = { op, kind, from, transitional: TRANSITIONAL[kind], target: TARGET[kind], endsAt };
    if (kind === "start" && from === "deallocated") {
      // Allocated on a host, not yet powered on: Learn's "States and billing status" says Stopped may be observed
      // briefly while a VM starts from deallocated. What the answers show only; the timeline keeps `starting`.
      const glimpse = this.parts.behaviour.stoppedWhileStarting;
      const shownFrom = at + glimpse.afterSeconds * 1000;
      const shownTo = Math.min(endsAt, shownFrom + glimpse.seconds * 1000);
      if (shownTo > shownFrom) t.showsStopped = { from: shownFrom, to: shownTo };
    }
    this.parts.timeline.record(m, m.power, t.transitional, at);
    m.power = t.transitional;
    m.powerSince = at;
    m.provisioningState = "Updating";
    m.pending = t;
    op.machines.push(m);
    return t;
  }

  /** Applies a machine's finished transition, if its end time has passed. */
  settle(m: Machine, now: number): void {
    const t = m.pending;
    if (t === undefined || now < t.endsAt) return;
    const final = t.failure?.revertTo ?? t.target;
    this.parts.timeline.record(m, t.transitional, final, t.endsAt);
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
   * the extensions after it (docs/architecture.md, "Azure's answers": PowerState/running comes before the agent and extensions are
   * ready). Jitter is drawn from the machine's own seed, so the world's draws do not shift.
   */
  private bootAgents(m: Machine, runningAt: number): void {
    const a = this.parts.behaviour.agentReady;
    const rng = createRng(hashOf(`${m.vmId}|${runningAt}`));
    m.agentReadyAt = runningAt + jittered(a.afterStartSeconds, this.parts.behaviour.jitter, rng);
    m.extensionsReadyAt = m.agentReadyAt + jittered(a.extensionsAfterAgentSeconds, this.parts.behaviour.jitter, rng);
    m.checksReadyAt = m.extensionsReadyAt + jittered(a.checksAfterExtensionsSeconds, this.parts.behaviour.jitter, rng);
  }
}
