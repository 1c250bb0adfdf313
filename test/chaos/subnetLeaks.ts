/**
 * Invariant 4 under injected LRO failures. test/support/invariants.ts reads "created" as "a PUT of a temporary
 * subnet was accepted" and wants a successful DELETE for each. When the creation's long-running operation ends
 * Failed, ARM (and the simulator) roll the subnet back: there is nothing left to delete, and the product rightly
 * sends no DELETE that succeeds. Such a subnet is not a leak when a later read of it answered 404 and the final
 * state holds no temporary subnet of that name; anything else stays a violation.
 */
import type { SimulatorHandle } from "../../src/simulator";
import type { Violation } from "../support/invariants";

const CREATED_NOT_DELETED = /^temporary subnet (\S+) was created but never deleted$/;

export function withoutRolledBackSubnets(sim: SimulatorHandle, violations: readonly Violation[]): Violation[] {
  const log = sim.requestLog();
  const remaining = new Set(
    sim.snapshot().vnets.flatMap((v) => v.subnets.map((s) => `${v.id}/subnets/${s.name}`.toLowerCase())),
  );
  return violations.filter((v) => {
    const m = v.invariant === 4 ? CREATED_NOT_DELETED.exec(v.message) : null;
    const path = m?.[1];
    if (path === undefined) return true;
    if (remaining.has(path)) return true;
    const lastCreate = log.reduce(
      (at, e, i) => (e.method === "PUT" && e.status < 300 && e.path.toLowerCase() === path ? i : at),
      -1,
    );
    const goneAfter = log
      .slice(lastCreate + 1)
      .some((e) => e.method === "GET" && e.status === 404 && e.path.toLowerCase() === path);
    return !goneAfter;
  });
}
