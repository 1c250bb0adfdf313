/**
 * `port25 simulator` spawned as an operator starts it in a second shell, for the tests that run `port25 run` against
 * it: the token and the `run` arguments it prints to paste, and its request log read back when it is stopped.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { spawnPort25, type Spawned } from "./spawn";

/** The built CLI with its standard input closed, as in a pipeline or under a scheduler: no terminal. */
export const port25 = (args: string[], env: Record<string, string> = {}): Spawned =>
  spawnPort25(args, { env, stdin: "closed" });

export const RequestLogSchema = z.array(z.object({ method: z.string(), path: z.string(), status: z.number() }).loose());
export type RequestLogEntry = z.output<typeof RequestLogSchema>[number];

export interface CliSimulator {
  proc: Spawned;
  token: string;
  /** The `port25 run` arguments it printed to paste. */
  runArgs: string[];
  requestLog: string;
  /** Stops it (as Ctrl+C does) and reads the request log it writes. */
  stop(): Promise<RequestLogEntry[]>;
}

/** Splits a printed command line into words (the simulator quotes with single quotes). */
export function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

/** Starts `port25 simulator <world> --time-scale <timeScale>`, its request log `<work>/<name>-requests.json`. */
export async function startCliSimulator(
  work: string,
  name: string,
  world: readonly string[],
  timeScale: string,
): Promise<CliSimulator> {
  const requestLog = join(work, `${name}-requests.json`);
  const proc = port25(["simulator", ...world, "--time-scale", timeScale, "--request-log", requestLog]);
  const tokenLine = await proc.line((l) => l.includes("export PORT25_ARM_STATIC_TOKEN="));
  const runLine = await proc.line((l) => l.includes(" run --subscription "));
  const token = words(tokenLine.trim().replace(/^export PORT25_ARM_STATIC_TOKEN=/, ""))[0] ?? "";
  const runArgs = words(runLine.slice(runLine.indexOf(" run --subscription ") + 1)).slice(1);
  return {
    proc,
    token,
    runArgs,
    requestLog,
    async stop() {
      proc.child.kill("SIGINT");
      await proc.ended;
      return RequestLogSchema.parse(JSON.parse(readFileSync(requestLog, "utf8")));
    },
  };
}
