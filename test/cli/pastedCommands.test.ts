/**
 * Every command `port25 serve` and a campaign's `start` print, pasted as printed into a shell against a spawned
 * `port25 serve` (the simulator's printed lines are run the same way in firstHour.test.ts): each succeeds. Along the
 * way, the one clock: a served run's request, start, approval and end are on the serve's virtual clock, in order,
 * the audit lists the run with the same times, and everything showing them says they are simulated.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { fleet, scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import { ATTESTATION_ARGS, poll, startServe, type Served } from "../support/api";
import { ROOT, spawnPort25, spawnShell, type Ended } from "../support/spawn";
import { AuditedRunSchema } from "../../src/contracts/audit";
import { ProgressSchema } from "../../src/contracts/remediation";
import { timeCell } from "../../src/cli/auditRender";

const work = mkdtempSync(join(tmpdir(), "port25-pasted-"));
/** Files the pasted `--html` commands write where they are run (the checkout): removed afterwards. */
const written: string[] = [];
let served: Served;
/** The serve's virtual clock at start, as it printed it. */
let virtualStart = 0;

/** Runs one printed line in a POSIX shell, as a user pastes it, where serve was started. */
function paste(line: string): Promise<Ended> {
  return spawnShell(line).ended;
}

/** The command lines of a printed block: lines that start (after indentation) with the CLI's invocation. */
function commandsIn(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^node \S*main\.js \w+ /.test(l));
}

