/** port25 simulator: the Azure simulator alone, for pointing `plan` (or the SDKs) at it. */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { camelKeys, parseFlags, parseFlagValues, UsageError } from "../args";
import { displayPath, invocation, shellQuote } from "../invocation";
import type { CommandResult } from "../command";
import { MAX_CAMPAIGN_SUBSCRIPTIONS } from "../../contracts/campaign";
import {
  generateEstate,
  generateFleet,
  isEstateInput,
  loadEstate,
  parseEstate,
  scaledClock,
  rootGroup,
  startSimulator,
  type Estate,
  type SimManagementGroup,
  type SimulatorHandle,
} from "../../simulator/index";
import { ensureError } from "../../errors";

/**
 * The world a simulating command (simulator, simulate, serve) runs against: a scenario file, or a generated fleet of
 * --vms VMs from --seed (the generators fold a seed to 32 bits, so a larger one would only repeat a smaller one's).
 */
export const WorldFlags = {
  scenario: z.string().min(1).optional(),
  vms: z.coerce.number().int().min(1).max(20000).optional(),
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .default(1),
};

const Flags = z
  .object({
    ...WorldFlags,
    subscriptions: z.coerce.number().int().min(1).max(MAX_CAMPAIGN_SUBSCRIPTIONS).optional(),
    port: z.coerce.number().int().min(0).max(65535).default(0),
    /** The simulated clock runs this many times real time (default: the scenario's own, 1 unless it says). */
    timeScale: z.coerce.number().positive().max(1e6).optional(),
    /** Written when the simulator stops: every request it answered (RequestLogEntry), as a JSON array. */
    requestLog: z.string().min(1).optional(),
  })
  .strict();

/** VMs per generated subscription when --subscriptions is given without --vms. */
export const DEFAULT_VMS_PER_SUBSCRIPTION = 20;

