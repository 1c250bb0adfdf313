/**
 * The `port25` command as users run it: simulate, plan, exit codes and bad input. In-process through main() (the
 * arguments, the output and the exit code are the behaviour); spawned from the build where the process is: a
 * simulation piped to a reader that ends by itself with its exit code.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SimulateOutputSchema } from "../../src/cli/simulateOutput";
import { CampaignSimulateOutputSchema } from "../../src/cli/commands/simulateCampaign";
import { NotificationMessageSchema } from "../../src/contracts/notification";
import { startSimulator, type SimulatorHandle } from "../../src/simulator";
import { runPort25 } from "../support/stdio";
import { ROOT, spawnPort25 } from "../support/spawn";

const DEMO = join(ROOT, "scenarios/demo.json");

/** `port25 ARGS` in-process. The CLI resolves relative paths from the working directory, the package root here. */
const port25 = runPort25;

const work = mkdtempSync(join(tmpdir(), "port25-cli-"));

/** The demo scenario with the subscription turned into pay-as-you-go Dev/Test (must be refused). */
function paygScenarioFile(): string {
  const demo = JSON.parse(readFileSync(DEMO, "utf8")) as { subscription: { billing: Record<string, unknown> } };
  demo.subscription.billing = { agreementType: "MicrosoftOnlineServicesProgram", workloadType: "DevTest" };
  const file = join(work, "payg.json");
  writeFileSync(file, JSON.stringify(demo));
  return file;
}

describe("port25 simulate", () => {
  it("runs the demo fleet as a process piped to a reader: ends by itself, exit 0, counts that match the scenario, as JSON that validates", async () => {
    const report = join(work, "demo.html");
    const r = await spawnPort25(["simulate", "--json", "--report", report]).ended;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = SimulateOutputSchema.parse(JSON.parse(r.stdout));
    const demo = JSON.parse(readFileSync(DEMO, "utf8")) as {
      vms: unknown[];
      scaleSets: { orchestrationMode: string }[];
      vnets: unknown[];
    };
    const resources =
      demo.vms.length + demo.scaleSets.filter((s) => s.orchestrationMode === "Uniform").length + demo.vnets.length;
    expect(out.summary.counts.total).toBe(resources);
    expect(out.outcomes).toHaveLength(resources);
    expect(out.summary.counts.cycled + out.summary.counts.skipped + out.summary.counts.failed).toBe(resources);
    expect(out.summary.status).toBe("completed");
    expect(out.report).toBe(report);
    expect(readFileSync(report, "utf8")).toContain("<svg");
  });

  it("prints a human summary with the report path", async () => {
    const r = await port25(["simulate", "--report", join(work, "demo2.html")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Run \S+: completed/);
    expect(r.stdout).toMatch(/cycled\s+\d+/);
    expect(r.stdout).toContain(`Report: ${join(work, "demo2.html")}`);
    expect(r.stderr).toMatch(/Simulating .*demo\.json/);
  });

  it("refuses a pay-as-you-go Dev/Test subscription with exit code 1 and no changes", async () => {
    const r = await port25(["simulate", "--scenario", paygScenarioFile(), "--json"]);
    expect(r.code).toBe(1);
    const out = SimulateOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.summary.status).toBe("refused");
    expect(out.classification.category).toBe("blockedNotExemptible");
    expect(out.arm.writes).toBe(0);
    expect(out.summary.counts.cycled).toBe(0);
  });

  it("generates and remediates a fleet of the size --vms asks for", async () => {
    const r = await port25(["simulate", "--vms", "300", "--json", "--report", join(work, "big.html")]);
    expect(r.code === 0 || r.code === 1).toBe(true);
    const out = SimulateOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.scenario.vms).toBe(300);
    expect(out.outcomes.filter((o) => o.kind === "vm")).toHaveLength(300);
    expect(out.summary.counts.pending).toBe(0);
    expect(out.orchestration.maxHistoryEvents).toBeLessThanOrEqual(1000);
  }, 360_000);
});

describe("port25 plan against a running simulator", () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: DEMO });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("classifies the subscription and plans without writing anything", async () => {
    const r = await port25(
      ["plan", "--subscription", sim.subscriptionId, "--arm-endpoint", sim.endpoint, "--ca", sim.caFile, "--json"],
      { PORT25_ARM_STATIC_TOKEN: sim.token },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { classification: { category: string }; plan: { entries: unknown[] } };
    expect(out.classification.category).toBe("exemptible");
    expect(out.plan.entries).toHaveLength(65);
    expect(sim.requestLog().filter((e) => e.kind !== "read")).toEqual([]);
  });
});

