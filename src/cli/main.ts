#!/usr/bin/env node
/** The port25 command: simulate, plan, the standalone simulator, the app's HTTP API served locally, and a client for the deployed app. */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ensureError, isPort25Error } from "../errors";
import { UsageError } from "./args";
import { PLAN_HELP, REMOTE_HELP, RUN_HELP, SERVE_HELP, SIMULATE_HELP, SIMULATOR_HELP } from "./help";

import type { CommandResult } from "./command";

interface Command {
  help: string;
  /** Loaded on demand: the simulator, the durable host and the SDKs are only imported by the commands using them. */
  run(argv: string[]): Promise<CommandResult>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves on the first SIGINT or SIGTERM. The handlers stay for the life of the process: Ctrl+C under `npm run`
 * reaches the command more than once (the terminal signals the whole process group and npm and tsx relay it), and a
 * signal with no handler left would end the process halfway through removing what the command made.
 */
const interrupted = (): Promise<void> =>
  new Promise((resolve) => {
    const onSignal = (): void => resolve();
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });

/** The local form of status/approve/cancel/audit (--state DIR), or undefined when the command is for the app. */
async function local(
  argv: string[],
  verb: "status" | "approve" | "cancel" | "audit",
): Promise<CommandResult | undefined> {
  const m = await import("./commands/localRuns.js");
  if (m.wantsLocal(argv)) return m.localCommand(argv, verb);
  // Neither form named: zod would only say "--app: is required", and the run `port25 run` keeps is the other form.
  if (!argv.some((a) => a === "--app" || a.startsWith("--app="))) throw new UsageError(m.neitherAppNorState());
  return undefined;
}

const COMMANDS: Record<string, Command> = {
  simulate: {
    help: SIMULATE_HELP,
    run: async (argv) => (await import("./commands/simulate.js")).simulateCommand(argv, interrupted()),
  },
  plan: { help: PLAN_HELP, run: async (argv) => (await import("./commands/plan.js")).planCommand(argv) },
  run: { help: RUN_HELP, run: async (argv) => (await import("./commands/run.js")).runCommand(argv, interrupted()) },
  simulator: {
    help: SIMULATOR_HELP,
    run: async (argv) => (await import("./commands/simulator.js")).simulatorCommand(argv, interrupted()),
  },
  serve: {
    help: SERVE_HELP,
    run: async (argv) => (await import("./commands/serve.js")).serveCommand(argv, interrupted()),
  },
  start: {
    help: REMOTE_HELP.start,
    run: async (argv) => (await import("./commands/remoteStart.js")).startCommand(argv),
  },
  // With --state DIR they act on the run `port25 run` keeps there; otherwise on the deployed app.
  status: {
    help: REMOTE_HELP.status,
    run: async (argv) =>
      (await local(argv, "status")) ?? (await import("./commands/remote.js")).statusCommand(argv, sleep),
  },
  approve: {
    help: REMOTE_HELP.approve,
    run: async (argv) =>
      (await local(argv, "approve")) ?? (await import("./commands/remote.js")).eventCommand(argv, "approve"),
  },
  cancel: {
    help: REMOTE_HELP.cancel,
    run: async (argv) =>
      (await local(argv, "cancel")) ?? (await import("./commands/remote.js")).eventCommand(argv, "cancel"),
  },
  audit: {
    help: REMOTE_HELP.audit,
    run: async (argv) => (await local(argv, "audit")) ?? (await import("./commands/remoteAudit.js")).auditCommand(argv),
  },
};

/** The synopsis lines of a help text: its first line and the indented continuation lines of the flags. */
function synopsis(help: string): string[] {
  const [first = "", ...rest] = help.split("\n");
  const more: string[] = [];
  for (const line of rest) {
    if (!/^ {3,}\S/.test(line)) break;
    more.push(line);
  }
  return [first, ...more];
}

function usage(): string {
  return [
    "port25 — remediate the outbound SMTP (port 25) exemption of an Enterprise Dev/Test subscription",
    "",
    "Commands:",
    ...Object.values(COMMANDS).flatMap((c) => synopsis(c.help).map((line) => `  ${line}`)),
    "",
    "Run `port25 <command> --help` for details; `port25 --version` prints the version.",
    "Exit codes: 0 success; 1 the run (or campaign) ended with failures, left a resource down, was refused, halted,",
    "cancelled or not approved in time (or the app answered with an error); 2 bad usage or input; 130 port25 run",
    "paused by Ctrl+C (the same command resumes it).",
  ].join("\n");
}

/** The package's version, from its package.json (run from src or from dist). */
function packageVersion(): string {
  const root = __dirname.split(/[\\/]/).includes("dist") ? resolve(__dirname, "../../..") : resolve(__dirname, "../..");
  const parsed = z
    .object({ version: z.string() })
    .safeParse(JSON.parse(readFileSync(join(root, "package.json"), "utf8")));
  return parsed.success ? parsed.data.version : "unknown";
}

/** The command a mistyped one most likely meant: within two edits, or the only one it starts. */
function nearestCommand(typed: string): string | undefined {
  const names = Object.keys(COMMANDS);
  const scored = names.map((n) => ({ n, d: editDistance(typed.toLowerCase(), n) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  if (best !== undefined && best.d <= 2) return best.n;
  const prefixed = names.filter((n) => n.startsWith(typed.toLowerCase()));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(
        Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Exit code for a failure: 2 for bad usage or input, 1 otherwise. */
function report(name: string, e: unknown): number {
  const err = ensureError(e);
  process.stderr.write(`port25 ${name}: ${err.message}\n`);
  if (e instanceof UsageError) return 2;
  if (isPort25Error(e) && e.code === "ValidationFailed") return 2;
  if (err.name === "RemoteError" && "status" in err && err.status === 400) return 2;
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(`port25 ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = nearestCommand(name);
    process.stderr.write(
      `port25: unknown command "${name}"${near === undefined ? "" : ` — did you mean "${near}"?`}\n\n${usage()}\n`,
    );
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return (await command.run(rest)).exitCode;
  } catch (e) {
    return report(name, e);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`port25: ${ensureError(e).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
