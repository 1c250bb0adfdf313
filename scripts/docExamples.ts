/**
 * The example outputs in README.md and docs/cli.md, taken from real runs: `npm run docs:examples` runs each command
 * and writes its output between the example's markers (`<!-- example:NAME -->` and `<!-- /example:NAME -->`), and
 * test/cli/docExamples.test.ts runs them again and compares, with what differs from run to run (run ids, real
 * seconds, report paths) normalised, so the documented figures cannot drift from what the product prints.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";

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
    Array.isArray(value) && value.length > 5 && value.every((v) => typeof v === "string") ? [...value.slice(0, 3), `… ${value.length - 3} more`] : value;
  const lines = JSON.stringify({ ...doc, outcomes: kept }, cut, 2).split("\n");
  return [...lines, `// abridged: "outcomes" shows ${kept.length} of ${outcomes.length} (one of each kind), lists of names their first three`].join("\n");
}

export const EXAMPLES: readonly Example[] = [
  { name: "simulate-demo", files: ["README.md"], lang: "", args: ["simulate"], render: (out) => out.replace(/^\n+/, "").trimEnd() },
  { name: "simulate-json", files: ["docs/cli.md"], lang: "jsonc", args: ["simulate", "--json"], render: abridgedJson },
];

/** Run ids, real seconds and report paths differ on every run; everything else comes out the same. */
export function normalise(text: string): string {
  return text
    .replace(/sim-\d{8}T\d{9}Z-[0-9a-f]{8}/g, "sim-<run id>")
    .replace(/[\d.]+ s real/g, "<n> s real")
    .replace(/"realSeconds": [\d.]+/g, '"realSeconds": <n>')
    // How many episodes the host needed depends on how the real HTTP calls interleave, not on the product.
    .replace(/"episodes": \d+/g, '"episodes": <n>')
    .replace(/"report": "[^"]*"/g, '"report": "<path>"')
    .replace(/Report: \S+/g, "Report: <path>");
}

/** Runs `port25 ARGS` as `npm run -s port25 -- ARGS` does, reports written to a temporary folder. */
export function runExample(example: Example): Promise<string> {
  const reports = mkdtempSync(join(tmpdir(), "port25-doc-examples-"));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...example.args, "--report", join(reports, "report.html")], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => {
      rmSync(reports, { recursive: true, force: true });
      if (code !== 0) fail(new Error(`port25 ${example.args.join(" ")} exited ${String(code)}:\n${stderr}`));
      // The report's path is where the reader's own run writes it.
      // The report's path and the scenario's are shown as the reader's own run, from the package root, prints them.
      else {
        const runId = /sim-\d{8}T\d{9}Z-[0-9a-f]{8}/.exec(stdout)?.[0] ?? "<run id>";
        done(example.render(stdout.split(join(reports, "report.html")).join(`reports/port25-${runId}.html`).split(`${ROOT}/`).join("")));
      }
    });
  });
}

const fence = "```";

/** The example's block in a document, or undefined when its markers are missing. */
export function documented(text: string, name: string): string | undefined {
  const m = new RegExp(`<!-- example:${name} -->\\n${fence}[a-z]*\\n([\\s\\S]*?)\\n${fence}\\n<!-- /example:${name} -->`).exec(text);
  return m?.[1];
}

function replaceBlock(text: string, example: Example, body: string): string {
  const pattern = new RegExp(`<!-- example:${example.name} -->\\n${fence}[a-z]*\\n[\\s\\S]*?\\n${fence}\\n<!-- /example:${example.name} -->`);
  if (!pattern.test(text)) throw new Error(`no markers for the example ${example.name}`);
  return text.replace(pattern, () => `<!-- example:${example.name} -->\n${fence}${example.lang}\n${body}\n${fence}\n<!-- /example:${example.name} -->`);
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
