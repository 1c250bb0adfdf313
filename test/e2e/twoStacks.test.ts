/**
 * Two local stacks in one process at once, each with its own simulator, Azurite and durable host: the activities
 * of each reach only the dependencies their stack handed them, whatever the other stack registered since.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../src/cli/localStack";
import type { RemediationResult } from "../../src/contracts/remediation";
import type { RequestLogEntry } from "../../src/simulator/server";
import { scenario, vm } from "./scenarios";

const SUB_A = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const SUB_B = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";

function world(subscriptionId: string, names: readonly string[]): Parameters<typeof startLocalStack>[0]["scenario"] {
  const base = scenario();
  return scenario({
    subscription: { ...base.subscription, id: subscriptionId },
    vms: [
      vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }),
      ...names.map((n) => vm(n)),
    ],
  });
}

const mentions = (e: RequestLogEntry, subscriptionId: string): boolean => e.path.toLowerCase().includes(subscriptionId);
const cycledNames = (r: RemediationResult): string[] =>
  r.outcomes
    .filter((o) => o.outcome === "cycled")
    .map((o) => o.name)
    .sort();

describe("two local stacks in one process", () => {
  const envBefore = process.env.PORT25_ARM_ENDPOINT;
  let a: LocalStack;
  let b: LocalStack;
  let resultA: RemediationResult;
  let resultB: RemediationResult;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    // Both stacks exist (B's activities registered last) before either runs.
    [a, b] = await Promise.all([
      startLocalStack({
        scenario: world(SUB_A, ["app-a1", "app-a2", "app-a3"]),
        audit: true,
        env: { PORT25_AUDIT_TABLE_PREFIX: "stacka" },
      }),
      startLocalStack({
        scenario: world(SUB_B, ["app-b1", "app-b2"]),
        audit: true,
        env: { PORT25_AUDIT_TABLE_PREFIX: "stackb" },
      }),
    ]);
    runA = a.start().runId;
    runB = b.start().runId;
    await Promise.all([a.run(), b.run()]);
    resultA = a.result();
    resultB = b.result();
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it("runs both remediations to the end, each on its own fleet", () => {
    expect(resultA.summary.status).toBe("completed");
    expect(resultB.summary.status).toBe("completed");
    expect(cycledNames(resultA)).toEqual(["app-a1", "app-a2", "app-a3", "canary-01"]);
    expect(cycledNames(resultB)).toEqual(["app-b1", "app-b2", "canary-01"]);
  });

  it("had both runs in flight at once", () => {
    const times = (s: LocalStack): number[] => s.sim.requestLog().map((e) => e.realMs);
    expect(Math.min(...times(a))).toBeLessThan(Math.max(...times(b)));
    expect(Math.min(...times(b))).toBeLessThan(Math.max(...times(a)));
  });

  it("sent each run's requests to its own simulator only", () => {
    const logA = a.sim.requestLog();
    const logB = b.sim.requestLog();
    expect(logA.filter((e) => mentions(e, SUB_B))).toEqual([]);
    expect(logB.filter((e) => mentions(e, SUB_A))).toEqual([]);
    // Each VM's power off, deallocate and start reached its own simulator.
    const powerPosts = (log: RequestLogEntry[]): number =>
      log.filter((e) => e.method === "POST" && /\/(poweroff|deallocate|start)$/i.test(e.path)).length;
    expect(powerPosts(logA)).toBe(4 * 3);
    expect(powerPosts(logB)).toBe(3 * 3);
  });

  it("wrote each run's audit record to its own audit table only", async () => {
    const storeA = a.root.auditStore;
    const storeB = b.root.auditStore;
    if (storeA === undefined || storeB === undefined) throw new Error("both stacks have an audit store");
    expect((await storeA.getRun(runA))?.run.subscriptionId).toBe(SUB_A);
    expect((await storeB.getRun(runB))?.run.subscriptionId).toBe(SUB_B);
    expect((await storeA.listRuns()).runs.map((r) => r.runId)).toEqual([runA]);
    expect((await storeB.listRuns()).runs.map((r) => r.runId)).toEqual([runB]);
  });

  it("left the process's app settings alone", () => {
    expect(process.env.PORT25_ARM_ENDPOINT).toBe(envBefore);
  });
});
