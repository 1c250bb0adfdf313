import { afterEach, describe, expect, it } from "vitest";
import { EventType, type DurableHost } from "../../src/durable-host";
import { START, eventsOf, testHost } from "./helpers";

describe.each(["V3", "V1"] as const)("durable host, replay schema %s", (schema) => {
  let host: DurableHost;
  afterEach(async () => {
    await host.close();
  });

  it("fans out 5,000 activities and delivers their completions in one episode", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("FanOut", 5000);
    const report = await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toEqual({ count: 5000, sum: (5000 * 4999) / 2 });
    expect(report.activitiesRun).toBe(5000);
    expect(status?.replays).toBe(2);
    const scheduled = eventsOf(status?.history ?? [], EventType.TaskScheduled).map((e) => e.EventId);
    expect(scheduled).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it("retries an activity that fails twice, with a timer after each failure, then succeeds", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("RetryTwice", `retry-${schema}`);
    await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.output).toEqual({ result: { attempt: 3 }, finishedAt: new Date(START + 2000).toISOString() });
    const history = status?.history ?? [];
    expect(eventsOf(history, EventType.TaskScheduled).map((e) => e.EventId)).toEqual([0, 2, 4]);
    expect(eventsOf(history, EventType.TimerCreated).map((e) => e.EventId)).toEqual([1, 3]);
    expect(eventsOf(history, EventType.TaskFailed)).toHaveLength(2);
  });

  it("surfaces an exhausted retry as the activity's error after the last retry timer", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("RetryExhausted");
    await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.output).toEqual({ caught: "Activity function 'Boom' failed: boom: always " });
    expect(eventsOf(status?.history ?? [], EventType.TaskScheduled)).toHaveLength(2);
    expect(eventsOf(status?.history ?? [], EventType.TimerCreated)).toHaveLength(2);
  });

  it("lets an event win a race against a timer, cancels the timer and does not wait for it", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("ApprovalOrTimeout");
    const first = await host.runUntilIdle({ advanceTimersUpTo: START + 30 * 60_000 });
    expect(host.getStatus(id)?.runtimeStatus).toBe("Running");
    expect(first.waitingForEvents.map((w) => w.instanceId)).toEqual([id]);
    expect(host.clock.now()).toBe(START + 30 * 60_000);
    host.raiseEvent(id, "Approve", { by: "ops" });
    await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.output).toEqual({ approved: { by: "ops" } });
    expect(status?.customStatus).toBe("approved");
    expect(eventsOf(status?.history ?? [], EventType.TimerCreated)).toHaveLength(1);
    expect(host.clock.now()).toBe(START + 30 * 60_000);
  });

  it("lets the timer win when no event arrives, at the deadline in virtual time", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("ApprovalOrTimeout");
    await host.runUntilIdle();
    expect(host.getStatus(id)?.output).toEqual({ approved: false, at: new Date(START + 3600_000).toISOString() });
  });

  it("lets a parent catch a failed sub-orchestration and see the root cause", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("ParentCatchesChild", undefined, { instanceId: `pc-${schema}` });
    await host.runUntilIdle();
    const parent = host.getStatus(id);
    const output = parent?.output as { caught: string; greeting: string };
    expect(parent?.runtimeStatus).toBe("Completed");
    expect(output.caught).toContain(
      "Orchestrator function 'FailingChild' failed: Activity function 'Boom' failed: boom: from-parent",
    );
    expect(output.greeting).toBe("Hello, after-failure!");
    const child = host.getStatus(`pc-${schema}-child`);
    expect(child?.runtimeStatus).toBe("Failed");
    expect(child?.parentInstanceId).toBe(id);
    expect(child?.failureDetails?.errorMessage).toContain("boom: from-parent");
  });

  it("runs many sub-orchestrations with default child ids and collects their outputs", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("ParentOfMany", 5, { instanceId: `pom-${schema}` });
    await host.runUntilIdle();
    expect(host.getStatus(id)?.output).toEqual([0, 2, 4, 6, 8]);
    expect(host.getStatus(`pom-${schema}:0`)?.output).toEqual({ doubled: 0, parent: id });
  });

  it("retries a failed sub-orchestration", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("SubWithRetry", `swr-${schema}`, { instanceId: `swr-${schema}` });
    await host.runUntilIdle();
    expect(host.getStatus(id)?.output).toEqual({ attempt: 2 });
    expect(host.getStatus(`swr-${schema}:0`)?.runtimeStatus).toBe("Failed");
    expect(host.getStatus(`swr-${schema}:2`)?.runtimeStatus).toBe("Completed");
  });

  it("continues as new with a fresh history, keeping the custom status", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("Counter", { n: 0, max: 3 });
    await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.output).toBe(3);
    expect(status?.customStatus).toEqual({ n: 3 });
    expect(status?.input).toEqual({ n: 3, max: 3 });
    expect(eventsOf(status?.history ?? [], EventType.ExecutionStarted)).toHaveLength(1);
  });

  it("fails an orchestrator that throws, with failure details", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("Throws");
    await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.failureDetails?.errorMessage).toBe("Orchestrator function 'Throws' failed: orchestrator gave up");
    expect(status?.output).toBe("Orchestrator function 'Throws' failed: orchestrator gave up");
  });

  it("fails an episode whose custom status exceeds 16 KB of UTF-16 text, as the extension does, and keeps one that fits", async () => {
    host = await testHost({ schema });
    // 8,703 characters are 17,406 UTF-16 bytes: 16 KB once truncated; 8,704 are 17 KB.
    const fits = host.startOrchestration("BigStatus", 8703);
    const over = host.startOrchestration("BigStatus", 8704);
    await host.runUntilIdle();
    expect(host.getStatus(fits)).toMatchObject({ runtimeStatus: "Completed", output: "Hello, status!" });
    const failed = host.getStatus(over);
    expect(failed?.runtimeStatus).toBe("Failed");
    expect(failed?.failureDetails?.errorMessage).toBe(
      "CustomStatus is too large: limit = 16 KB (UTF-16), actual = 17 KB.",
    );
    // The episode's work was never scheduled.
    expect((failed?.history ?? []).some((e) => e.EventType === EventType.TaskScheduled)).toBe(false);
  });

  it("waits for every Task.all sibling before the next action under V2+, and only for the first under V1", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("FailFast");
    await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.output).toBe("Hello, recovered!");
    const history = status?.history ?? [];
    const failed = history.findIndex((e) => e.EventType === EventType.TaskFailed);
    const childDone = history.findIndex((e) => e.EventType === EventType.SubOrchestrationInstanceCompleted);
    const recovered = history.findIndex((e) => e.EventType === EventType.TaskScheduled && e.Name === "Greet");
    expect(failed).toBeGreaterThan(0);
    if (schema === "V1") {
      // V1 runs each yield's actions under WhenAny: the failure alone releases the next action.
      expect(recovered).toBeGreaterThan(failed);
      expect(childDone).toBe(-1);
    } else {
      expect(childDone).toBeGreaterThan(failed);
      expect(recovered).toBeGreaterThan(childDone);
    }
  });

  it("terminates a running instance with the reason as output", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("WaitForever");
    await host.runUntilIdle();
    host.terminate(id, "no longer needed");
    await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.runtimeStatus).toBe("Terminated");
    expect(status?.output).toBe("no longer needed");
  });

  it("answers 404 for events to unknown instances and 410 for finished ones", async () => {
    host = await testHost({ schema });
    const id = host.startOrchestration("Hello");
    await host.runUntilIdle();
    expect(() => host.raiseEvent("nobody", "Approve")).toThrow(expect.objectContaining({ statusCode: 404 }));
    expect(() => host.raiseEvent(id, "Approve")).toThrow(expect.objectContaining({ statusCode: 410 }));
    expect(() => host.terminate(id)).toThrow(expect.objectContaining({ statusCode: 410 }));
  });
});

describe("durable host timers", () => {
  it("splits a 10-day timer into sub-timers under schema V3", async () => {
    const host = await testHost({ schema: "V3" });
    const id = host.startOrchestration("LongSleep");
    await host.runUntilIdle();
    const status = host.getStatus(id);
    expect(status?.output).toBe(10);
    const day = 86_400_000;
    expect(eventsOf(status?.history ?? [], EventType.TimerCreated).map((e) => Date.parse(e.FireAt ?? ""))).toEqual([
      START + 3 * day,
      START + 6 * day,
      START + 10 * day,
    ]);
    await host.close();
  });

  it("fails a timer longer than the maximum under schema V1, as the extension does", async () => {
    const host = await testHost({ schema: "V1" });
    const id = host.startOrchestration("LongSleep");
    await host.runUntilIdle();
    expect(host.getStatus(id)?.failureDetails?.errorMessage).toContain("need replay schema V3");
    await host.close();
  });
});
