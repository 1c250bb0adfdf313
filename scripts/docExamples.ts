/**
 * The example outputs in README.md and docs/cli.md, taken from real runs: `npm run docs:examples` runs each command
 * and writes its output between the example's markers (`<!-- example:NAME -->` and `<!-- /example:NAME -->`), and
 * test/cli/docExamples.test.ts runs them again and compares, with what differs from run to run (run ids, real
 * seconds, report paths) normalised, so the documented figures cannot drift from what the product prints.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { spawnPort25 } from "../test/support/spawn";

export const ROOT = resolve(__dirname, "..");

export interface Example {
  name: string;
  /** The documents holding the example, relative to the package root. */
  files: string[];
  /** The code block's language. */
  lang: string;
  /** What a user types (after `npm run -s`): the arguments of `port25`. */
  args: string[];
  /** The documented text, from the command's standard output. */
  render(stdout: string): string;
}

/** The `--json` document abridged for reading: one outcome of each kind, the rest counted. */
function abridgedJson(stdout: string): string {
  const doc = z.record(z.string(), z.unknown()).parse(JSON.parse(stdout));
  const outcomes = z.array(z.object({ kind: z.string() }).loose()).parse(doc.outcomes);
  const kinds = new Set<string>();
  const kept = outcomes.filter((o) => (kinds.has(o.kind) ? false : (kinds.add(o.kind), true)));
  // Long lists of names (the resources behind each egress path) are cut to their first three.
  const cut = (_key: string, value: unknown): unknown =>
    Array.isArray(value) && value.length > 5 && value.every((v) => typeof v === "string")
      ? [...value.slice(0, 3), `… ${value.length - 3} more`]
      : value;
  const lines = JSON.stringify({ ...doc, outcomes: kept }, cut, 2).split("\n");
  return [
    ...lines,
    `// abridged: "outcomes" shows ${kept.length} of ${outcomes.length} (one of each kind), lists of names their first three`,
  ].join("\n");
}

/** A campaign's `--json` document abridged: its first subscription's row shown, the others counted. */
function abridgedCampaignJson(stdout: string): string {
  const doc = z.record(z.string(), z.unknown()).parse(JSON.parse(stdout));
  const summary = z.record(z.string(), z.unknown()).parse(doc.summary);
  const members = z.array(z.unknown()).parse(summary.members);
  const lines = JSON.stringify({ ...doc, summary: { ...summary, members: members.slice(0, 1) } }, null, 2);
  return [
    ...lines.split("\n"),
    `// abridged: "summary.members" shows 1 of ${members.length} (one per subscription)`,
  ].join("\n");
}

export const EXAMPLES: readonly Example[] = [
  {
    name: "simulate-demo",
    files: ["README.md"],
    lang: "",
    args: ["simulate"],
    render: (out) => out.replace(/^\n+/, "").trimEnd(),
  },
  { name: "simulate-json", files: ["docs/cli.md"], lang: "jsonc", args: ["simulate", "--json"], render: abridgedJson },
  {
    name: "simulate-estate-json",
    files: ["docs/cli.md"],
    lang: "jsonc",
    args: ["simulate", "--scenario", "scenarios/estate.json", "--json"],
    render: abridgedCampaignJson,
  },
];

/** Run ids, real seconds and report paths differ on every run; everything else comes out the same. */
export function normalise(text: string): string {
  return (
    text
      .replace(/sim-\d{8}T\d{9}Z-[0-9a-f]{8}/g, "sim-<run id>")
      // A campaign's id: its simulated start and a random nonce (its runs' ids begin with it).
      .replace(/sim-\d{8}T\d{6}Z-[0-9a-f]{4}-[0-9a-f]{12}/g, "sim-<campaign id>")
      .replace(/"(cpuSeconds|peakRssMiB)": [\d.]+/g, '"$1": <n>')
      // In a campaign, runs in flight together share the host: its largest history differs by an event between runs.
      .replace(/"maxHistoryEvents": \d+,(\s*)"maxHistoryInstance"/g, '"maxHistoryEvents": <n>,$1"maxHistoryInstance"')
      .replace(/"campaign": "[^"]*\.html"/g, '"campaign": "<path>"')
      .replace(/[\d.]+ s real/g, "<n> s real")
      .replace(/"realSeconds": [\d.]+/g, '"realSeconds": <n>')
      // How many episodes the host needed depends on how the real HTTP calls interleave, not on the product.
      .replace(/"episodes": \d+/g, '"episodes": <n>')
      .replace(/"report": "[^"]*"/g, '"report": "<path>"')
      .replace(/Report: \S+/g, "Report: <path>")
  );
}

/**
 * Runs `port25 ARGS` as `npm run -s port25 -- ARGS` does (from the TypeScript source), or from the build (the test,
 * after `npm run build`: the same code without compiling it again), reports written to a temporary folder.
 */
export async function runExample(example: Example, from: "source" | "dist" = "source"): Promise<string> {
  const reports = mkdtempSync(join(tmpdir(), "port25-doc-examples-"));
  try {
    const { code, stdout, stderr } = await spawnPort25([...example.args, "--report", join(reports, "report.html")], {
      from,
    }).ended;
    if (code !== 0) throw new Error(`port25 ${example.args.join(" ")} exited ${String(code)}:\n${stderr}`);
    // The report's path and the scenario's are shown as the reader's own run, from the package root, prints them.
    const runId = /sim-\d{8}T\d{9}Z-[0-9a-f]{8}/.exec(stdout)?.[0];
    const campaignId = /sim-\d{8}T\d{6}Z-[0-9a-f]{4}-[0-9a-f]{12}/.exec(stdout)?.[0];
    const report =
      runId === undefined && campaignId !== undefined
        ? `reports/port25-campaign-${campaignId}.html`
        : `reports/port25-${runId ?? "<run id>"}.html`;
    return example.render(stdout.split(join(reports, "report.html")).join(report).split(`${ROOT}/`).join(""));
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

const fence = "```";

/** The example's block in a document, or undefined when its markers are missing. */
export function documented(text: string, name: string): string | undefined {
  const m = new RegExp(
    `<!-- example:${name} -->\\n${fence}[a-z]*\\n([\\s\\S]*?)\\n${fence}\\n<!-- /example:${name} -->`,
  ).exec(text);
  return m?.[1];
}

function replaceBlock(text: string, example: Example, body: string): string {
  const pattern = new RegExp(
    `<!-- example:${example.name} -->\\n${fence}[a-z]*\\n[\\s\\S]*?\\n${fence}\\n<!-- /example:${example.name} -->`,
  );
  if (!pattern.test(text)) throw new Error(`no markers for the example ${example.name}`);
  return text.replace(
    pattern,
    () =>
      `<!-- example:${example.name} -->\n${fence}${example.lang}\n${body}\n${fence}\n<!-- /example:${example.name} -->`,
  );
}

async function main(): Promise<void> {
  for (const example of EXAMPLES) {
    process.stderr.write(`port25 ${example.args.join(" ")}…\n`);
    const body = await runExample(example);
    for (const file of example.files) {
      const path = join(ROOT, file);
      writeFileSync(path, replaceBlock(readFileSync(path, "utf8"), example, body));
    }
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`docs:examples: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
