import { afterEach, describe, expect, it } from "vitest";
import { EventType, InstanceStore, createDurableHost, type DurableHost } from "../../src/durable-host";
import { APP_MODULES, START, eventsOf, testHost } from "./helpers";

const hosts: DurableHost[] = [];
async function track(host: Promise<DurableHost>): Promise<DurableHost> {
  const h = await host;
  hosts.push(h);
  return h;
}
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

describe.each(["V3", "V1"] as const)("at-least-once and replay safety, schema %s", (schema) => {
  it("re-runs an activity whose completion was lost, and the orchestration sees the second run", async () => {
    const host = await track(
      testHost({ schema, dropActivityCompletion: (info) => info.name === "CountRuns" && info.attempt === 0 }),
    );
    const { activityRuns } = await import("./app/activities.js");
    const key = `drop-${schema}`;
    const id = host.startOrchestration("CountOnce", key);
    await host.runUntilIdle();
    expect(host.getStatus(id)?.output).toEqual({ key, run: 2 });
    expect(activityRuns.get(`CountRuns:${key}`)).toBe(2);
    expect(host.stats().activityCompletionsDropped).toBe(1);
    expect(eventsOf(host.getStatus(id)?.history ?? [], EventType.TaskCompleted)).toHaveLength(1);
  });

  it("finishes every instance in a new host resumed from the stored histories of a stopped one", async () => {
    const first = await track(testHost({ schema }));
    const ids = Array.from({ length: 20 }, (_, i) => first.startOrchestration("Steps", `restart-${schema}-${i}`));
    const fan = first.startOrchestration("FanOut", 300);
    const parent = first.startOrchestration("ParentOfMany", 4);
    const partial = await first.runUntilIdle({ maxEpisodes: 30 });
    expect(partial.stoppedBy).toBe("maxEpisodes");
    const running = [...ids, fan, parent].filter((id) => first.getStatus(id)?.runtimeStatus !== "Completed");
    expect(running.length).toBeGreaterThan(0);

    const stored = first.store.clone();
    await first.close();
    const second = await track(
      Promise.resolve(createDurableHost({ schema, store: stored, startTime: first.clock.now() })),
    );
    await second.importApp(APP_MODULES);
    const report = await second.runUntilIdle();
    expect(report.stuck).toEqual([]);
    for (const id of ids) expect(second.getStatus(id)?.output).toBe(3);
    expect(second.getStatus(fan)?.output).toEqual({ count: 300, sum: (300 * 299) / 2 });
    expect(second.getStatus(parent)?.output).toEqual([0, 2, 4, 6]);
  });

  it("carries a child that continued as new through a restart: its earlier timers stay out, an event raised between executions reaches the next, the parent hears the last", async () => {
    const first = await track(testHost({ schema }));
    const parent = first.startOrchestration("ParentOfGenerations", 3);
    await first.runUntilIdle({ maxEpisodes: 1 });
    const created = first.store.get("gens")?.executionId ?? 0;
    // Execution 0 hears "stop" at once and leaves its 5-minute timer in flight; execution 1 waits on its 10 minutes.
    first.raiseEvent("gens", "stop");
    const partial = await first.runUntilIdle({ maxEpisodes: 3 });
    expect(partial.stoppedBy).toBe("maxEpisodes");
    // Execution 1 has just continued as new: "stop" is raised before execution 2 runs, then the host restarts.
    expect(first.store.get("gens")?.executionId).toBe(created + 2);
    expect(first.getStatus("gens")?.runtimeStatus).toBe("Running");
    first.raiseEvent("gens", "stop");
    const stored = first.store.clone();
    await first.close();
    const second = await track(
      Promise.resolve(createDurableHost({ schema, store: stored, startTime: first.clock.now() })),
    );
    await second.importApp(APP_MODULES);
    const report = await second.runUntilIdle();
    expect(report.stuck).toEqual([]);
    expect(second.getStatus("gens")?.output).toEqual([0, 10, 0]);
    expect(second.getStatus(parent)?.output).toEqual([0, 10, 0]);
  });

  it("fails an orchestrator whose replay diverges from its history with a clear message", async () => {
    const host = await track(testHost({ schema }));
    const { drift } = await import("./app/orchestrations.js");
    drift.variant = "a";
    const id = host.startOrchestration("Drifting");
    try {
      await host.runUntilIdle({ maxEpisodes: 1 });
      drift.variant = "b";
      await host.runUntilIdle();
    } finally {
      drift.variant = "a";
    }
    const status = host.getStatus(id);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.failureDetails?.errorType).toBe("NonDeterministicOrchestrationException");
    expect(status?.failureDetails?.errorMessage).toMatch(
      /^Non-Deterministic workflow detected: .*activity 'Echo' with sequence id 0, but replaying the orchestrator scheduled activity 'Double'/,
    );
  });

  it("delivers completions in a shuffled order without changing results", async () => {
    const host = await track(testHost({ schema, completionOrder: "shuffled", shuffleSeed: 7 }));
    const id = host.startOrchestration("FanOut", 200);
    await host.runUntilIdle();
    const history = host.getStatus(id)?.history ?? [];
    const order = eventsOf(history, EventType.TaskCompleted).map((e) => e.TaskScheduledId);
    expect(order).not.toEqual([...order].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(host.getStatus(id)?.output).toEqual({ count: 200, sum: (200 * 199) / 2 });
  });

  it("reports an instance left with nothing pending when a retry timeout is exceeded", async () => {
    const host = await track(testHost({ schema }));
    const id = host.startOrchestration("RetryTimeout");
    const report = await host.runUntilIdle();
    expect(host.getStatus(id)?.runtimeStatus).toBe("Running");
    expect(report.stuck.map((s) => s.instanceId)).toEqual([id]);
    expect(eventsOf(host.getStatus(id)?.history ?? [], EventType.TaskScheduled)).toHaveLength(3);
  });
});

