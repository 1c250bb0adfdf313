/**
 * `port25 run` killed with SIGKILL at the points the progress output makes visible, then the same command again,
 * against `port25 simulator --time-scale 600`: beside each, the same scenario and seed run without interruption on
 * a simulator of its own, and the two must end alike (one outcome per resource, the same outcome), with the
 * simulator's request log showing no VM cycled twice.
 *
 * The kill follows what the process prints, never real time. `--json` progress lines carry the phase and the
 * counts only, and the driver prints one after the host has run everything due (src/cli/commands/run.ts, `drive`),
 * so at that moment the run waits on what is due later: a durable timer. The points are named by those lines: the
 * canary phase with nothing done yet (the canary's cycle in flight alone, paced by the timers between the polls of
 * each operation, docs/architecture.md step 6), and the first failed outcome of scenarios/no-vm-left-down.json
 * (api-01's deallocate failed and it was restored; the other VMs' failed starts are then being retried and
 * restored, docs/workflow.md on restores).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ROOT, spawnPort25, type Spawned } from "../support/spawn";

const work = mkdtempSync(join(tmpdir(), "port25-run-kills-"));
const TIME_SCALE = "600";
/** The smallest world with a canary and failed starts: six resources, one VM that never gets capacity again. */
const LEFT_DOWN_WORLD = ["--scenario", resolve(ROOT, "scenarios/no-vm-left-down.json")];

const port25 = (args: string[], env: Record<string, string> = {}): Spawned =>
  spawnPort25(args, { env, stdin: "closed" });

const RequestLogSchema = z.array(z.object({ method: z.string(), path: z.string(), status: z.number() }).loose());
type RequestLogEntry = z.output<typeof RequestLogSchema>[number];

interface Simulator {
  proc: Spawned;
  token: string;
  runArgs: string[];
  stop(): Promise<RequestLogEntry[]>;
}

