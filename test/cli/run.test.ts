/**
 * `port25 run` spawned as an operator runs it, against `port25 simulator --time-scale 600` spawned beside it: a run
 * end to end, a run killed with SIGKILL and the same command again, and the refusals (no terminal, a second process
 * on the same state, --time-scale against Azure).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { port25, startCliSimulator, type CliSimulator, type RequestLogEntry } from "../support/cliSimulator";

const work = mkdtempSync(join(tmpdir(), "port25-run-"));
const TIME_SCALE = "600";

/** The simulator `run` is pointed at: 12 VMs, seed 3. */
const startSimulator = (name: string): Promise<CliSimulator> =>
  startCliSimulator(work, name, ["--vms", "12", "--seed", "3"], TIME_SCALE);

const OutputSchema = z.object({
  instanceId: z.string(),
  summary: z
    .object({ runId: z.string(), status: z.string(), counts: z.object({ leftDown: z.number().optional() }).loose() })
    .loose(),
  outcomes: z.array(
    z.object({ resourceId: z.string(), outcome: z.string(), reasonCode: z.string().optional() }).loose(),
  ),
  report: z.string().nullable(),
});

function outcomesOf(stdout: string): Map<string, string> {
  const out = OutputSchema.parse(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
  const byResource = new Map<string, string>();
  for (const o of out.outcomes) {
    expect(byResource.has(o.resourceId.toLowerCase()), `two outcomes for ${o.resourceId}`).toBe(false);
    byResource.set(o.resourceId.toLowerCase(), `${o.outcome}${o.reasonCode === undefined ? "" : `:${o.reasonCode}`}`);
  }
  expect(out.summary.counts.leftDown ?? 0).toBe(0);
  return byResource;
}

/** Power-off and deallocate requests ARM accepted, by VM. */
function powerWrites(log: RequestLogEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of log) {
    if (r.method !== "POST" || r.status >= 300 || !/\/virtualMachines\/[^/]+\/(powerOff|deallocate)$/i.test(r.path))
      continue;
    counts.set(r.path.toLowerCase(), (counts.get(r.path.toLowerCase()) ?? 0) + 1);
  }
  return counts;
}

const ProgressLineSchema = z.object({
  event: z.literal("progress"),
  phase: z.string(),
  counts: z.object({ cycled: z.number() }).loose(),
});
const cycledAtLeast =
  (n: number) =>
  (line: string): boolean => {
    if (!line.startsWith("{")) return false;
    const p = ProgressLineSchema.safeParse(JSON.parse(line));
    return p.success && p.data.phase === "waves" && p.data.counts.cycled >= n;
  };

