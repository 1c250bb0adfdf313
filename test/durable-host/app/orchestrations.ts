/** Orchestrations of the durable-host test app: each exercises one feature of the host. */
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";

/** Flip to make `Drifting` schedule a different activity on replay. */
export const drift = { variant: "a" as "a" | "b" };

df.app.orchestration("FanOut", function* (context: OrchestrationContext) {
  const n = context.df.getInput<number>();
  const tasks = Array.from({ length: n }, (_, i) => context.df.callActivity("Echo", i));
  const results = (yield context.df.Task.all(tasks)) as number[];
  return { count: results.length, sum: results.reduce((a, b) => a + b, 0) };
});

df.app.orchestration("Hello", function* (context: OrchestrationContext) {
  const names = ["Tokyo", "Seattle", "London"];
  const out: string[] = [];
  for (const name of names) out.push((yield context.df.callActivity("Greet", name)) as string);
  context.df.setCustomStatus({ greeted: out.length });
  return out;
});

df.app.orchestration("RetryTwice", function* (context: OrchestrationContext) {
  const key = context.df.getInput<string>();
  const retry = new df.RetryOptions(1000, 3);
  const result: unknown = yield context.df.callActivityWithRetry("Flaky", retry, { key, failTimes: 2 });
  return { result, finishedAt: context.df.currentUtcDateTime.toISOString() };
});

df.app.orchestration("RetryExhausted", function* (context: OrchestrationContext) {
  const retry = new df.RetryOptions(500, 2);
  try {
    yield context.df.callActivityWithRetry("Boom", retry, "always");
    return "unreachable";
  } catch (e) {
    return { caught: e instanceof Error ? e.message.split("\n")[0] : String(e) };
  }
});

df.app.orchestration("ApprovalOrTimeout", function* (context: OrchestrationContext) {
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + 3600_000);
  const timer = context.df.createTimer(deadline);
  const approval = context.df.waitForExternalEvent("Approve");
  context.df.setCustomStatus("waiting");
  const winner: unknown = yield context.df.Task.any([approval, timer]);
  if (winner === approval) {
    timer.cancel();
    context.df.setCustomStatus("approved");
    return { approved: approval.result };
  }
  context.df.setCustomStatus("timedOut");
  return { approved: false, at: context.df.currentUtcDateTime.toISOString() };
});

df.app.orchestration("FailingChild", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Boom", context.df.getInput<string>());
  return "unreachable";
});

df.app.orchestration("ParentCatchesChild", function* (context: OrchestrationContext) {
  try {
    yield context.df.callSubOrchestrator("FailingChild", "from-parent", `${context.df.instanceId}-child`);
    return { caught: null };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const greeting: unknown = yield context.df.callActivity("Greet", "after-failure");
    return { caught: message, greeting };
  }
});

df.app.orchestration("ChildEcho", function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ value: number }>();
  const doubled: unknown = yield context.df.callActivity("Double", input.value);
  return { doubled, parent: context.df.parentInstanceId ?? null };
});

df.app.orchestration("ParentOfMany", function* (context: OrchestrationContext) {
  const n = context.df.getInput<number>();
  const children = Array.from({ length: n }, (_, i) => context.df.callSubOrchestrator("ChildEcho", { value: i }));
  const results = (yield context.df.Task.all(children)) as { doubled: number }[];
  return results.map((r) => r.doubled);
});

/** A child that fails on its first execution and succeeds on the next (state kept by the Flaky activity). */
df.app.orchestration("FlakyChild", function* (context: OrchestrationContext) {
  const out: unknown = yield context.df.callActivity("Flaky", { key: context.df.getInput<string>(), failTimes: 1 });
  return out;
});

df.app.orchestration("SubWithRetry", function* (context: OrchestrationContext) {
  const retry = new df.RetryOptions(2000, 3);
  const out: unknown = yield context.df.callSubOrchestratorWithRetry(
    "FlakyChild",
    retry,
    context.df.getInput<string>(),
  );
  return out;
});

df.app.orchestration("Drifting", function* (context: OrchestrationContext) {
  const first: unknown = yield context.df.callActivity(drift.variant === "a" ? "Echo" : "Double", 1);
  const second: unknown = yield context.df.callActivity("Echo", 2);
  return [first, second];
});

df.app.orchestration("Counter", function* (context: OrchestrationContext) {
  const state = context.df.getInput<{ n: number; max: number }>();
  context.df.setCustomStatus({ n: state.n });
  yield context.df.callActivity("Echo", state.n);
  if (state.n < state.max) {
    context.df.continueAsNew({ n: state.n + 1, max: state.max });
    return undefined;
  }
  return state.n;
});

df.app.orchestration("LongSleep", function* (context: OrchestrationContext) {
  const start = context.df.currentUtcDateTime.getTime();
  yield context.df.createTimer(new Date(start + 10 * 86_400_000));
  return (context.df.currentUtcDateTime.getTime() - start) / 86_400_000;
});

