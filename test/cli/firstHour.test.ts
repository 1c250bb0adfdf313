/**
 * The built `port25` command as a new user meets it: the commands it prints are run exactly as printed, run ids
 * never repeat, tables fit the terminal, the progress ends on the run's own status, and errors take one line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { isSignInFailure, signInAdvice } from "../../src/cli/commands/plan";
import { SimulateOutputSchema } from "../../src/cli/simulateOutput";
import { plural } from "../../src/contracts/plural";
import { formatTable, wrapText } from "../../src/cli/table";
import { startSimulator, type SimulatorHandle } from "../../src/simulator";
import { runPort25 } from "../support/stdio";
import { ROOT, spawnPort25, spawnShell, type Ended, type Spawned } from "../support/spawn";

const DEMO = join(ROOT, "scenarios/demo.json");

/** The built CLI spawned: for what depends on the process (its working directory, the paths it prints from it). */
function spawned(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<Ended> {
  return spawnPort25(args, opts).ended;
}

/** In-process: the arguments, the output and the exit code are the behaviour. */
const port25 = (
  args: string[],
  opts: { env?: Record<string, string | undefined> } = {},
): ReturnType<typeof runPort25> => runPort25(args, opts.env);

/** Runs lines in a POSIX shell, as a user pastes them. */
function shell(lines: string[], env: Record<string, string | undefined> = {}): Promise<Ended> {
  return spawnShell(lines.join("\n"), { env }).ended;
}

const work = mkdtempSync(join(tmpdir(), "port25-first-hour-"));

describe("port25 simulator prints commands that work where the user stands", () => {
  let simulator: Spawned;
  let printed = "";

  beforeAll(async () => {
    simulator = spawnPort25(["simulator", "--port", "0"]);
    await simulator.line((l) => l.includes("Press Ctrl+C"));
    printed = simulator.stdout();
  }, 40_000);

  afterAll(async () => {
    simulator.child.kill("SIGINT");
    await simulator.ended;
  });

  /** The indented lines after "Point port25 plan at it". */
  function commands(): string[] {
    const lines = printed.split("\n");
    const at = lines.findIndex((l) => l.startsWith("Point port25 plan at it"));
    const out: string[] = [];
    for (const l of lines.slice(at + 1)) {
      if (!l.startsWith("  ")) break;
      out.push(l.trim());
    }
    return out;
  }

  it("prints an export line and a plan command for this checkout", () => {
    const [exportLine, plan] = commands();
    expect(exportLine).toMatch(/^export PORT25_ARM_STATIC_TOKEN=\S+$/);
    // Run from the build: node and the path of the built CLI, relative to the directory it was started in.
    expect(plan).toMatch(
      /^node \.\/dist\/src\/cli\/main\.js plan --subscription \S+ --arm-endpoint https:\/\/127\.0\.0\.1:\d+ --ca \S+$/,
    );
  });

  it("prints a run line whose clock follows the simulator's: the demo's own scale, 60, without --time-scale given", () => {
    const lines = printed.split("\n");
    const run = lines[lines.findIndex((l) => l.startsWith("Or remediate it with the product itself")) + 1] ?? "";
    expect(run.trim()).toMatch(/^node \.\/dist\/src\/cli\/main\.js run --subscription \S+ .* --time-scale 60$/);
    expect(printed).toMatch(/^\(the simulated clock runs 60 times real time; it is now \S+\)$/m);
  });

  it("runs the printed lines exactly as printed, in a shell without port25 on the PATH: plan succeeds", async () => {
    const r = await shell(commands(), { PORT25_ARM_STATIC_TOKEN: undefined });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan: 60 VMs, 2 uniform scale sets, 3 VNets/m);
  });

  it("without the token, plan says in one line what to do", async () => {
    const plan = commands()[1] ?? "";
    const r = await shell([plan], { PORT25_ARM_STATIC_TOKEN: undefined });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^port25 plan: .*PORT25_ARM_STATIC_TOKEN/)]);
  });
});

