/**
 * The chaos command (entry: scripts/chaos.ts, `npm run chaos`).
 * `npm run chaos -- --seeds N [--from S] [--seed S] [--quick] [--min-vms A] [--max-vms B] [--json FILE] [--quiet]`
 * runs chaos seeds (test/chaos/harness.ts) against one shared Azurite, prints the summary table and a replay command
 * for every failing seed, and exits 1 on any violation. `--known-bugs` replays the seeds of every known product bug.
 * `--quick` is the bounded profile of the `npm test` slice.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ensureError } from "../../src/errors";
import { startAzurite } from "../../src/audit/localAzurite";
import { KNOWN_BUG_REPRODUCTIONS } from "./knownBugs";
import { KNOWN_PRODUCT_BUGS, renderTable, replayCommand, runChaosSeed, totals, type ChaosSeedResult } from "./harness";

const ArgsSchema = z
  .object({
    seeds: z.coerce.number().int().min(1).max(100_000).optional(),
    from: z.coerce.number().int().min(0).default(1),
    seed: z.coerce.number().int().min(0).optional(),
    minVms: z.coerce.number().int().min(1).max(2000).optional(),
    maxVms: z.coerce.number().int().min(1).max(2000).optional(),
    json: z.string().min(1).optional(),
    quiet: z.boolean().default(false),
    quick: z.boolean().default(false),
    knownBugs: z.boolean().default(false),
  })
  .strict()
  .refine((a) => a.minVms === undefined || a.maxVms === undefined || a.minVms <= a.maxVms, {
    message: "--min-vms must not exceed --max-vms",
    path: ["minVms"],
  });

const USAGE = `Usage: npm run chaos -- [--seeds N] [--from S] [--seed S] [--quick] [--min-vms A] [--max-vms B] [--json FILE] [--quiet] [--known-bugs]
  --seeds N       run N seeds (default 20), starting at --from (default 1)
  --seed S        run seed S alone (the replay command a failing seed prints)
  --quick         the bounded profile of the npm test slice (smaller fleets)
  --min-vms A, --max-vms B   fleet size range of the full profile
  --json FILE     write every seed's result as JSON
  --quiet         print only failing seeds and the summary
  --known-bugs    replay the seeds of every known product bug
Exit codes: 0 no violation, 1 a violation, 2 bad usage.
`;

const CHAOS_OPTIONS = {
  seeds: { type: "string" },
  from: { type: "string" },
  seed: { type: "string" },
  "min-vms": { type: "string" },
  "max-vms": { type: "string" },
  json: { type: "string" },
  quiet: { type: "boolean" },
  quick: { type: "boolean" },
  "known-bugs": { type: "boolean" },
} as const;

/** Runs the command; resolves to the exit code (0 clean, 1 a violation, 2 bad usage). */
export async function chaosMain(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: CHAOS_OPTIONS, strict: true }));
  } catch (e) {
    // An unknown or malformed flag: name it and show the usage, no stack.
    process.stderr.write(`chaos: ${ensureError(e).message}\n${USAGE}`);
    return 2;
  }
  return runChaos(values);
}

async function runChaos(values: Record<string, string | boolean | undefined>): Promise<number> {
  const { "min-vms": minVms, "max-vms": maxVms, "known-bugs": knownBugs, ...rest } = values;
  const parsed = ArgsSchema.safeParse({ ...rest, minVms, maxVms, knownBugs });
  if (!parsed.success) {
    process.stderr.write(
      `chaos: ${parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}\n`,
    );
    return 2;
  }
  const a = parsed.data;
  const profile = a.quick ? "quick" : "full";
  if (a.knownBugs) {
    for (const b of KNOWN_PRODUCT_BUGS) {
      process.stdout.write(
        `known bug ${b.id}: ${b.summary}\n${b.seeds.map((s) => `  ${replayCommand(s.seed, s.profile)}\n`).join("")}`,
      );
    }
  }
  const runs: { seed: number; profile: "full" | "quick" }[] = a.knownBugs
    ? KNOWN_PRODUCT_BUGS.flatMap((b) => b.seeds)
    : (a.seed !== undefined ? [a.seed] : Array.from({ length: a.seeds ?? 20 }, (_, i) => a.from + i)).map((seed) => ({
        seed,
        profile,
      }));
  const azurite = await startAzurite();
  const results: ChaosSeedResult[] = [];
  const began = Date.now();
  try {
    for (const { seed, profile: p } of runs) {
      const r = await runChaosSeed(seed, {
        profile: p,
        minVms: a.minVms,
        maxVms: a.maxVms,
        auditConnection: azurite.connectionString,
      });
      results.push(r);
      if (!a.quiet || r.violations.length > 0) {
        const faults = Object.entries(r.faultsInjected)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ");
        process.stdout.write(
          `seed ${seed}: ${r.vms} VMs, ${r.status}, cycled ${r.vmsCycled}${r.leftDown > 0 ? `, LEFT DOWN ${r.leftDown}` : ""}, lost ${r.lostCompletions}, restarts ${r.hostRestarts}, retries ${r.retries}${faults ? `, ${faults}` : ""}${r.violations.length > 0 ? `, ${r.violations.length} VIOLATIONS` : ""}\n`,
        );
      }
      for (const v of r.violations)
        process.stdout.write(
          `  [${v.check}]${v.knownBug === undefined ? "" : ` (known bug ${v.knownBug})`} ${v.message}\n`,
        );
      if (r.violations.length > 0) process.stdout.write(`  replay: ${r.replay}\n`);
      // Written after every seed, so a long run can be summarised while it is still going.
      if (a.json !== undefined)
        writeFileSync(a.json, `${JSON.stringify({ totals: totals(results), results }, null, 2)}\n`);
    }
  } finally {
    await azurite.stop();
  }
  let reproduced = 0;
  if (a.knownBugs) {
    for (const r of KNOWN_BUG_REPRODUCTIONS) {
      const violations = await r.run();
      reproduced += violations.length;
      process.stdout.write(
        `reproduction of ${r.id}: ${violations.length === 0 ? "no violation (fixed?)" : violations.map((v) => `[${v.invariant}] ${v.message}`).join("; ")}\n`,
      );
    }
  }
  const t = totals(results);
  process.stdout.write(
    `\n${renderTable(t)}\n\n${runs.length} seeds in ${((Date.now() - began) / 1000).toFixed(0)} s\n`,
  );
  if (t.failingSeeds.length > 0 || reproduced > 0) {
    const failing = results.filter((r) => r.violations.length > 0);
    process.stdout.write(
      `failing seeds (replay each with the command below):\n${failing.map((r) => `  ${r.replay}`).join("\n")}\n`,
    );
    return 1;
  }
  return 0;
}
