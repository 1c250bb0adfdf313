/**
 * Starting a subscription's run from an orchestration and following it (orchestrations/runStart.ts): the start is the
 * engine's singleton rule (a client start refused for a live id), idempotent by run id; the follower hears the run's
 * runEnded event, reads the instance when none comes, and stops following at its deadline.
 */
import "../../../src/durable-host/register";
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDurableHost, type DurableHost } from "../../../src/durable-host";
import { registerActivities } from "../../../activities/binding";
import { readRun } from "../../../activities/readRun";
import { startRun } from "../../../activities/startRun";
import { followRun, startRunOf } from "../../../orchestrations/runStart";
import { RemediationInputSchema } from "../../../src/contracts/remediation";
import { REMEDIATE_SUBSCRIPTION } from "../../../src/contracts/names";
import { runEndedEvent } from "../../../src/contracts/durable/runStart";
import { runResult } from "../../audit/fixtures";

const START = Date.UTC(2026, 2, 3, 8, 0, 0);
const SUB = "3f2a9c1e-5b7d-4e8f-9a1b-2c3d4e5f6a7b";
const RUN_INSTANCE = `port25-${SUB}`;

function runInput(runId: string): z.input<typeof RemediationInputSchema> {
  return {
    subscriptionId: SUB,
    attestation: { reference: "REQ-1", approvedBy: "ops@contoso.example", approvedAt: "2026-03-02T09:00:00Z" },
    requestedAt: "2026-03-03T08:00:00Z",
    probeHost: "smtp.contoso.example",
    runId,
  };
}

registerActivities([startRun(), readRun()]);
// A stand-in run: waits for "finish" (or forever), as a run waits for its approval.
df.app.orchestration(REMEDIATE_SUBSCRIPTION, function* (context: OrchestrationContext) {
  yield context.df.waitForExternalEvent("finish");
  return "finished without a result";
});
const FollowInput = z.object({ runId: z.string(), deadlineMinutes: z.number() });
df.app.orchestration("startAndFollow", function* (context: OrchestrationContext) {
  const { runId, deadlineMinutes } = FollowInput.parse(context.df.getInput());
  const input = RemediationInputSchema.parse(runInput(runId));
  const first = yield* startRunOf(context, RUN_INSTANCE, input);
  // An activity may run twice: the second start of the same run finds it, and starts nothing.
  const again = yield* startRunOf(context, RUN_INSTANCE, input);
  if (first.status !== "started") return { first, again };
  const followed = yield* followRun(context, { instanceId: RUN_INSTANCE, runId, deadlineMinutes });
  return { first, again, followed };
});

let host: DurableHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

async function newHost(): Promise<DurableHost> {
  host = createDurableHost({ startTime: START });
  host.adoptRegistrations();
  return Promise.resolve(host);
}

describe("starting a subscription's run from an orchestration", () => {
  it("starts it once under the subscription's instance id, however often the start runs", async () => {
    const h = await newHost();
    h.startOrchestration("startAndFollow", { runId: "r1", deadlineMinutes: 60 }, { instanceId: "lane" });
    await h.runUntilIdle({ advanceTimersUpTo: START + 60_000 });
    const run = h.getStatus(RUN_INSTANCE);
    expect(run).toMatchObject({ runtimeStatus: "Running", input: { runId: "r1", waiter: { instanceId: "lane" } } });
    expect(h.listInstances({ name: REMEDIATE_SUBSCRIPTION })).toHaveLength(1);
  });

  it("reports a live run of the subscription started by someone else, and starts nothing", async () => {
    const h = await newHost();
    h.startOrchestration(
      REMEDIATE_SUBSCRIPTION,
      { ...runInput("by-hand"), requestedBy: "alice@contoso.example" },
      { instanceId: RUN_INSTANCE },
    );
    h.startOrchestration("startAndFollow", { runId: "r1", deadlineMinutes: 60 }, { instanceId: "lane" });
    await h.runUntilIdle({ advanceTimersUpTo: START + 60_000 });
    expect(h.getStatus("lane")?.output).toEqual({
      first: {
        status: "alreadyRunning",
        runtimeStatus: "Running",
        runId: "by-hand",
        requestedBy: "alice@contoso.example",
      },
      again: {
        status: "alreadyRunning",
        runtimeStatus: "Running",
        runId: "by-hand",
        requestedBy: "alice@contoso.example",
      },
    });
    expect(h.getStatus(RUN_INSTANCE)?.input).toMatchObject({ runId: "by-hand" });
  });

  it("hears the run's end from its runEnded event, with its output, without waiting for a read", async () => {
    const h = await newHost();
    h.startOrchestration("startAndFollow", { runId: "r1", deadlineMinutes: 48 * 60 }, { instanceId: "lane" });
    await h.runUntilIdle({ advanceTimersUpTo: START + 5 * 60_000 });
    const summary = runResult({ input: { runId: "r1", subscriptionId: SUB } }).summary;
    h.raiseEvent("lane", runEndedEvent("r1"), { summary, recorded: true });
    await h.runUntilIdle({ advanceTimersUpTo: START + 5 * 60_000 });
    expect(h.getStatus("lane")).toMatchObject({
      runtimeStatus: "Completed",
      output: { followed: { kind: "completed", output: { recorded: true, summary: { runId: "r1" } } } },
    });
    expect(h.getStatus("lane")?.history.filter((e) => e.Name === "readRun")).toEqual([]);
  });

  it("learns of a run that ended without telling (failed, terminated) from its instance, within the poll interval", async () => {
    const h = await newHost();
    h.startOrchestration("startAndFollow", { runId: "r1", deadlineMinutes: 48 * 60 }, { instanceId: "lane" });
    await h.runUntilIdle({ advanceTimersUpTo: START + 10 * 60_000 });
    h.terminate(RUN_INSTANCE, "stopped by an operator");
    const report = await h.runUntilIdle();
    expect(h.getStatus("lane")?.output).toMatchObject({
      followed: {
        kind: "ended",
        runtimeStatus: "Terminated",
        message: expect.stringMatching(/terminated: stopped by an operator/) as unknown,
      },
    });
    expect(report.virtualTime).toBe(START + 30 * 60_000);
  });

  it("stops following a run that outlives its deadline, leaving it running, and says so", async () => {
    const h = await newHost();
    h.startOrchestration("startAndFollow", { runId: "r1", deadlineMinutes: 100 }, { instanceId: "lane" });
    const report = await h.runUntilIdle();
    expect(h.getStatus("lane")?.output).toMatchObject({
      followed: { kind: "deadline", runtimeStatus: "Running", minutes: 100 },
    });
    expect(report.virtualTime).toBe(START + 100 * 60_000);
    expect(h.getStatus(RUN_INSTANCE)?.runtimeStatus).toBe("Running");
  });

  it("does not count the time the host was away against the deadline: a read timer that fired late moves it back", async () => {
    const h = await newHost();
    h.startOrchestration("startAndFollow", { runId: "r1", deadlineMinutes: 100 }, { instanceId: "lane" });
    await h.runUntilIdle({ advanceTimersUpTo: START + 60_000 });
    // The host is stopped from minute 1 to hour 3: the read timer due at minute 30 fires 150 minutes late, and the
    // run stood still meanwhile, so the waiter follows it for 100 minutes of the time it could act.
    h.clock.advanceTo(START + 3 * 3_600_000);
    const report = await h.runUntilIdle();
    expect(h.getStatus("lane")?.output).toMatchObject({
      followed: { kind: "deadline", runtimeStatus: "Running", minutes: 100 },
    });
    expect(report.virtualTime).toBe(START + 250 * 60_000);
  });
});
