/**
 * Ctrl+C, as an operator presses it: `simulate` says which run it stopped and how far it had gone, writes the partial
 * report, removes the Azurite and simulator folders it made and exits 130; `serve` removes what it made. Each
 * command runs in a process group of its own (as a terminal's foreground job), with a temporary directory of its
 * own (TMPDIR), so what it leaves behind can be seen; the group is killed after each test whatever happened.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");

interface Job {
  child: ChildProcess;
  tmp: string;
  output(): string;
  /** Resolves with the first output that matches `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<number | null>;
}

const jobs: Job[] = [];
afterEach(() => {
  for (const job of jobs.splice(0)) {
    if (job.child.pid !== undefined && job.child.exitCode === null && job.child.signalCode === null) {
      try {
        process.kill(-job.child.pid, "SIGKILL");
      } catch {
        // The group has already gone.
      }
    }
    rmSync(job.tmp, { recursive: true, force: true });
  }
});

function startJob(command: string, args: string[]): Job {
  const tmp = mkdtempSync(join(tmpdir(), "interrupt-"));
  const child = spawn(command, args, { cwd: ROOT, detached: true, env: { ...process.env, TMPDIR: tmp, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const waiters: { pattern: RegExp; done: (s: string) => void }[] = [];
  const onData = (d: Buffer): void => {
    text += d.toString();
    for (const w of [...waiters]) {
      if (!w.pattern.test(text)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.done(text);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  // The status a shell reports: the exit code, or 128 + the signal's number for a process a signal ended (npm ends
  // itself with the signal it was sent, once its script has exited).
  const exited = new Promise<number | null>((done) => child.on("close", (code, signal) => done(code ?? (signal === null ? null : 128 + constants.signals[signal]))));
  const job: Job = {
    child,
    tmp,
    output: () => text,
    waitFor: (pattern) =>
      new Promise((done, fail) => {
        if (pattern.test(text)) return done(text);
        waiters.push({ pattern, done });
        void exited.then(() => fail(new Error(`exited before printing ${String(pattern)}:\n${text}`)));
      }),
    exited,
  };
  jobs.push(job);
  return job;
}

/** What the command left in its temporary directory (tsx keeps its compile cache there; that is not ours). */
function leftBehind(job: Job): string[] {
  return readdirSync(job.tmp).filter((f) => f.startsWith("port25-"));
}

const SIMULATE = ["--vms", "60", "--time-scale", "600"];
const PROGRESS = /waves: wave \d+\/\d+ \d+\/\d+ done/;

describe("Ctrl+C during simulate", () => {
  it("sent to the command itself: names the run and how far it got, writes the partial report, removes its folders, exits 130", async () => {
    const report = join(tmpdir(), `interrupt-direct-${process.pid}.html`);
    const job = startJob(process.execPath, ["--import", "tsx", "src/cli/main.ts", "simulate", ...SIMULATE, "--report", report]);
    await job.waitFor(PROGRESS);
    expect(leftBehind(job).length).toBe(2);
    job.child.kill("SIGINT");
    expect(await job.exited).toBe(130);
    expect(job.output()).toMatch(/Interrupted: run sim-\S+ on generated fleet of 60 VMs \(seed 1\), stopped after [\d.]+ s at waves: wave \d+\/\d+ \d+\/65 done/);
    expect(job.output()).toContain(`Partial report: ${report}`);
    const html = readFileSync(report, "utf8");
    rmSync(report, { force: true });
    expect(html).toContain("Interrupted: partial report");
    expect(leftBehind(job)).toEqual([]);
  });

  it("through npm run, sent to the whole foreground group as a terminal does: the same, exit 130", async () => {
    const job = startJob("npm", ["run", "-s", "simulate", "--", ...SIMULATE, "--report", "REPORT"]);
    // The report goes where --report says, relative to the package root.
    const report = join(ROOT, "REPORT");
    try {
      await job.waitFor(PROGRESS);
      if (job.child.pid === undefined) throw new Error("npm did not start");
      process.kill(-job.child.pid, "SIGINT");
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
    const job = startJob("npm", ["run", "-s", "port25", "--", "serve", "--port", "0", "--vms", "5"]);
    await job.waitFor(/Press Ctrl\+C to stop\./);
    expect(leftBehind(job).length).toBe(2);
    if (job.child.pid === undefined) throw new Error("npm did not start");
    process.kill(-job.child.pid, "SIGINT");
    expect([0, 130]).toContain(await job.exited);
    expect(job.output()).toMatch(/Stopped after \d+ ARM requests/);
    expect(leftBehind(job)).toEqual([]);
    expect(existsSync(job.tmp)).toBe(true);
  });
});