export async function simulatorCommand(argv: string[], until: Promise<void>): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    scenario: { type: "string" },
    vms: { type: "string" },
    subscriptions: { type: "string" },
    seed: { type: "string" },
    port: { type: "string" },
    "time-scale": { type: "string" },
    "request-log": { type: "string" },
  });
  const f = parseFlagValues(Flags, camelKeys(values));
  if (f.scenario !== undefined && f.vms !== undefined)
    throw new UsageError("--vms: cannot be combined with --scenario");
  if (f.scenario !== undefined && f.subscriptions !== undefined)
    throw new UsageError("--subscriptions: cannot be combined with --scenario");
  const scenario =
    f.subscriptions !== undefined
      ? generateEstate({
          subscriptions: f.subscriptions,
          vmsPerSubscription: f.vms ?? DEFAULT_VMS_PER_SUBSCRIPTION,
          seed: f.seed,
        })
      : f.vms !== undefined
        ? generateFleet(f.vms, f.seed)
        : loadEstateFlag(f.scenario ?? defaultScenarioPath());
  const estate = loadEstate(scenario);
  // One clock for the whole endpoint: from the scenario's start time (or now), at --time-scale times real time.
  const start = estate.clock.startTime === undefined ? Date.now() : Date.parse(estate.clock.startTime);
  const timeScale = f.timeScale ?? estate.clock.timeScale;
  const clock = scaledClock(start, timeScale);
  // The simulator may serve for hours: it keeps every request only when asked to write them out.
  const sim = await startSimulator({
    scenario: estate,
    port: f.port,
    seed: f.seed,
    clock,
    requestLog: f.requestLog !== undefined,
  });
  const target = `--subscription ${sim.subscriptionId} --arm-endpoint ${sim.endpoint} --ca ${shellQuote(displayPath(sim.caFile))}`;
  const plan = `${invocation()} plan ${target}`;
  const exemptedAt = estate.subscriptions[0]?.scenario.exemption.effectiveAt;
  // Dated at the scenario's exemption (or a day before its clock's start when nothing is exempted), as simulate does.
  const attestation = {
    reference: "SIMULATED-EXEMPTION",
    approvedBy: "port25 simulator",
    approvedAt: exemptedAt ?? new Date(clock.now() - 86_400_000).toISOString(),
  };
  const run =
    `${invocation()} run ${target} --attestation-ref ${attestation.reference} --approved-by ${shellQuote(attestation.approvedBy)} --approved-at ${attestation.approvedAt}` +
    // The run's host keeps the simulator's time only at its scale: the scenario's own (the demo's 60) when no flag set one.
    (timeScale === 1 ? "" : ` --time-scale ${timeScale}`);
  const served =
    sim.subscriptionIds.length === 1 && sim.managementGroups.length === 0
      ? [`  subscription id: ${sim.subscriptionId}`, `  CA file:         ${sim.caFile}`]
      : estateLines(sim);
  process.stdout.write(
    [
      `Azure simulator listening at ${sim.endpoint}`,
      ...served,
      "",
      "Point port25 plan at it (in another shell, in this directory):",
      `  export PORT25_ARM_STATIC_TOKEN=${shellQuote(sim.token)}`,
      `  ${plan}`,
      ...(sim.subscriptionIds.length > 1 ? ["(or --subscription any subscription id above)"] : []),
      ...groupPlan(sim),
      "",
      "Or remediate it with the product itself, state in .port25/ (run the same line again to resume):",
      `  ${run}`,
      ...(timeScale === 1
        ? []
        : [
            `(the simulated clock runs ${timeScale} times real time; it is now ${new Date(clock.now()).toISOString()})`,
          ]),
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  await until;
  const c = sim.counters();
  if (f.requestLog !== undefined) writeFileSync(resolve(f.requestLog), JSON.stringify(sim.requestLog()));
  await sim.close();
  process.stdout.write(`Stopped after ${c.requests} requests (${c.throttled} throttled).\n`);
  return { exitCode: 0 };
}

/** For an estate: the plan of every subscription under its root group, as a campaign over it would take them. */
function groupPlan(sim: SimulatorHandle): string[] {
  const root = rootGroup(sim.managementGroups);
  if (root === undefined) return [];
  return [
    "Or every subscription under a management group at once:",
    `  ${invocation()} plan --management-group ${root.id} --arm-endpoint ${sim.endpoint} --ca ${shellQuote(displayPath(sim.caFile))}`,
  ];
}

/** The tenant, the management-group tree (each group with its subscriptions) and any subscription outside it. */
function estateLines(sim: SimulatorHandle): string[] {
  const names = new Map(sim.subscriptions.map((s) => [s.id, s.displayName]));
  const lines = [
    `  tenant id:       ${sim.tenantId}`,
    `  CA file:         ${sim.caFile}`,
    `  ${sim.managementGroups.length} management groups, ${sim.subscriptionIds.length} subscriptions:`,
  ];
  const children = (parent: string | undefined): SimManagementGroup[] =>
    sim.managementGroups.filter((g) => g.parent === parent);
  const walk = (g: SimManagementGroup, depth: number): void => {
    const pad = "  ".repeat(depth + 2);
    lines.push(`${pad}${g.id} (${g.displayName})`);
    for (const s of g.subscriptionIds) lines.push(`${pad}  ${s}  ${names.get(s) ?? ""}`);
    for (const c of children(g.id)) walk(c, depth + 1);
  };
  for (const root of children(undefined)) walk(root, 0);
  const placed = new Set(sim.managementGroups.flatMap((g) => g.subscriptionIds));
  for (const s of sim.subscriptionIds.filter((id) => !placed.has(id))) lines.push(`    ${s}  ${names.get(s) ?? ""}`);
  return lines;
}

/** scenarios/ next to the package root, whether running from src (tsx) or dist. */
export function defaultScenarioPath(): string {
  const fromSrc = resolve(__dirname, "../../../scenarios/demo.json");
  const fromDist = resolve(__dirname, "../../../../scenarios/demo.json");
  return __dirname.includes(`${"/dist/"}`) ? fromDist : fromSrc;
}

/**
 * Loads the scenario named by --scenario, an estate or a single subscription's; every problem is a usage error that
 * names the flag and the file: a missing or unreadable file, a file that is not JSON, or the bad fields.
 */
export function loadEstateFlag(path: string): Estate {
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
    return parseEstate(raw, isEstateInput(raw) ? "estate" : "scenario");
  } catch (e) {
    throw new UsageError(`--scenario ${path}: ${ensureError(e).message}`);
  }
}
