/**
 * Footprint of `port25 simulate --vms N --json` as a user runs it: real seconds, and peak memory of its process
 * tree (npx, tsx, the CLI, Azurite) sampled from /proc while it runs. Killed when it exceeds its time limit.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { ensureError } from "../src/errors";
import { FootprintSchema, type Footprint } from "./spec";

const SAMPLE_MS = 200;

/** Clock ticks a second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * Parent pid, the VmRSS / VmHWM (KiB) and the CPU ticks (user + system, /proc/<pid>/stat fields 14 and 15) of one
 * process, or undefined when it is gone or unreadable.
 */
function readProc(pid: number): { ppid: number; rssKiB: number; hwmKiB: number; cpuTicks: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? "0");
    // The fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuTicks = Number(rest[11] ?? 0) + Number(rest[12] ?? 0);
    return { ppid: field("PPid"), rssKiB: field("VmRSS"), hwmKiB: field("VmHWM"), cpuTicks };
  } catch {
    return undefined;
  }
}

/** The root and every descendant still alive. */
function processTree(root: number): { pid: number; rssKiB: number; hwmKiB: number; cpuTicks: number }[] {
  const all = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      const p = readProc(Number(d));
      return p === undefined ? [] : [{ pid: Number(d), ...p }];
    });
  const children = new Map<number, number[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const wanted = new Set<number>([root]);
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const c of children.get(pid) ?? []) {
      if (!wanted.has(c)) {
        wanted.add(c);
        queue.push(c);
      }
    }
  }
  return all.filter((p) => wanted.has(p.pid));
}

const SimulateJsonSchema = z.object({
  summary: z.object({ status: z.string() }),
  timing: z.object({ simulatedSeconds: z.number() }),
  arm: z.object({ requests: z.number().int() }),
});

export async function measureFootprint(vms: number, limitSeconds: number, cwd: string): Promise<Footprint> {
  const work = mkdtempSync(path.join(tmpdir(), "port25-bench-"));
  const args = [
    "tsx",
    "src/cli/main.ts",
    "simulate",
    "--vms",
    String(vms),
    "--json",
    "--report",
    path.join(work, "report.html"),
  ];
  const command = `npx ${args.join(" ")}`;
  const canSample = existsSync("/proc/self/status");
  const loadAtStart = loadavg()[0] ?? 0;
  const t0 = performance.now();
  const child = spawn("npx", args, { cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString("utf8")).slice(-4000)));
  let peakTree = 0;
  let peakHwm = 0;
  let samples = 0;
  // Each process's CPU at its last sample: the tree's CPU time, short of what a process spent after it.
  const cpuTicks = new Map<number, number>();
  const sample = (): void => {
    if (!canSample || child.pid === undefined) return;
    const tree = processTree(child.pid);
    if (tree.length === 0) return;
    samples += 1;
    peakTree = Math.max(
      peakTree,
      tree.reduce((s, p) => s + p.rssKiB, 0),
    );
    peakHwm = Math.max(peakHwm, ...tree.map((p) => p.hwmKiB));
    for (const p of tree) cpuTicks.set(p.pid, Math.max(cpuTicks.get(p.pid) ?? 0, p.cpuTicks));
  };
  let timedOut = false;
  const timer = setInterval(sample, SAMPLE_MS);
  const killer = setTimeout(() => {
    timedOut = true;
    // The whole group: npx, tsx, the CLI and its Azurite child.
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  }, limitSeconds * 1000);
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  clearInterval(timer);
  clearTimeout(killer);
  const realSeconds = (performance.now() - t0) / 1000;
  rmSync(work, { recursive: true, force: true });

  let reported: z.output<typeof SimulateJsonSchema> | undefined;
  let error: string | undefined;
  try {
    reported = SimulateJsonSchema.parse(JSON.parse(stdout.trim().split("\n").pop() ?? "null"));
  } catch (e) {
    error = `${ensureError(e).message.slice(0, 300)} | stderr: ${stderr.slice(-500)}`;
  }
  return FootprintSchema.parse({
    vms,
    command,
    status: timedOut ? "timedOut" : reported !== undefined ? "completed" : "error",
    exitCode,
    ...(error !== undefined && !timedOut ? { error } : {}),
    realSeconds: Number(realSeconds.toFixed(1)),
    peakTreeRssMiB: Math.round(peakTree / 1024),
    peakProcessHwmMiB: Math.round(peakHwm / 1024),
    samples,
    simulatedSeconds: reported?.timing.simulatedSeconds ?? null,
    armRequests: reported?.arm.requests ?? null,
    runStatus: reported?.summary.status ?? null,
    loadAverage: { start: Number(loadAtStart.toFixed(1)), end: Number((loadavg()[0] ?? 0).toFixed(1)) },
    ...(canSample
      ? { cpuSeconds: Number(([...cpuTicks.values()].reduce((t, n) => t + n, 0) / TICKS_PER_SECOND).toFixed(1)) }
      : {}),
  });
}
