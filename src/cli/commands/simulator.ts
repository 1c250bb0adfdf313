/** port25 simulator: the Azure simulator alone, for pointing `plan` (or the SDKs) at it. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { camelKeys, parseFlags, parseFlagValues, UsageError } from "../args";
import { displayPath, invocation, shellQuote } from "../invocation";
import type { CommandResult } from "../command";
import { generateFleet, loadScenario, startSimulator, type Scenario, type ScenarioInput } from "../../simulator/index";
import { ensureError } from "../../errors";

const Flags = z
  .object({
    scenario: z.string().min(1).optional(),
    vms: z.coerce.number().int().min(1).max(20000).optional(),
    seed: z.coerce.number().int().min(0).default(1),
    port: z.coerce.number().int().min(0).max(65535).default(0),
  })
  .strict();

export async function simulatorCommand(argv: string[], until: Promise<void>): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    scenario: { type: "string" },
    vms: { type: "string" },
    seed: { type: "string" },
    port: { type: "string" },
  });
  const f = parseFlagValues(Flags, camelKeys(values));
  if (f.scenario !== undefined && f.vms !== undefined) throw new UsageError("--vms: cannot be combined with --scenario");
  const scenario = f.vms !== undefined ? generateFleet(f.vms, f.seed) : loadScenarioFlag(f.scenario ?? defaultScenarioPath());
  const sim = await startSimulator({ scenario, port: f.port, seed: f.seed });
  const plan = `${invocation()} plan --subscription ${sim.subscriptionId} --arm-endpoint ${sim.endpoint} --ca ${shellQuote(displayPath(sim.caFile))}`;
  process.stdout.write(
    [
      `Azure simulator listening at ${sim.endpoint}`,
      `  subscription id: ${sim.subscriptionId}`,
      `  CA file:         ${sim.caFile}`,
      "",
      "Point port25 plan at it (in another shell, in this directory):",
      `  export PORT25_ARM_STATIC_TOKEN=${shellQuote(sim.token)}`,
      `  ${plan}`,
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  await until;
  const c = sim.counters();
  await sim.close();
  process.stdout.write(`Stopped after ${c.requests} requests (${c.throttled} throttled).\n`);
  return { exitCode: 0 };
}

/** scenarios/ next to the package root, whether running from src (tsx) or dist. */
export function defaultScenarioPath(): string {
  const fromSrc = resolve(__dirname, "../../../scenarios/demo.json");
  const fromDist = resolve(__dirname, "../../../../scenarios/demo.json");
  return __dirname.includes(`${"/dist/"}`) ? fromDist : fromSrc;
}

/**
 * Loads the scenario named by --scenario; every problem is a usage error that names the flag and the file: a
 * missing or unreadable file, a file that is not JSON, or the bad fields of the scenario.
 */
export function loadScenarioFlag(path: string): Scenario {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = e instanceof Error && "code" in e ? String(e.code) : "";
    throw new UsageError(
      `--scenario ${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a scenario file" : `cannot be read (${ensureError(e).message})`}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--scenario ${path}: not valid JSON (${ensureError(e).message})`);
  }
  try {
    return loadScenario(raw as ScenarioInput);
  } catch (e) {
    throw new UsageError(`--scenario ${path}: ${ensureError(e).message}`);
  }
}