describe("durable host instrumentation", () => {
  it("counts replays, history length and orchestrator CPU time per instance", async () => {
    const host = await track(testHost());
    const id = host.startOrchestration("Hello");
    await host.runUntilIdle();
    const stats = host.stats();
    const entry = stats.instances.find((i) => i.instanceId === id);
    expect(entry?.replays).toBe(4);
    expect(entry?.historyLength).toBe(host.getStatus(id)?.history.length);
    expect(stats.episodes).toBe(4);
    expect(stats.activitiesRun).toBe(3);
    expect(stats.orchestratorCpuMs).toBeGreaterThan(0);
  });

  it("reports progress events for status changes, episodes and timers", async () => {
    const seen: string[] = [];
    const host = await track(
      testHost({
        onProgress: (e) => {
          if (e.type === "statusChanged") seen.push(`${e.previous ?? "new"}->${e.runtimeStatus}`);
          if (e.type === "timerFired") seen.push("timer");
        },
      }),
    );
    host.startOrchestration("ApprovalOrTimeout");
    await host.runUntilIdle();
    expect(seen).toEqual(["new->Pending", "Pending->Running", "timer", "Running->Completed"]);
  });

  it("stops at maxEpisodes and carries on from there on the next call", async () => {
    const host = await track(testHost());
    const id = host.startOrchestration("Hello");
    const partial = await host.runUntilIdle({ maxEpisodes: 2 });
    expect(partial).toMatchObject({ stoppedBy: "maxEpisodes", episodes: 2 });
    expect(host.getStatus(id)?.runtimeStatus).toBe("Running");
    const rest = await host.runUntilIdle();
    expect(rest).toMatchObject({ stoppedBy: "idle", episodes: 2 });
    expect(host.getStatus(id)?.runtimeStatus).toBe("Completed");
  });

  it("shares its virtual clock, which only timers move", async () => {
    const host = await track(testHost());
    host.startOrchestration("Steps", "clock");
    await host.runUntilIdle();
    expect(host.clock.now()).toBe(START + 3 * 60_000);
  });
});

describe("durable host boundaries", () => {
  it("fails an orchestration that calls an activity the app does not register", async () => {
    const host = await track(testHost());
    const id = host.startOrchestration("CallsMissing");
    await host.runUntilIdle();
    expect(host.getStatus(id)?.failureDetails?.errorMessage).toBe(
      "Orchestrator function 'CallsMissing' failed: The function 'NoSuchActivity' is not registered as an activity function in this app.",
    );
  });

  it("refuses a stored state that is not an instance table", () => {
    expect(() => InstanceStore.fromJSON('[{"instanceId":"x"}]')).toThrow();
  });

  it("refuses to start an orchestration that is not registered, or a second live instance with the same id", async () => {
    const host = await track(testHost());
    expect(() => host.startOrchestration("Nope")).toThrow(expect.objectContaining({ code: "FunctionNotFound" }));
    host.startOrchestration("WaitForever", undefined, { instanceId: "dup" });
    expect(() => host.startOrchestration("WaitForever", undefined, { instanceId: "dup" })).toThrow(
      expect.objectContaining({ statusCode: 409 }),
    );
  });
});
