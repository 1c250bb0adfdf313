#!/usr/bin/env node
/** The port25 command: simulate, plan, the standalone simulator, and a client for the deployed app. */
import { ensureError, isPort25Error } from "../errors";
import { UsageError } from "./args";
import { RemoteError } from "./remoteClient";
import { planCommand, PLAN_HELP } from "./commands/plan";
import { simulateCommand, SIMULATE_HELP } from "./commands/simulate";
import { simulatorCommand, SIMULATOR_HELP } from "./commands/simulator";
import { auditCommand, eventCommand, REMOTE_HELP, startCommand, statusCommand } from "./commands/remote";

export interface CommandResult {
  exitCode: 0 | 1 | 2;
}

interface Command {
  help: string;
  run(argv: string[]): Promise<CommandResult>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const interrupted = (): Promise<void> =>
  new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });

const COMMANDS: Record<string, Command> = {
  simulate: { help: SIMULATE_HELP, run: simulateCommand },
  plan: { help: PLAN_HELP, run: planCommand },
  simulator: { help: SIMULATOR_HELP, run: (argv) => simulatorCommand(argv, interrupted()) },
  start: { help: REMOTE_HELP.start, run: startCommand },
  status: { help: REMOTE_HELP.status, run: (argv) => statusCommand(argv, sleep) },
  approve: { help: REMOTE_HELP.approve, run: (argv) => eventCommand(argv, "approve") },
  cancel: { help: REMOTE_HELP.cancel, run: (argv) => eventCommand(argv, "cancel") },
  audit: { help: REMOTE_HELP.audit, run: auditCommand },
};

function usage(): string {
  return [
    "port25 — remediate the outbound SMTP (port 25) exemption of an Enterprise Dev/Test subscription",
    "",
    "Commands:",
    ...Object.values(COMMANDS).map((c) => `  ${c.help.split("\n")[0] ?? ""}`),
    "",
    "Run `port25 <command> --help` for details. Exit codes: 0 success, 1 run failed or refused, 2 bad usage.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`port25: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return (await command.run(rest)).exitCode;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`port25 ${name}: ${e.message}\n`);
      return 2;
    }
    if (isPort25Error(e) && e.code === "ValidationFailed") {
      process.stderr.write(`port25 ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof RemoteError) {
      process.stderr.write(`port25 ${name}: ${e.message}\n`);
      return e.status === 400 ? 2 : 1;
    }
    process.stderr.write(`port25 ${name}: ${ensureError(e).message}\n`);
    return 1;
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