describe("port25 run against port25 simulator --time-scale 600", () => {
  it("runs every resource to one outcome, none left down; killed with SIGKILL mid-run, the same command again completes with the same outcomes and no VM powered off or deallocated twice", async () => {
    const [plain, killed] = await Promise.all([startSimulator("plain"), startSimulator("killed")]);
    try {
      const plainState = join(work, "plain-state");
      const killedState = join(work, "killed-state");
      const plainArgs = ["run", ...plain.runArgs, "--yes", "--json", "--state", plainState];
      const killedArgs = ["run", ...killed.runArgs, "--yes", "--json", "--state", killedState];

      const uninterrupted = port25(plainArgs, { PORT25_ARM_STATIC_TOKEN: plain.token });
      const first = port25(killedArgs, { PORT25_ARM_STATIC_TOKEN: killed.token });
      // Mid-wave: some VMs cycled, others not yet.
      await first.line(cycledAtLeast(3));
      first.child.kill("SIGKILL");
      expect((await first.ended).signal).toBe("SIGKILL");

      const again = port25(killedArgs, { PORT25_ARM_STATIC_TOKEN: killed.token });
      const [u, a] = await Promise.all([uninterrupted.ended, again.ended]);
      expect(u.code, u.stderr.slice(-2000)).toBe(0);
      expect(a.code, a.stderr.slice(-2000)).toBe(0);
      expect(a.stderr).toContain('"event":"resuming"');
      expect(a.stderr).not.toContain('"event":"plan"');

      const plainOutcomes = outcomesOf(u.stdout);
      expect([...plainOutcomes.values()].filter((o) => o === "cycled").length).toBeGreaterThan(0);
      const resumedOutcomes = outcomesOf(a.stdout);
      expect(resumedOutcomes).toEqual(plainOutcomes);

      // The audit kept across the kill holds the whole record: every outcome, once.
      const audit = await port25(["audit", "--state", killedState, "--json"]).ended;
      expect(audit.code, audit.stderr).toBe(0);
      const audited = z
        .object({ outcomes: z.array(z.object({ resourceId: z.string(), outcome: z.string() }).loose()) })
        .loose()
        .parse(JSON.parse(audit.stdout));
      expect(new Map(audited.outcomes.map((o) => [o.resourceId.toLowerCase(), o.outcome]))).toEqual(
        new Map([...resumedOutcomes].map(([id, o]) => [id, o.split(":")[0]])),
      );
      expect(audited.outcomes).toHaveLength(resumedOutcomes.size);

      const [plainLog, killedLog] = await Promise.all([plain.stop(), killed.stop()]);
      const plainWrites = powerWrites(plainLog);
      const killedWrites = powerWrites(killedLog);
      expect(plainWrites.size).toBeGreaterThan(0);
      for (const [vm, n] of killedWrites) expect(n, `${vm} accepted ${n} times`).toBe(1);
      expect([...killedWrites.keys()].sort()).toEqual([...plainWrites.keys()].sort());
    } finally {
      plain.proc.child.kill("SIGKILL");
      killed.proc.child.kill("SIGKILL");
    }
  }, 600_000);

  it("refuses a second port25 run on the same state while the first runs, naming the holder; Ctrl+C pauses the first (exit 130) and the same command resumes it to the end", async () => {
    const sim = await startSimulator("second");
    try {
      const state = join(work, "second-state");
      const args = ["run", ...sim.runArgs, "--yes", "--json", "--state", state];
      const first = port25(args, { PORT25_ARM_STATIC_TOKEN: sim.token });
      await first.line((l) => l.startsWith('{"event":"progress"'));
      // Frozen, the first is certainly still running (and holding the state) while the second starts.
      first.child.kill("SIGSTOP");
      const second = await port25(args, { PORT25_ARM_STATIC_TOKEN: sim.token }).ended;
      first.child.kill("SIGCONT");
      expect(second.code, second.stderr).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`in use by process ${String(first.child.pid)}\\b`));

      // Ctrl+C pauses: exit 130, the line that resumes it; that line resumes and completes the run.
      first.child.kill("SIGINT");
      const paused = await first.ended;
      expect(paused.code, paused.stderr.slice(-2000)).toBe(130);
      expect(paused.stderr).toContain("Resume it with the same command:");
      const resumed = await port25(args, { PORT25_ARM_STATIC_TOKEN: sim.token }).ended;
      expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
      expect(resumed.stderr).toContain('"event":"resuming"');
      outcomesOf(resumed.stdout);
    } finally {
      sim.proc.child.kill("SIGKILL");
    }
  }, 600_000);
});

describe("port25 run refusals", () => {
  const attestation = [
    "--attestation-ref",
    "CHG-1234",
    "--approved-by",
    "Jane Doe",
    "--approved-at",
    "2026-03-01T09:00:00Z",
  ];
  const subscription = ["--subscription", "6b1f3c2a-8d4e-4f6a-9b0c-1d2e3f405162"];

  it("refuses to start without a terminal and without --yes (usage, exit 2), before touching anything", async () => {
    const r = await port25([
      "run",
      ...subscription,
      ...attestation,
      "--arm-endpoint",
      "https://127.0.0.1:9",
      "--state",
      join(work, "no-tty"),
    ]).ended;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/without confirmation.*--yes/);
  });

  it("refuses --time-scale against Azure's own endpoint", async () => {
    const r = await port25([
      "run",
      ...subscription,
      ...attestation,
      "--yes",
      "--time-scale",
      "600",
      "--arm-endpoint",
      "https://management.azure.com",
      "--state",
      join(work, "azure"),
    ]).ended;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--time-scale: only against a simulator on this machine/);
  });
});