df.app.orchestration("CountOnce", function* (context: OrchestrationContext) {
  const out: unknown = yield context.df.callActivity("CountRuns", context.df.getInput<string>());
  return out;
});

df.app.orchestration("Steps", function* (context: OrchestrationContext) {
  const key = context.df.getInput<string>();
  const results: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    results.push(yield context.df.callActivity("CountRuns", `${key}:${i}`));
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
  }
  return results.length;
});

/** JS Task.all fails fast; the extension's WhenAll waits for every child before the next action is scheduled. */
df.app.orchestration("FailFast", function* (context: OrchestrationContext) {
  try {
    yield context.df.Task.all([
      context.df.callActivity("Boom", "x"),
      context.df.callSubOrchestrator("LongChild", null),
    ]);
    return "unreachable";
  } catch {
    const after: unknown = yield context.df.callActivity("Greet", "recovered");
    return after;
  }
});

df.app.orchestration("LongChild", function* (context: OrchestrationContext) {
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 5 * 60_000));
  return "late";
});

df.app.orchestration("Throws", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Echo", "first");
  throw new Error("orchestrator gave up");
});

df.app.orchestration("WaitForever", function* (context: OrchestrationContext) {
  const data: unknown = yield context.df.waitForExternalEvent("Never");
  return data;
});

/** Retry timeout exceeded: the extension gives up without a timer while the SDK waits for one (upstream #629). */
df.app.orchestration("RetryTimeout", function* (context: OrchestrationContext) {
  const retry = new df.RetryOptions(1000, 5);
  retry.retryTimeoutInMilliseconds = 1500;
  yield context.df.callActivityWithRetry("Boom", retry, "timeout");
  return "unreachable";
});

df.app.orchestration("CallsMissing", function* (context: OrchestrationContext) {
  yield context.df.callActivity("NoSuchActivity", null);
  return "unreachable";
});

/** Sets a custom status of `input` characters of JSON text, then calls one activity. */
df.app.orchestration("BigStatus", function* (context: OrchestrationContext) {
  const chars = Number(context.df.getInput());
  context.df.setCustomStatus("x".repeat(Math.max(0, chars - 2)));
  const greeting: unknown = yield context.df.callActivity("Greet", "status");
  return greeting;
});

/**
 * A breaking change made the documented way: instances of version "1.0" keep the old step, newer ones take the new
 * one. Waits for "Go" between the two, so a test can stop a host mid-run and continue on another.
 */
df.app.orchestration("Versioned", function* (context: OrchestrationContext) {
  const first: unknown = yield context.df.callActivity("Greet", "first");
  yield context.df.waitForExternalEvent("Go");
  const second: unknown =
    context.df.version === "1.0"
      ? yield context.df.callActivity("Greet", "old step")
      : yield context.df.callActivity("Echo", "new step");
  const child: unknown = yield context.df.callSubOrchestrator("VersionOfChild", null);
  return { version: context.df.version, first, second, child };
});

df.app.orchestration("VersionOfChild", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Echo", null);
  return context.df.version;
});

/** Waits for its child, whose instance id the input names, racing a deadline of one hour. */
df.app.orchestration("ParentWithDeadline", function* (context: OrchestrationContext) {
  const childId = context.df.getInput<string>();
  const child = context.df.callSubOrchestrator("ChildEcho", { value: 21 }, childId);
  const deadline = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 3_600_000));
  // Task.any never faults: a failed child wins the race as a faulted task.
  const winner: unknown = yield context.df.Task.any([child, deadline]);
  if (winner === deadline) return { outcome: "deadline" };
  deadline.cancel();
  const result: unknown = child.result;
  if (child.isFaulted) return { outcome: "failed", message: result instanceof Error ? result.message : String(result) };
  return { outcome: "answered", result };
});

/**
 * A serial lane's shape: each execution waits on a timer of (gen + 1) × 5 minutes or the event "stop", whichever comes
 * first, and continues as new with the minutes it waited, leaving its timer in flight when "stop" wins.
 */
df.app.orchestration("Generations", function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ gen: number; max: number; waited: number[] }>();
  const stop = context.df.waitForExternalEvent("stop");
  const began = context.df.currentUtcDateTime.getTime();
  const timer = context.df.createTimer(new Date(began + (input.gen + 1) * 5 * 60_000));
  yield context.df.Task.any([timer, stop]);
  const waited = [...input.waited, (context.df.currentUtcDateTime.getTime() - began) / 60_000];
  if (input.gen + 1 < input.max) {
    context.df.continueAsNew({ gen: input.gen + 1, max: input.max, waited });
    return undefined;
  }
  return waited;
});

df.app.orchestration("ParentOfGenerations", function* (context: OrchestrationContext) {
  const max = context.df.getInput<number>();
  const waited: unknown = yield context.df.callSubOrchestrator("Generations", { gen: 0, max, waited: [] }, "gens");
  return waited;
});