/** Splits a printed command line into words (the simulator quotes with single quotes). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

async function startSimulator(name: string, world: string[]): Promise<Simulator> {
  const requestLog = join(work, `${name}-requests.json`);
  const proc = port25(["simulator", ...world, "--time-scale", TIME_SCALE, "--request-log", requestLog]);
  const tokenLine = await proc.line((l) => l.includes("export PORT25_ARM_STATIC_TOKEN="));
  const runLine = await proc.line((l) => l.includes(" run --subscription "));
  const token = words(tokenLine.trim().replace(/^export PORT25_ARM_STATIC_TOKEN=/, ""))[0] ?? "";
  const runArgs = words(runLine.slice(runLine.indexOf(" run --subscription ") + 1)).slice(1);
  return {
    proc,
    token,
    runArgs,
    async stop() {
      proc.child.kill("SIGINT");
      await proc.ended;
      return RequestLogSchema.parse(JSON.parse(readFileSync(requestLog, "utf8")));
    },
  };
}

const OutputSchema = z.object({
  summary: z.object({ status: z.string(), counts: z.object({ leftDown: z.number().optional() }).loose() }).loose(),
  outcomes: z.array(
    z.object({ resourceId: z.string(), outcome: z.string(), reasonCode: z.string().optional() }).loose(),
  ),
});

interface Ending {
  status: string;
  leftDown: number;
  outcomes: Map<string, string>;
}

function endingOf(stdout: string): Ending {
  const out = OutputSchema.parse(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
  const outcomes = new Map<string, string>();
  for (const o of out.outcomes) {
    expect(outcomes.has(o.resourceId.toLowerCase()), `two outcomes for ${o.resourceId}`).toBe(false);
    outcomes.set(o.resourceId.toLowerCase(), `${o.outcome}${o.reasonCode === undefined ? "" : `:${o.reasonCode}`}`);
  }
  return { status: out.summary.status, leftDown: out.summary.counts.leftDown ?? 0, outcomes };
}

/** Power operations ARM accepted, by resource and operation (VMs and scale sets). */
function powerWrites(log: RequestLogEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of log) {
    if (r.method !== "POST" || r.status >= 300) continue;
    if (!/\/(virtualMachines|virtualMachineScaleSets)\/[^/]+\/(powerOff|deallocate|start)$/i.test(r.path)) continue;
    const key = r.path.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const ProgressLineSchema = z.object({
  event: z.literal("progress"),
  phase: z.string(),
  counts: z.object({ cycled: z.number(), failed: z.number() }).loose(),
});
const progressWhere =
  (test: (p: z.output<typeof ProgressLineSchema>) => boolean) =>
  (line: string): boolean => {
    if (!line.startsWith('{"event":"progress"')) return false;
    const p = ProgressLineSchema.safeParse(JSON.parse(line));
    return p.success && test(p.data);
  };

interface Run {
  ending: Ending;
  code: number | null;
  writes: Map<string, number>;
}

/** The one start the scenario fails every time (an allocation failure without a count). */
const ALWAYS_FAILING_START = "/virtualmachines/batch-01/start";

/** The scenario run to the end on a simulator of its own, once for the file: what every killed run is compared with. */
let uninterrupted: Promise<Run> | undefined;
function plainRun(): Promise<Run> {
  uninterrupted ??= (async () => {
    const sim = await startSimulator("plain", LEFT_DOWN_WORLD);
    try {
      const args = ["run", ...sim.runArgs, "--yes", "--json", "--state", join(work, "plain")];
      const u = await port25(args, { PORT25_ARM_STATIC_TOKEN: sim.token }).ended;
      return { ending: endingOf(u.stdout), code: u.code, writes: powerWrites(await sim.stop()) };
    } finally {
      sim.proc.child.kill("SIGKILL");
    }
  })();
  return uninterrupted;
}

/** The scenario on a simulator of its own, killed with SIGKILL at the first line `killAt` matches, then the same command again. */
async function killedRun(name: string, killAt: (line: string) => boolean): Promise<Run> {
  const sim = await startSimulator(name, LEFT_DOWN_WORLD);
  try {
    const args = ["run", ...sim.runArgs, "--yes", "--json", "--state", join(work, name)];
    const first = port25(args, { PORT25_ARM_STATIC_TOKEN: sim.token });
    await first.line(killAt);
    first.child.kill("SIGKILL");
    expect((await first.ended).signal).toBe("SIGKILL");
    const again = await port25(args, { PORT25_ARM_STATIC_TOKEN: sim.token }).ended;
    expect(again.stderr).toContain('"event":"resuming"');
    expect(again.stderr).not.toContain('"event":"plan"');
    return { ending: endingOf(again.stdout), code: again.code, writes: powerWrites(await sim.stop()) };
  } finally {
    sim.proc.child.kill("SIGKILL");
  }
}

/**
 * The resumed run ends as the uninterrupted one: the same exit code and status, the same outcome (and reason) per
 * resource, the scenario's VM that never gets capacity again (batch-01) reported left down in both, and no VM
 * cycled twice: every power operation accepted exactly as often as in the uninterrupted run (the starts that a fault
 * with a count fails once or twice included), save batch-01's start. Its retries end at `restoreTimeoutMinutes` in
 * virtual time (docs/workflow.md), so their number follows how the driver's ticks fall (7 or 8 in uninterrupted runs alike), and the
 * simulator's clock goes on while the killed process is down (2 in one resumed run).
 */
function expectSameEnding(plain: Run, resumed: Run): void {
  expect(resumed.code).toBe(plain.code);
  expect(resumed.ending.status).toBe(plain.ending.status);
  expect(resumed.ending.outcomes).toEqual(plain.ending.outcomes);
  expect([...plain.ending.outcomes.values()].filter((o) => o === "cycled").length).toBeGreaterThan(0);
  expect(plain.ending.leftDown).toBe(1);
  expect(resumed.ending.leftDown).toBe(1);
  expect(plain.writes.size).toBeGreaterThan(0);
  expect([...resumed.writes.keys()].sort()).toEqual([...plain.writes.keys()].sort());
  for (const [op, n] of resumed.writes) {
    if (op.endsWith(ALWAYS_FAILING_START)) expect(n, `${op} accepted ${n} times`).toBeGreaterThanOrEqual(1);
    else expect(n, `${op} accepted ${n} times`).toBe(plain.writes.get(op));
  }
}

describe("port25 run killed with SIGKILL and resumed with the same command", () => {
  it("killed while the canary's cycle waits on its durable timers, ends with the same outcome per resource as an uninterrupted run, no VM cycled twice, the one the scenario keeps down reported left down", async () => {
    const [plain, resumed] = await Promise.all([
      plainRun(),
      killedRun(
        "timer",
        progressWhere((p) => p.phase === "canary" && p.counts.cycled === 0),
      ),
    ]);
    expectSameEnding(plain, resumed);
  }, 600_000);

  it("killed while failed starts are retried and restored, ends with the same outcome per resource as an uninterrupted run, no VM cycled twice, the one the scenario keeps down reported left down", async () => {
    const [plain, resumed] = await Promise.all([
      plainRun(),
      killedRun(
        "restore",
        progressWhere((p) => p.phase === "waves" && p.counts.failed >= 1),
      ),
    ]);
    expect([...plain.ending.outcomes.values()].some((o) => o.startsWith("failed"))).toBe(true);
    expectSameEnding(plain, resumed);
  }, 600_000);
});