async function succeeds(line: string): Promise<Ended> {
  const r = await paste(line);
  expect(r.code, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
  const html = / --html (\S+)$/.exec(line)?.[1];
  if (html !== undefined) written.push(join(ROOT, html));
  return r;
}

const StatusSchema = z.object({ progress: ProgressSchema.nullable() }).loose();
async function runPhase(): Promise<string | undefined> {
  const res = await fetch(`${served.app}/api/remediations/${SUBSCRIPTION_ID}`, {
    headers: { "x-functions-key": served.key },
  });
  return res.status === 200 ? StatusSchema.parse(await res.json()).progress?.phase : undefined;
}

beforeAll(async () => {
  const file = join(work, "scenario.json");
  writeFileSync(file, JSON.stringify(scenario({ vms: fleet(6) })));
  served = await startServe(file, 600);
  virtualStart = Date.parse(
    /time: \d+ simulated seconds per real second, from (\S+)/.exec(served.proc.stdout())?.[1] ?? "",
  );
  expect(Number.isNaN(virtualStart)).toBe(false);
}, 120_000);

afterAll(async () => {
  await served.stop();
  for (const f of written) rmSync(f, { force: true });
});

describe("what port25 serve prints, pasted as printed", () => {
  it("start, approve, status --watch and audit each succeed; the run's times are one simulated time line", async () => {
    const printed = served.proc.stdout();
    const tryBlock = printed.slice(printed.indexOf("Try:"), printed.indexOf("Press Ctrl+C"));
    const lines = commandsIn(tryBlock);
    expect(lines.map((l) => /main\.js (\w+)/.exec(l)?.[1])).toEqual(["start", "status", "approve", "audit"]);
    const [start = "", watch = "", approve = "", audit = ""] = lines;

    await succeeds(start);
    await poll("the run to wait for approval", async () => ((await runPhase()) === "approve" ? true : undefined), 600);
    const approved = await succeeds(approve);
    expect(approved.stdout).toContain(`Approved ${SUBSCRIPTION_ID}`);
    const watched = await succeeds(watch);
    expect(watched.stdout).toMatch(/run \S+ completed/);
    expect(watched.stdout).toContain("(simulated)");
    const runId = /run (\S+) completed/.exec(watched.stdout)?.[1] ?? "";

    // One clock: requested, started, approved and ended in that order, inside the serve's virtual window.
    const res = await fetch(`${served.app}/api/audit/runs/${runId}`, { headers: { "x-functions-key": served.key } });
    const record = AuditedRunSchema.parse(await res.json());
    const summary = record.run.summary;
    expect(record.run.clock).toBe("simulated");
    const times = [record.run.requestedAt, summary?.startedAt, summary?.approval?.at, summary?.endedAt].map((t) =>
      Date.parse(t ?? ""),
    );
    expect(times.every((t) => !Number.isNaN(t))).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[0]).toBeGreaterThanOrEqual(virtualStart);
    // The window's end: the serve's virtual clock now (600 simulated seconds a real second), with a margin.
    const virtualNow = virtualStart + (Date.now() - served.startedAtMs) * 600 + 600_000;
    expect(times[3]).toBeLessThanOrEqual(virtualNow);

    // The audit lists the run with the same start time, whole on one line with its ids, marked simulated.
    const listed = await succeeds(audit);
    const row = listed.stdout.split("\n").find((l) => l.startsWith(runId)) ?? "";
    expect(row).toContain(SUBSCRIPTION_ID);
    expect(row).toContain(`${timeCell(summary?.startedAt)}*`);
    expect(listed.stdout).toMatch(/^\* simulated: on the simulation's virtual clock/m);

    // audit --run without --json: a summary for a person, the ledger checked.
    const shown = await succeeds(`${audit} --run ${runId}`);
    expect(shown.stdout).toContain(`Run ${runId} of subscription ${SUBSCRIPTION_ID}: completed`);
    expect(shown.stdout).toMatch(/Outcomes of \d+ resources: cycled \d+, skipped \d+, failed 0/);
    expect(shown.stdout).toContain("Left down: none");
    expect(shown.stdout).toMatch(/Ledger: whole — \d+ records? of subscription/);
    expect(shown.stdout).toContain(`Approved by function-key-holder at ${timeCell(summary?.approval?.at)}`);
    expect(shown.stdout).toContain("Times (simulated)");
    expect(() => JSON.parse(shown.stdout) as unknown).toThrow();
    const report = commandsIn(shown.stdout.slice(shown.stdout.indexOf("Report:")));
    expect(report).toHaveLength(1);
    await succeeds(report[0] ?? "");
    expect(readFileSync(join(ROOT, `run-${runId}.html`), "utf8")).toContain(
      "SIMULATED: times are the simulation&#39;s virtual clock",
    );
  }, 240_000);

  it("a campaign's Next: commands each succeed pasted as printed, and its record's report commands too", async () => {
    const app = ["--app", served.app, "--key", served.key];
    const started = await spawnPort25([
      "start",
      ...app,
      "--subscriptions",
      SUBSCRIPTION_ID,
      "--require-approval",
      ...ATTESTATION_ARGS,
    ]).ended;
    expect(started.code, started.stderr).toBe(0);
    const next = started.stdout.slice(started.stdout.indexOf("Next:"));
    // One command a line, never wrapped: every line of the block is a comment or a whole command.
    expect(
      next
        .split("\n")
        .slice(1)
        .filter((l) => l !== "")
        .every((l) => l.startsWith("#") || commandsIn(l).length === 1),
    ).toBe(true);
    const commands = commandsIn(next);
    expect(commands.map((l) => /main\.js (\w+)/.exec(l)?.[1])).toEqual(["status", "approve", "cancel", "audit"]);
    const [watch = "", approve = "", , report = ""] = commands;
    for (const c of commands) expect(c).toContain(`--key ${served.key}`);

    await poll(
      "the campaign's run to wait for approval",
      async () => ((await runPhase()) === "approve" ? true : undefined),
      600,
    );
    await succeeds(approve);
    const watched = await succeeds(watch);
    expect(watched.stdout).toContain("Simulated: its times are the simulation's virtual clock");
    expect(watched.stdout).not.toMatch(/Report: http/);
    const reportLine = commandsIn(watched.stdout.slice(watched.stdout.indexOf("\nReport:")));
    expect(reportLine).toEqual([report]);
    await succeeds(report);

    const campaignId = /--campaign (\S+)/.exec(report)?.[1] ?? "";
    const record = await succeeds(`${report.replace(/ --html \S+$/, "")}`);
    expect(record.stdout).toContain(`Campaign ${campaignId}`);
    const runReports = commandsIn(record.stdout.slice(record.stdout.indexOf("Run reports:")));
    expect(runReports).toHaveLength(1);
    await succeeds(runReports[0] ?? "");

    // The cancel line, on a second campaign over the same target while it waits for approval.
    const second = await spawnPort25([
      "start",
      ...app,
      "--subscriptions",
      SUBSCRIPTION_ID,
      "--require-approval",
      ...ATTESTATION_ARGS,
    ]).ended;
    expect(second.code, second.stderr).toBe(0);
    const cancel = commandsIn(second.stdout.slice(second.stdout.indexOf("Next:")))[2] ?? "";
    expect(cancel).toMatch(/ cancel /);
    const cancelled = await succeeds(cancel);
    expect(cancelled.stdout).toMatch(/^Cancellation of \S+ requested by function-key-holder/);
  }, 240_000);
});
