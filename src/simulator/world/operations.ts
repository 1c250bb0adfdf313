/**
 * The operations ledger: every long-running operation the world began (Microsoft.Compute's and Microsoft.Network's),
 * served by id at its Azure-AsyncOperation/Location URL, and the ones still in flight, settled lazily against the
 * clock so that a request costs only what it touches.
 */
import type { ActivityLog } from "./activityLog";
import type { Machine, Operation } from "./types";
import type { FaultEngine, OperationName, ParsedFault, RequestContext } from "../faults";
import type { Rng } from "../rng";
import type { Scenario } from "../scenario";

/** A request that begins an operation: what the fault engine matches on, its api-version, and a latency spike if one fired. */
export type OperationRequest = RequestContext & { apiVersion: string; spike?: ParsedFault & { kind: "latencySpike" } };

/** Seconds with ±jitter, as integer milliseconds. */
export function jittered(seconds: number, jitter: number, rng: Rng): number {
  return Math.max(0, Math.round(seconds * 1000 * (1 + jitter * (2 * rng.next() - 1))));
}

export interface LedgerParts {
  rng: Rng;
  faults: FaultEngine;
  behaviour: Scenario["behaviour"];
  log: ActivityLog;
  /** Applies a machine's finished transition (power.ts). */
  settleMachine(m: Machine, now: number): void;
  /** Applies a subnet write once its operation ended (subnets.ts). */
  finishSubnetChange(op: Operation, change: NonNullable<Operation["subnetChange"]>): void;
}

export class OperationLedger {
  /** Every operation begun, by id. */
  readonly operations = new Map<string, Operation>();
  private readonly active = new Set<Operation>();

  constructor(private readonly parts: LedgerParts) {}

  begin(
    provider: Operation["provider"],
    location: string,
    name: OperationName,
    apiVersion: string,
    now: number,
  ): Operation {
    const op: Operation = {
      id: this.parts.rng.guid(),
      provider,
      location,
      name,
      apiVersion,
      startedAt: now,
      endsAt: now,
      machines: [],
      settled: false,
    };
    this.operations.set(op.id, op);
    this.active.add(op);
    return op;
  }

  /** Settles whatever of the operation has finished; returns its status. */
  settle(op: Operation, now: number): "InProgress" | "Succeeded" | "Failed" {
    if (!op.settled) {
      for (const m of op.machines) if (m.pending?.op === op) this.parts.settleMachine(m, now);
      if (now >= op.endsAt) {
        const change = op.subnetChange;
        if (change !== undefined) this.parts.finishSubnetChange(op, change);
        op.settled = true;
        this.active.delete(op);
        if (op.activity !== undefined)
          this.parts.log.log(op.activity, op.failure === undefined ? "Succeeded" : "Failed", op.endsAt);
        this.release(op);
      }
    }
    if (!op.settled) return "InProgress";
    return op.failure === undefined ? "Succeeded" : "Failed";
  }

  /**
   * A settled operation keeps only what its status and result URLs serve (id, times, failure, result): the machines,
   * the subnet change and the Activity Log entry it carried are let go, so the ledger of a long run holds a small
   * record per operation rather than everything the operation touched.
   */
  private release(op: Operation): void {
    if (op.machines.every((m) => m.pending?.op !== op)) op.machines = [];
    delete op.subnetChange;
    delete op.activity;
  }

  /** Operations kept, and how many of the settled ones still hold what they touched (test/e2e/footprint.test.ts). */
  counts(): { operations: number; settledHolding: number } {
    let holding = 0;
    for (const op of this.operations.values())
      if (op.settled && (op.machines.length > 0 || op.activity !== undefined || op.subnetChange !== undefined))
        holding++;
    return { operations: this.operations.size, settledHolding: holding };
  }

  /** Settles every operation in flight. */
  settleAll(now: number): void {
    for (const op of [...this.active]) this.settle(op, now);
  }

  /** Gives a network operation its end (its latency, jittered, plus any spike) and the faults armed for it. */
  timeNetworkOp(
    op: Operation,
    ctx: RequestContext & { spike?: ParsedFault & { kind: "latencySpike" } },
    latency: "subnetCreate" | "subnetDelete" | "connectivityCheck" | "effectiveRouteTable",
    now: number,
  ): void {
    const { faults, behaviour, rng } = this.parts;
    const stuck = faults.take("stuckTransition", ctx);
    const failed = faults.take("lroFailed", ctx);
    const extra = ctx.spike === undefined ? 0 : ctx.spike.extraSeconds * 1000;
    op.endsAt = stuck
      ? Number.POSITIVE_INFINITY
      : now + jittered(behaviour.latencies[latency], behaviour.jitter, rng) + extra;
    if (failed) op.failure = { code: failed.code, message: `The operation ${op.name} failed with an internal error.` };
  }

  /** Finishes a network operation at once (a synchronous answer), when nothing made it fail or hang. */
  completeNow(op: Operation, now: number): boolean {
    if (op.failure !== undefined || !Number.isFinite(op.endsAt)) return false;
    op.endsAt = now;
    this.settle(op, now);
    return true;
  }
}
