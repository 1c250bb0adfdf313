/**
 * The `port25` command as a child process, for the tests where the process boundary is the behaviour (signals, a
 * terminal or its absence, real stdout piping, a second process refused, commands pasted into a shell). Everything
 * else runs the CLI in-process (`runPort25` in ./stdio.ts), which costs no Node start-up and no module loading.
 *
 * One place for the node binary, the entry (the build by default, as users run `port25`; the TypeScript source
 * through tsx as `npm run port25` does), the environment, collecting the output, waiting for a line and killing
 * what was started: each child leads its own process group, and every group still alive when a test file ends is
 * killed (test/support/teardown.ts), so a shell's children go with it (test/support/noOrphans.ts proves none is left).
 *
 * No vitest import here: scripts/docExamples.ts runs it outside the test runner.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(__dirname, "../..");
/** The built CLI (`npm run build`; `npm test` builds before it runs the tests). */
export const CLI = join(ROOT, "dist/src/cli/main.js");
const SOURCE = join(ROOT, "src/cli/main.ts");

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  /** What it wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line of stdout or stderr that matches (one already written counts); rejects if it ends first. */
  line(match: (line: string) => boolean): Promise<string>;
  /** Resolves when it has ended and its output is closed. */
  ended: Promise<Ended>;
  /** Signals its whole process group (a shell and what it started, or the CLI and its workers); no-op once ended. */
  killGroup(signal?: NodeJS.Signals): void;
}

export interface SpawnOptions {
  /** Added to the parent's environment (FORCE_COLOR=0 and an empty PORT25_FUNCTION_KEY come first; these override). */
  env?: Record<string, string | undefined>;
  /** The working directory (default: the package root). */
  cwd?: string;
  /** "dist" (default): node and the built CLI; "source": node --import tsx and src/cli/main.ts, as `npm run port25`. */
  from?: "dist" | "source";
  /** "ignore" (default) or "closed": a pipe closed at once, so the child sees end of input and no terminal. */
  stdin?: "ignore" | "closed";
}

const live = new Set<Spawned>();

/** Starts any command with the same collection, line waiting and group kill (used for `/bin/sh -c` and tsx scripts). */
export function spawnCollected(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, "from"> = {},
): Spawned {
  const child = spawn(command, [...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, FORCE_COLOR: "0", PORT25_FUNCTION_KEY: "", ...options.env },
    stdio: [options.stdin === "closed" ? "pipe" : "ignore", "pipe", "pipe"],
    // Its own process group, so that teardown reaches everything it started, and a test's signal only it.
    detached: true,
  }) as ChildProcessWithoutNullStreams;
  if (options.stdin === "closed") child.stdin.end();
  let stdout = "";
  let stderr = "";
  let open = true;
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  // Output arrives in chunks that can split a line: only complete lines are matched, the rest waits for its end.
  const partial = { stdout: "", stderr: "" };
  const feed = (stream: "stdout" | "stderr", text: string): void => {
    const lines = (partial[stream] + text).split("\n");
    partial[stream] = lines.pop() ?? "";
    for (const line of lines) {
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    feed("stdout", d.toString());
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    feed("stderr", d.toString());
  });
  const ended = new Promise<Ended>((done, fail) => {
    child.on("error", (e) => {
      open = false;
      live.delete(spawned);
      fail(e);
    });
    child.on("close", (code, signal) => {
      // A last line without its newline.
      feed("stdout", "\n");
      feed("stderr", "\n");
      open = false;
      live.delete(spawned);
      done({ code, signal, stdout, stderr });
    });
  });
  const spawned: Spawned = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    line: (match) =>
      new Promise((found, fail) => {
        const already = `${stdout}\n${stderr}`.split("\n").find(match);
        if (already !== undefined) return found(already);
        waiters.push({ match, resolve: found });
        ended.then(
          (e) =>
            fail(
              new Error(
                `${[command, ...args].join(" ").slice(0, 200)} ended (${String(e.code ?? e.signal)}) before the expected line:\n${e.stderr.slice(-3000)}`,
              ),
            ),
          fail,
        );
      }),
    ended,
    killGroup(signal: NodeJS.Signals = "SIGKILL") {
      if (!open || child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group has already gone.
      }
    },
  };
  live.add(spawned);
  return spawned;
}

/** `port25 ARGS` as a child process. */
export function spawnPort25(args: readonly string[], options: SpawnOptions = {}): Spawned {
  const from = options.from ?? "dist";
  if (from === "dist" && !existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const entry = from === "dist" ? [CLI] : ["--import", "tsx", SOURCE];
  return spawnCollected(process.execPath, [...entry, ...args], options);
}

/** Runs a POSIX shell script (`sh -e -c` unless `errexit` is false), as a user pastes lines into a terminal. */
export function spawnShell(script: string, options: Omit<SpawnOptions, "from"> & { errexit?: boolean } = {}): Spawned {
  return spawnCollected("/bin/sh", [...(options.errexit === false ? [] : ["-e"]), "-c", script], options);
}

/** Kills the process group of every child still running and waits for each to end (a test file's teardown). */
export async function stopAll(): Promise<void> {
  const running = [...live];
  for (const p of running) p.killGroup("SIGKILL");
  await Promise.all(running.map((p) => p.ended.catch(() => undefined)));
}
