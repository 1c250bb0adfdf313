/** The built `port25` CLI as a child process, and `port25 serve` started from it, for the local API server's tests. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";

export const ROOT = resolve(__dirname, "../..");
export const CLI = join(ROOT, "dist/src/cli/main.js");

/** The attestation flags of `port25 start` in the serve tests. */
export const ATTESTATION_ARGS: readonly string[] = ["--attestation-ref", "REQ-25-0001", "--approved-by", "ops@contoso.example", "--approved-at", "2026-03-02T09:00:00Z"];

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Proc {
  child: ChildProcessWithoutNullStreams;
  out: { stdout: string; stderr: string };
  exited: Promise<Run>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0", PORT25_FUNCTION_KEY: "", ...env } });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<Run>((done, fail) => {
    child.on("error", fail);
    child.on("close", (code) => done({ code, ...out }));
  });
  return { child, out, exited };
}

/** Polls `probe` every `everyMs` until it returns a value, at most `attempts` times. */
export async function poll<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, attempts: number, everyMs = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts`);
}

export interface Served {
  proc: Proc;
  app: string;
  key: string;
  masterKey: string;
  /** Wall-clock time just before the process was spawned (its virtual clock cannot be ahead of the wall clock since then, times the time scale). */
  startedAtMs: number;
  stop(): Promise<void>;
}

/** Starts `port25 serve` on a free port and reads the base URL and keys it prints. */
export async function startServe(scenarioFile: string, timeScale: number, env: Record<string, string> = {}, args: readonly string[] = []): Promise<Served> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const startedAtMs = Date.now();
  const proc = spawnCli(["serve", "--scenario", scenarioFile, "--port", "0", "--time-scale", String(timeScale), ...args], env);
  await poll(
    "serve to print its keys",
    () => {
      if (proc.child.exitCode !== null) throw new Error(`serve exited ${proc.child.exitCode}: ${proc.out.stderr}`);
      return /Press Ctrl\+C/.test(proc.out.stdout) ? true : undefined;
    },
    1200,
  );
  const app = /HTTP API at (http:\/\/127\.0\.0\.1:\d+)\/api/.exec(proc.out.stdout)?.[1] ?? "";
  const key = /Function key: (\S+)/.exec(proc.out.stdout)?.[1] ?? "";
  const masterKey = /Master key:\s+(\S+)/.exec(proc.out.stdout)?.[1] ?? "";
  expect(app).not.toBe("");
  expect(key).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  expect(masterKey).not.toBe(key);
  return {
    proc,
    app,
    key,
    masterKey,
    startedAtMs,
    async stop() {
      if (proc.child.exitCode === null) {
        proc.child.kill("SIGKILL");
        await proc.exited;
      }
    },
  };
}
