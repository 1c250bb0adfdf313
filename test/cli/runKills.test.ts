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
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ROOT, type Ended } from "../support/spawn";
import { port25, startCliSimulator, type CliSimulator, type RequestLogEntry } from "../support/cliSimulator";

const work = mkdtempSync(join(tmpdir(), "port25-run-kills-"));
const TIME_SCALE = "600";
/** The smallest world with a canary and failed starts: six resources, one VM that never gets capacity again. */
const LEFT_DOWN_WORLD = ["--scenario", resolve(ROOT, "scenarios/no-vm-left-down.json")];

const startSimulator = (name: string, world: string[]): Promise<CliSimulator> =>
  startCliSimulator(work, name, world, TIME_SCALE);

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

type PowerOp = "powerOff" | "deallocate" | "start";
const POWER_WRITE = /^(.*\/(?:virtualMachines|virtualMachineScaleSets)\/[^/]+)\/(powerOff|deallocate|start)$/i;

/** The power operations ARM accepted, per resource (a VM or a scale set), in the order they were received. */
function powerWrites(log: RequestLogEntry[]): Map<string, PowerOp[]> {
  const byResource = new Map<string, PowerOp[]>();
  for (const r of log) {
    const m = POWER_WRITE.exec(r.path);
    if (r.method !== "POST" || r.status >= 300 || m?.[1] === undefined || m[2] === undefined) continue;
    const op = ({ poweroff: "powerOff", deallocate: "deallocate", start: "start" } as const)[
      m[2].toLowerCase() as "poweroff" | "deallocate" | "start"
    ];
    const key = m[1].toLowerCase();
    byResource.set(key, [...(byResource.get(key) ?? []), op]);
  }
  return byResource;
}

/** A resource's operations with each run of one operation sent again and again taken as one. */
function distinct(ops: readonly PowerOp[]): PowerOp[] {
  return ops.filter((op, i) => i === 0 || ops[i - 1] !== op);
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
  writes: Map<string, PowerOp[]>;
}

/** The VM whose every start the scenario fails: its restore's retries end at a deadline, their number set by timing. */
const ALWAYS_FAILING = "/virtualmachines/batch-01";

/** A run's output, kept beside its state and the request log (in `work`) for reading a failure after the fact. */
function keep(name: string, ended: Ended): Ended {
  writeFileSync(join(work, `${name}.stdout`), ended.stdout);
  writeFileSync(join(work, `${name}.stderr`), ended.stderr);
  return ended;
}

/** The scenario run to the end on a simulator of its own, once for the file: what every killed run is compared with. */
let uninterrupted: Promise<Run> | undefined;
function plainRun(): Promise<Run> {
  uninterrupted ??= (async () => {
    const sim = await startSimulator("plain", LEFT_DOWN_WORLD);
    try {
      const args = ["run", ...sim.runArgs, "--yes", "--json", "--state", join(work, "plain")];
      const u = await port25(args, { PORT25_ARM_STATIC_TOKEN: sim.token }).ended;
      keep("plain", u);
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
    expect(keep(`${name}-killed`, await first.ended).signal).toBe("SIGKILL");
    const again = keep(`${name}-again`, await port25(args, { PORT25_ARM_STATIC_TOKEN: sim.token }).ended);
    expect(again.stderr).toContain('"event":"resuming"');
    expect(again.stderr).not.toContain('"event":"plan"');
    return { ending: endingOf(again.stdout), code: again.code, writes: powerWrites(await sim.stop()) };
  } finally {
    sim.proc.child.kill("SIGKILL");
  }
}

/**
 * The resumed run ends as the uninterrupted one: the same exit code and status, the same outcome (and reason) per
 * resource, the scenario's VM that never gets capacity again (batch-01) reported left down in both.
 *
 * And its writes are the uninterrupted run's, save what issue 27 allows a resumed run (docs/reliability.md, "Crash of
 * the local durable host"): a write ARM accepted just before the kill, whose answer the durable state had not yet
 * recorded, is sent again when its activity runs again, and ARM takes it as the same operation (a deallocate of a VM
 * deallocating or deallocated, a start of one starting or running: the simulator joins the operation in flight or
 * leaves the machine as it is, src/simulator/world/power.ts). Such a resend follows its own first send directly. So,
 * per resource: the same operations in the same order once each run of one operation is taken as one, hence never
 * powered down again after its restart (cycled twice); each operation sent at most once more than in the
 * uninterrupted run (one kill, one resend) and never less (the starts a fault with a count fails are all retried),
 * save batch-01's starts, retried until a deadline of virtual time whatever their number.
 */
function expectSameEnding(plain: Run, resumed: Run): void {
  expect(resumed.code).toBe(plain.code);
  expect(resumed.ending.status).toBe(plain.ending.status);
  expect(resumed.ending.outcomes, `outputs and request logs in ${work}`).toEqual(plain.ending.outcomes);
  expect([...plain.ending.outcomes.values()].filter((o) => o === "cycled").length).toBeGreaterThan(0);
  expect(plain.ending.leftDown).toBe(1);
  expect(resumed.ending.leftDown).toBe(1);
  expect(plain.writes.size).toBeGreaterThan(0);
  expect([...resumed.writes.keys()].sort()).toEqual([...plain.writes.keys()].sort());
  for (const [resource, ops] of resumed.writes) {
    const before = plain.writes.get(resource) ?? [];
    const sequence = `${resource}: ${ops.join(", ")} (uninterrupted: ${before.join(", ")}; request logs in ${work})`;
    const restarted = ops.indexOf("start");
    expect(
      restarted < 0 || ops.slice(restarted).every((op) => op === "start"),
      `powered down again after its restart, ${sequence}`,
    ).toBe(true);
    expect(distinct(ops), sequence).toEqual(distinct(before));
    if (resource.endsWith(ALWAYS_FAILING)) continue;
    for (const op of new Set(ops)) {
      const n = ops.filter((o) => o === op).length;
      const m = before.filter((o) => o === op).length;
      expect(n, `${op} sent ${n} times against ${m}, ${sequence}`).toBeGreaterThanOrEqual(m);
      expect(n, `${op} sent ${n} times against ${m}, ${sequence}`).toBeLessThanOrEqual(m + 1);
    }
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
