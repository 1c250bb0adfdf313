/** Activities of the durable-host test app; module-level counters let tests observe side effects. */
import * as df from "durable-functions";

export const activityRuns = new Map<string, number>();

function countRun(key: string): number {
  const n = (activityRuns.get(key) ?? 0) + 1;
  activityRuns.set(key, n);
  return n;
}

df.app.activity("Echo", { handler: (input: unknown) => input });

df.app.activity("Double", { handler: (input: unknown) => (typeof input === "number" ? input * 2 : null) });

df.app.activity("Greet", { handler: (name: unknown) => `Hello, ${String(name)}!` });

/** Fails `failTimes` times per key, then succeeds with the attempt number. */
df.app.activity("Flaky", {
  handler: (input: unknown) => {
    const { key, failTimes } = input as { key: string; failTimes: number };
    const attempt = countRun(`Flaky:${key}`);
    if (attempt <= failTimes) throw new Error(`flaky failure ${attempt} of ${key}`);
    return { attempt };
  },
});

df.app.activity("Boom", {
  handler: (input: unknown) => {
    throw new Error(`boom: ${String(input)}`);
  },
});

/** Counts its runs per key: the at-least-once tests read this to see re-execution. */
df.app.activity("CountRuns", {
  handler: (key: unknown) => ({ key, run: countRun(`CountRuns:${String(key)}`) }),
});