describe("plan's sign-in advice", () => {
  it("recognises DefaultAzureCredential's failure, however the gateway wrapped it", () => {
    const chain = new Error(
      "ChainedTokenCredential authentication failed.\nCredentialUnavailableError: Azure CLI could not be found.",
    );
    chain.name = "AggregateAuthenticationError";
    expect(isSignInFailure(chain)).toBe(true);
    expect(isSignInFailure(new Error("getSubscription failed", { cause: chain }))).toBe(true);
    expect(isSignInFailure(new Error("getSubscription failed: ChainedTokenCredential authentication failed."))).toBe(
      true,
    );
    expect(isSignInFailure(new Error("getSubscription failed: SubscriptionNotFound"))).toBe(false);
  });

  it("says in one line what to do: az login for Azure, the token for the simulator", () => {
    expect(signInAdvice(false)).toMatch(/^not signed in to Azure: run `az login`/);
    expect(signInAdvice(true)).toMatch(/PORT25_ARM_STATIC_TOKEN/);
    expect([signInAdvice(false), signInAdvice(true)].every((l) => !l.includes("\n"))).toBe(true);
  });
});

describe("port25 plan --all fits the terminal", () => {
  let sim: SimulatorHandle;
  const env = (): Record<string, string> => ({ PORT25_ARM_STATIC_TOKEN: sim.token });
  const args = (): string[] => [
    "plan",
    "--subscription",
    sim.subscriptionId,
    "--arm-endpoint",
    sim.endpoint,
    "--ca",
    sim.caFile,
  ];

  beforeAll(async () => {
    sim = await startSimulator({ scenario: DEMO });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("no line is wider than 100 columns when stdout is not a terminal, and --json keeps every message whole", async () => {
    const text = await port25([...args(), "--all"], { env: env() });
    expect(text.code).toBe(0);
    const widest = Math.max(...text.stdout.split("\n").map((l) => l.length));
    expect(widest).toBeLessThanOrEqual(100);
    expect(text.stdout).toMatch(/^resource\s+kind\s+state\s+action\s+wave \/ reason$/m);

    const json = await port25([...args(), "--json"], { env: env() });
    const plan = z
      .object({ plan: z.object({ entries: z.array(z.object({ skipMessage: z.string().optional() })) }) })
      .parse(JSON.parse(json.stdout));
    const messages = plan.plan.entries.flatMap((e) => (e.skipMessage === undefined ? [] : [e.skipMessage]));
    const longest = messages.reduce((a, b) => (b.length > a.length ? b : a), "");
    expect(longest.length).toBeGreaterThan(100);
    // The text output holds the same words, wrapped over lines of its column (a word wider than it is cut).
    for (const word of longest.split(" ").filter((w) => w.length <= 12)) expect(text.stdout).toContain(word);
  });
});

describe("formatTable", () => {
  it("wraps the widest column to fit and keeps numbers right-aligned", () => {
    const long = "a message that is much longer than the width of the terminal allows ".repeat(4).trim();
    const out = formatTable(
      ["name", "count", "message"],
      [
        ["vm-01", 3, long],
        ["vm-02", 12, "short"],
      ],
      60,
    );
    const lines = out.split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
    expect(lines.filter((l) => l.startsWith("vm-01"))).toHaveLength(1);
    expect(lines.join(" ").replace(/\s+/g, " ")).toContain("much longer than the");
    expect(lines.find((l) => l.startsWith("vm-02"))).toMatch(/^vm-02 {2,}12 {2}short$/);
  });

  it("leaves a table that fits as it is", () => {
    expect(formatTable(["a", "b"], [["x", 1]], 100)).toBe("a  b\n─  ─\nx  1");
  });

  it("cuts a word longer than the column", () => {
    expect(wrapText("x".repeat(25), 10)).toEqual(["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
  });
});

describe("plural", () => {
  it("counts in the singular only for one", () => {
    expect([plural(0, "VM"), plural(1, "uniform scale set"), plural(2, "VNet"), plural(1000, "request")]).toEqual([
      "0 VMs",
      "1 uniform scale set",
      "2 VNets",
      "1,000 requests",
    ]);
  });
});

describe("port25 simulate, twice", () => {
  it("gives each run its own id and report file; the banner counts as the plan does; the last progress line is the run's end", async () => {
    const cwd = mkdtempSync(join(work, "cwd-"));
    const first = await spawned(["simulate"], { cwd });
    const second = await spawned(["simulate", "--json"], { cwd });
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const out = SimulateOutputSchema.parse(JSON.parse(second.stdout));
    const firstId = /^Run (\S+): completed/m.exec(first.stdout)?.[1];
    expect(firstId).toBeDefined();
    expect(out.summary.runId).not.toBe(firstId);
    // Paths are printed relative to the working directory.
    expect(first.stdout).toContain(`Report: reports/port25-${firstId ?? ""}.html`);
    expect(out.report).toBe(join(cwd, `reports/port25-${out.summary.runId}.html`));
    expect(readFileSync(join(cwd, `reports/port25-${firstId ?? ""}.html`), "utf8")).toContain(firstId);
    expect(readFileSync(out.report ?? "", "utf8")).toContain(out.summary.runId);

    expect(first.stderr.split("\n")[0]).toMatch(/^Simulating \S*demo\.json: 60 VMs, 2 uniform scale sets, 3 VNets$/);
    expect(out.scenario.scaleSets).toBe(2);
    const progress = first.stderr.trim().split("\n");
    expect(progress.at(-1)).toBe("completed: 65/65 done (cycled 56, skipped 9, failed 0)");
    expect(first.stderr).not.toMatch(/wave \d+\/\d+ 65\/65/);
  }, 120_000);

  it("ends a refused run's progress on its status with every resource counted", async () => {
    const demo = JSON.parse(readFileSync(DEMO, "utf8")) as { subscription: { billing: Record<string, unknown> } };
    demo.subscription.billing = { agreementType: "MicrosoftOnlineServicesProgram", workloadType: "DevTest" };
    const file = join(work, "payg.json");
    writeFileSync(file, JSON.stringify(demo));
    const r = await port25(["simulate", "--scenario", file, "--report", join(work, "payg.html")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^refused: 65\/65 done \(cycled 0, skipped 65, failed 0\)$/);
    // The run and the delivery of its runRefused notification; nothing else was started.
    expect(r.stdout).toMatch(/; 2 orchestration instances, largest history \d+ events/);
  }, 60_000);
});

describe("port25 simulate, halted by the canary", () => {
  it("ends the progress on halted with every resource counted, the skipped ones included", async () => {
    const demo = JSON.parse(readFileSync(DEMO, "utf8")) as { exemption: { exempted: boolean; effectiveAt?: string } };
    demo.exemption = { exempted: false };
    const file = join(work, "not-exempted.json");
    writeFileSync(file, JSON.stringify(demo));
    const r = await port25(["simulate", "--scenario", file, "--report", join(work, "halted.html")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Run \S+: halted/m);
    const last = r.stderr.trim().split("\n").at(-1) ?? "";
    expect(last).toMatch(/^halted: 65\/65 done \(cycled \d+, skipped \d+, failed \d+\)$/);
    expect(r.stderr).not.toMatch(/wave \d+\/\d+ \d+\/65 done[^\n]*\n?$/);
  }, 60_000);
});

describe("messages a new user meets", () => {
  it("a missing scenario file is named, with exit code 2", async () => {
    const r = await port25(["simulate", "--scenario", "no-such-scenario.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("port25 simulate: --scenario no-such-scenario.json: no such file\n");
  });

  it("a scenario file that is not JSON is named, with exit code 2", async () => {
    const file = join(work, "broken.json");
    writeFileSync(file, "{ not json");
    const r = await port25(["simulate", "--scenario", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--scenario .*broken\.json: not valid JSON/);
  });

  it("the top-level help lists every flag of every command, and exit code 1 for halted runs", async () => {
    const r = await port25(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/port25 simulate .*\n\s+.*--report FILE\] \[--json\]/);
    expect(r.stdout).toMatch(/halted/);
  });
});
