/**
 * The four-eyes walk-through of docs/cli.md ("Try the API locally"), run as written against a spawned
 * `port25 serve --auth`: alice starts a run that needs approval, her own approval is refused (SelfApprovalRefused,
 * exit 1), bob's releases it. The commands are read from the document between its four-eyes markers; only the
 * address and the key come from the server (the document's `export` line is where a reader puts what `serve` printed).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ProgressSchema, RemediationSummarySchema } from "../../src/contracts/remediation";
import { localPrincipalHeaders } from "../../src/cli/localIdentity";
import { poll, startServe, type Served } from "../support/api";
import { ROOT, spawnShell, type Ended } from "../support/spawn";

const WALK_THROUGH = readFileSync(join(ROOT, "docs/cli.md"), "utf8");

/** The shell lines between the four-eyes markers (the fenced block inside them). */
function walkThrough(): string[] {
  const section = /<!-- four-eyes:begin -->([\s\S]*?)<!-- four-eyes:end -->/.exec(WALK_THROUGH)?.[1] ?? "";
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block.split("\n").filter((l) => l.trim() !== "");
}

function sh(line: string, env: Record<string, string>): Promise<Ended> {
  return spawnShell(line, { env, errexit: false }).ended;
}

const lines = walkThrough();
const serveLine = lines[0] ?? "";
const exportLine = lines[1] ?? "";
const SUB = /SUB=(\S+)/.exec(exportLine)?.[1] ?? "";
let served: Served;

beforeAll(async () => {
  // The walk-through's first line starts the server; the test starts the same command on a free port, paced faster.
  const args = /npm run port25 -- serve (.*?)\s+#/.exec(serveLine)?.[1]?.split(" ") ?? [];
  expect(args).toEqual(["--auth"]);
  served = await startServe(join(ROOT, "scenarios/demo.json"), 600, {}, args);
}, 120_000);

afterAll(async () => {
  await served.stop();
});

const StatusSchema = z
  .object({ progress: ProgressSchema.nullable(), summary: RemediationSummarySchema.nullable() })
  .loose();

async function phase(): Promise<string | undefined> {
  const res = await fetch(`${served.app}/api/remediations/${SUB}`, {
    headers: { "x-functions-key": served.key, ...localPrincipalHeaders("alice") },
  });
  if (res.status !== 200) return undefined;
  return StatusSchema.parse(await res.json()).progress?.phase;
}

describe("the documented four-eyes walk-through against port25 serve --auth", () => {
  it("is the serve line, the export line a reader fills in, then start, status and two approvals", () => {
    expect(serveLine).toMatch(/^npm run port25 -- serve --auth\s+#/);
    expect(exportLine).toMatch(/^export APP=http:\/\/127\.0\.0\.1:7071 PORT25_FUNCTION_KEY=<KEY> SUB=[0-9a-f-]{36}$/);
    expect(lines.slice(2).map((l) => /^npm run port25 -- (\w+) .*--user (\w+)/.exec(l)?.slice(1, 3).join(" "))).toEqual(
      ["start alice", "status alice", "approve alice", "approve bob"],
    );
  });

  it("runs as written: alice starts, alice's approval is refused, bob's releases the run", async () => {
    // What the reader puts on the export line: the server's address and key.
    const env = { APP: served.app, PORT25_FUNCTION_KEY: served.key, SUB };
    for (const line of lines.slice(2)) {
      if (/ approve /.test(line))
        await poll("the run to wait for approval", async () => ((await phase()) === "approve" ? true : undefined), 600);
      const r = await sh(line, env);
      const refused = /# refused, exit 1: (\w+)/.exec(line)?.[1];
      if (refused !== undefined) {
        expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(refused);
      } else {
        expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(0);
      }
      if (/ start /.test(line)) expect(r.stdout).toMatch(/Started run \S+/);
      if (/ approve .*--user bob/.test(line)) expect(r.stdout).toContain(`Approved ${SUB}`);
    }
    const done = await poll(
      "the run to end",
      async () => {
        const res = await fetch(`${served.app}/api/remediations/${SUB}`, {
          headers: { "x-functions-key": served.key, ...localPrincipalHeaders("bob") },
        });
        return StatusSchema.parse(await res.json()).summary ?? undefined;
      },
      1200,
    );
    expect(done.approval).toMatchObject({ by: "bob" });
    expect(done.approval?.unverified).toBeUndefined();
  }, 240_000);
});
