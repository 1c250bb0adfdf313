/**
 * Ctrl+C, as an operator presses it: `simulate` says which run it stopped and how far it had gone, writes the partial
 * report, removes the Azurite and simulator folders it made and exits 130; `serve` removes what it made. Each
 * command runs in a process group of its own (as a terminal's foreground job), with a temporary directory of its
 * own (TMPDIR), so what it leaves behind can be seen; the group is killed after each test whatever happened.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, spawnCollected, spawnPort25, type Spawned } from "../support/spawn";

interface Job {
  proc: Spawned;
  tmp: string;
  output(): string;
  /** Resolves when a line of output matches `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  /** The status a shell reports: the exit code, or 128 + the signal's number for a process a signal ended. */
  exited: Promise<number | null>;
}

const jobs: Job[] = [];
afterEach(async () => {
  for (const job of jobs.splice(0)) {
    job.proc.killGroup("SIGKILL");
    await job.exited;
    rmSync(job.tmp, { recursive: true, force: true });
  }
});

/** A command in a process group of its own (as a terminal's foreground job) with its own TMPDIR. */
function startJob(
  start: (env: Record<string, string>) => Spawned,
  tmp = mkdtempSync(join(tmpdir(), "interrupt-")),
): Job {
  const proc = start({ TMPDIR: tmp });
  // npm ends itself with the signal it was sent, once its script has exited.
  const exited = proc.ended.then(
    ({ code, signal }) => code ?? (signal === null ? null : 128 + constants.signals[signal]),
  );
  const job: Job = {
    proc,
    tmp,
    output: () => proc.stdout() + proc.stderr(),
    waitFor: (pattern) => proc.line((l) => pattern.test(l)),
    exited,
  };
  jobs.push(job);
  return job;
}

const npm =
  (args: string[]) =>
  (env: Record<string, string>): Spawned =>
    spawnCollected("npm", args, { env });

/** What the command left in its temporary directory (tsx, under npm run, keeps its compile cache there; that is not ours). */
function leftBehind(job: Job): string[] {
  return readdirSync(job.tmp).filter((f) => f.startsWith("port25-"));
}

const SIMULATE = ["--vms", "60", "--time-scale", "600"];
const PROGRESS = /waves: wave \d+\/\d+ \d+\/\d+ done/;

describe("Ctrl+C during simulate", () => {
  it("sent to the command itself: names the run and how far it got, writes the partial report, removes its folders, exits 130", async () => {
    const report = join(tmpdir(), `interrupt-direct-${process.pid}.html`);
    const job = startJob((env) => spawnPort25(["simulate", ...SIMULATE, "--report", report], { env }));
    await job.waitFor(PROGRESS);
    // The simulator's folder, Azurite's, and the finished instances' scratch file's.
    expect(leftBehind(job).length).toBe(3);
    job.proc.child.kill("SIGINT");
    expect(await job.exited).toBe(130);
    expect(job.output()).toMatch(
      /Interrupted: run sim-\S+ on generated fleet of 60 VMs \(seed 1\), stopped after [\d.]+ s at waves: wave \d+\/\d+ \d+\/65 done/,
    );
    expect(job.output()).toContain(`Partial report: ${report}`);
    const html = readFileSync(report, "utf8");
    rmSync(report, { force: true });
    expect(html).toContain("Interrupted: partial report");
    expect(leftBehind(job)).toEqual([]);
  });

  it("through npm run, sent to the whole foreground group as a terminal does: the same, exit 130", async () => {
    const job = startJob(npm(["run", "-s", "simulate", "--", ...SIMULATE, "--report", "REPORT"]));
    // The report goes where --report says, relative to the package root.
    const report = join(ROOT, "REPORT");
    try {
      await job.waitFor(PROGRESS);
      job.proc.killGroup("SIGINT");
      expect(await job.exited).toBe(130);
      expect(job.output()).toMatch(/Interrupted: run sim-\S+ .* stopped after [\d.]+ s at waves:/);
      expect(readFileSync(report, "utf8")).toContain("Interrupted: partial report");
      expect(leftBehind(job)).toEqual([]);
    } finally {
      rmSync(report, { force: true });
    }
  });
});

describe("Ctrl+C on serve, through npm run", () => {
  it("stops the API, the host, Azurite and the simulator and removes their folders", async () => {
    const job = startJob(npm(["run", "-s", "port25", "--", "serve", "--port", "0", "--vms", "5"]));
    await job.waitFor(/Press Ctrl\+C to stop\./);
    // The simulator's folder, Azurite's, and the finished instances' scratch file's.
    expect(leftBehind(job).length).toBe(3);
    job.proc.killGroup("SIGINT");
    expect([0, 130]).toContain(await job.exited);
    expect(job.output()).toMatch(/Stopped after \d+ ARM requests/);
    expect(leftBehind(job)).toEqual([]);
    expect(existsSync(job.tmp)).toBe(true);
  });
});