describe("port25 simulate on an estate: a campaign", () => {
  it("runs the demo estate as one campaign over its root group and writes the campaign's report with every run's beside it", async () => {
    const report = join(work, "estate", "campaign.html");
    const r = await port25(["simulate", "--scenario", "scenarios/estate.json", "--json", "--report", report]);
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
    const out = CampaignSimulateOutputSchema.parse(JSON.parse(r.stdout));
    const estate = JSON.parse(readFileSync(join(ROOT, "scenarios/estate.json"), "utf8")) as {
      subscriptions: { subscription: { id: string }; vms: unknown[] }[];
    };
    expect(out.summary.target).toEqual({ kind: "managementGroup", managementGroupId: "mg-contoso" });
    expect(out.summary.members.map((m) => m.subscriptionId).sort()).toEqual(
      estate.subscriptions.map((x) => x.subscription.id.toLowerCase()).sort(),
    );
    expect(out.scenario.vms).toBe(estate.subscriptions.reduce((n, x) => n + x.vms.length, 0));
    const runs = out.summary.members.filter((m) => m.state === "done");
    expect(runs.length).toBeGreaterThan(1);
    expect(out.reports).toEqual({ campaign: report, runs: runs.length });
    const html = readFileSync(report, "utf8");
    for (const m of runs) {
      // Each run's report sits beside the campaign's, and the campaign's links to it as a file.
      expect(html).toContain(`href="port25-${m.runId ?? ""}.html"`);
      expect(readFileSync(join(work, "estate", `port25-${m.runId ?? ""}.html`), "utf8")).toContain(
        `port25-campaign-${out.summary.campaignId}.html`,
      );
    }
  });

  it("generates an estate with --subscriptions, names each subscription left alone with its reason, and refuses --subscriptions with --scenario", async () => {
    const r = await port25([
      "simulate",
      "--subscriptions",
      "5",
      "--vms",
      "4",
      "--max-concurrent-subscriptions",
      "2",
      "--report",
      join(work, "gen", "c.html"),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /5 subscriptions under 3 management groups, 20 VMs; a campaign, up to 2 subscriptions at once/,
    );
    expect(r.stdout).toMatch(/over management group mg-contoso: completed/);
    expect(r.stdout).toMatch(/Contoso Production 05 \([0-9a-f-]+\), nothingToDo: /);
    expect(r.stdout).toMatch(/Contoso Dev\/Test 04 \([0-9a-f-]+\), notExemptible: unknown: /);
    const bad = await port25(["simulate", "--subscriptions", "3", "--scenario", "scenarios/estate.json"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--subscriptions: cannot be combined with --scenario/);
  });
});

describe("port25 simulate --notify", () => {
  it("posts the run's notifications to a local webhook, in the format asked for", async () => {
    const received: { path: string; body: unknown }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        received.push({ path: req.url ?? "", body: JSON.parse(body) as unknown });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as AddressInfo;
      const json = await port25([
        "simulate",
        "--scenario",
        paygScenarioFile(),
        "--json",
        "--notify",
        `http://127.0.0.1:${port}/hook`,
      ]);
      expect(json.code).toBe(1);
      const out = SimulateOutputSchema.parse(JSON.parse(json.stdout));
      expect(received.map((r) => r.path)).toEqual(["/hook"]);
      expect(NotificationMessageSchema.parse(received[0]?.body)).toMatchObject({
        type: "runRefused",
        runId: out.summary.runId,
        category: "blockedNotExemptible",
        links: {},
      });
      const slack = await port25([
        "simulate",
        "--scenario",
        paygScenarioFile(),
        "--notify",
        `http://127.0.0.1:${port}/slack`,
        "--notify-format",
        "slack",
      ]);
      expect(slack.code).toBe(1);
      expect(received[1]).toEqual({
        path: "/slack",
        body: { text: expect.stringMatching(/^\*Port 25 remediation refused on subscription /) as unknown },
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("bad usage exits 2 and names the flag or field", () => {
  it.each([
    [["simulate", "--bogus"], /--bogus/],
    [["simulate", "--vms", "-3"], /--vms/],
    [["simulate", "--vms", "10", "--scenario", DEMO], /--vms: cannot be combined/],
    [["simulate", "--scenario", "/nonexistent/scenario.json"], /--scenario/],
    [["simulate", "--notify", "http://hooks.example.net/T0KEN"], /--notify: each webhook must be an https URL/],
    [["simulate", "--notify", "https://hooks.example.net/T0KEN", "--notify-format", "xml"], /--notify-format/],
    [["plan", "--subscription", "not-a-guid"], /--subscription: must be a subscription GUID/],
    [["launch"], /unknown command "launch"\n/],
    [["simulat"], /unknown command "simulat" — did you mean "simulate"\?/],
    [["aprove", "--app", "http://127.0.0.1:1"], /unknown command "aprove" — did you mean "approve"\?/],
  ])("port25 %j", async (args, message) => {
    const r = await port25(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain("T0KEN");
    expect(r.stdout).toBe("");
  });

  it("names the bad field of a scenario file", async () => {
    const demo = JSON.parse(readFileSync(DEMO, "utf8")) as { vms: { power: string }[] };
    const first = demo.vms[0];
    if (!first) throw new Error("demo has no VMs");
    first.power = "hovering";
    const file = join(work, "bad.json");
    writeFileSync(file, JSON.stringify(demo));
    const r = await port25(["simulate", "--scenario", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vms\[0\]\.power/);
  });
});

describe("--version", () => {
  it("prints the package's version and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8")) as { version: string };
    const r = await port25(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`port25 ${version}\n`);
  });
});

describe("--help", () => {
  it.each(["simulate", "plan", "simulator", "serve", "start", "status", "approve", "cancel", "audit", "run"])(
    "port25 %s --help",
    async (cmd) => {
      const r = await port25([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`port25 ${cmd}`);
    },
  );
});
