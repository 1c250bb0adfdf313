/** port25 simulator: the Azure simulator alone, for pointing `plan` (or the SDKs) at it. */
import { resolve } from "node:path";
import { z } from "zod";
import { camelKeys, parseFlags, parseFlagValues, UsageError } from "../args";
import type { CommandResult } from "../main";
import { generateFleet, loadScenario, startSimulator } from "../../simulator/index";

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
  const scenario = f.vms !== undefined ? generateFleet(f.vms, f.seed) : loadScenarioOrUsage(loadScenario, f.scenario ?? defaultScenarioPath());
  const sim = await startSimulator({ scenario, port: f.port, seed: f.seed });
  process.stdout.write(
    [
      `Azure simulator listening at ${sim.endpoint}`,
      `  subscription id: ${sim.subscriptionId}`,
      `  CA file:         ${sim.caFile}`,
      "",
      "Point port25 plan at it:",
      `  export PORT25_ARM_STATIC_TOKEN=${sim.token}`,
      `  port25 plan --subscription ${sim.subscriptionId} --arm-endpoint ${sim.endpoint} --ca ${sim.caFile}`,
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

function loadScenarioOrUsage<T>(load: (p: string) => T, path: string): T {
  try {
    return load(resolve(path));
  } catch (e) {
    throw new UsageError(`--scenario: ${e instanceof Error ? e.message : String(e)}`);
  }
}
