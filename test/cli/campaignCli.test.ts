/**
 * The campaign commands against a small local HTTP server standing in for the app: the flags refused (exit 2, the
 * flag named, nothing sent), the requests sent (route, key, body), and how the answers are rendered and exit.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { captureStdio, runPort25 } from "../support/stdio";
import { statusCommand } from "../../src/cli/commands/remote";
import {
  campaignTotals,
  CampaignStartRequestSchema,
  type CampaignMember,
  type CampaignSummary,
} from "../../src/contracts/campaign";

const SUB_A = "11111111-1111-4111-8111-111111111111";
const SUB_B = "22222222-2222-4222-8222-222222222222";
const SUB_C = "33333333-3333-4333-8333-333333333333";
const SUB_D = "44444444-4444-4444-8444-444444444444";
const CAMPAIGN = "20260302t090000z-ab12cd34";
const INSTANCE = `port25-campaign-${CAMPAIGN}`;

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Reply {
  status: number;
  body?: unknown;
  text?: string;
}

let server: Server;
let app: string;
let seen: Seen[] = [];
/** Answers in order for a route ("GET /api/campaigns/…"), the last one repeated. */
let replies = new Map<string, Reply[]>();

function answer(route: string, ...r: Reply[]): void {
  replies.set(route, r);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const route = `${req.method ?? ""} ${(req.url ?? "").split("?")[0] ?? ""}`;
      const queue = replies.get(route);
      const reply = queue && queue.length > 1 ? queue.shift() : queue?.[0];
      if (!reply) {
        res.writeHead(404).end();
        return;
      }
      if (reply.text !== undefined) {
        res.writeHead(reply.status, { "content-type": "text/html" }).end(reply.text);
        return;
      }
      res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});
afterEach(() => {
  seen = [];
  replies = new Map();
  vi.restoreAllMocks();
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `port25 <args>` in-process, as main() runs it (errors reported, exit codes mapped). */
const port25 = (args: string[]): Promise<Ran> => runPort25(args);

/** The JSON body of the n-th request the app received. */
const sentBody = (n: number): Record<string, unknown> =>
  z.record(z.string(), z.unknown()).parse(JSON.parse(seen[n]?.body ?? ""));

/** Text with its line wraps undone (prose longer than the width is wrapped, continued indented). */
const squash = (text: string): string => text.replace(/\s+/g, " ");

const remote = (): string[] => ["--app", app, "--key", "k1"];
const attestation = [
  "--attestation-ref",
  "REQ-25-0001",
  "--approved-by",
  "ann@contoso.example",
  "--approved-at",
  "2026-03-02T09:00:00Z",
];

function member(
  subscriptionId: string,
  state: CampaignMember["state"],
  extra: Partial<CampaignMember> & { phase?: "approve" | "waves" } = {},
): CampaignMember & { phase?: "approve" | "waves" } {
  return { subscriptionId, state, ...extra };
}

const counts = (
  cycled: number,
  skipped: number,
  failed: number,
  leftDown = 0,
): NonNullable<CampaignMember["counts"]> => ({
  total: cycled + skipped + failed,
  cycled,
  skipped,
  failed,
  pending: 0,
  leftDown,
});

const urls = {
  statusUrl: `http://app/api/campaigns/${INSTANCE}`,
  approveUrl: `http://app/api/campaigns/${INSTANCE}/approve`,
  cancelUrl: `http://app/api/campaigns/${INSTANCE}/cancel`,
  reportUrl: `http://app/api/audit/campaigns/${CAMPAIGN}?format=html`,
};

/** A live campaign's status as GET /api/campaigns/{id} answers it: totals from the members, as the app counts them. */
function runningBody(members: CampaignMember[], phase = "runs"): Record<string, unknown> {
  return {
    instanceId: INSTANCE,
    campaignId: CAMPAIGN,
    runtimeStatus: "Running",
    phase,
    message: null,
    cancelRequested: false,
    members,
    totals: campaignTotals(members),
    summary: null,
    failure: null,
    ...urls,
  };
}

function summaryOf(members: CampaignMember[], status: CampaignSummary["status"]): CampaignSummary {
  return {
    campaignId: CAMPAIGN,
    target: { kind: "managementGroup", managementGroupId: "mg-dev" },
    status,
    mode: "execute",
    message: `${members.length} subscriptions`,
    startedAt: "2026-03-02T09:00:00.000Z",
    endedAt: "2026-03-02T10:00:00.000Z",
    requestedBy: "ann@contoso.example",
    members,
    totals: campaignTotals(members),
    warnings: [],
  };
}

function completedBody(members: CampaignMember[], status: CampaignSummary["status"]): unknown {
  const summary = summaryOf(members, status);
  return {
    instanceId: INSTANCE,
    campaignId: CAMPAIGN,
    runtimeStatus: "Completed",
    phase: "done",
    message: null,
    cancelRequested: false,
    members,
    totals: summary.totals,
    summary,
    failure: null,
    ...urls,
  };
}

describe("bad usage of the campaign commands exits 2, names the flag and sends nothing", () => {
  it.each([
    [["start", ...attestation], /--subscription, --subscriptions, --management-group: give exactly one \(none given\)/],
    [
      ["start", "--subscription", SUB_A, "--management-group", "mg-dev", ...attestation],
      /give exactly one \(got --subscription and --management-group\)/,
    ],
    [
      ["start", "--subscriptions", `${SUB_A},not-a-guid`, ...attestation],
      /--subscriptions \(item 2\): must be a subscription GUID/,
    ],
    [
      ["start", "--subscriptions", `${SUB_A},${SUB_A.toUpperCase()}`, ...attestation],
      /--subscriptions: must not name a subscription twice/,
    ],
    [["start", "--subscriptions", ",", ...attestation], /--subscriptions: must name at least one subscription/],
    [["start", "--management-group", "mg/dev", ...attestation], /--management-group: must be a management group id/],
    [["start", "--management-group", "mg-dev.", ...attestation], /--management-group: must not end with a period/],
    [
      ["start", "--management-group", "mg-dev", "--max-concurrent-subscriptions", "0", ...attestation],
      /--max-concurrent-subscriptions: /,
    ],
    [
      ["start", "--management-group", "mg-dev", "--max-concurrent-subscriptions", "51", ...attestation],
      /--max-concurrent-subscriptions: /,
    ],
    [
      ["start", "--subscription", SUB_A, "--max-concurrent-subscriptions", "3", ...attestation],
      /--max-concurrent-subscriptions: only for a campaign/,
    ],
    [
      ["start", "--management-group", "mg-dev", "--attestation-ref", "REQ-1", "--approved-by", "ann"],
      /--approved-at: is required/,
    ],
    [["status"], /--id, --campaign: give exactly one \(none given\)/],
    [
      ["status", "--id", INSTANCE, "--campaign", CAMPAIGN],
      /--id, --campaign: give exactly one \(got --id and --campaign\)/,
    ],
    [["status", "--campaign", "not a campaign"], /--campaign: must be a campaign id/],
    [["approve", "--id", `port25-${SUB_A}`, "--subscription", SUB_B], /--subscription: only with a campaign/],
    [["cancel", "--campaign", CAMPAIGN, "--subscription", "nope"], /--subscription: must be a subscription GUID/],
    [["audit", "--campaign", CAMPAIGN, "--run", "r1"], /--campaign: cannot be combined with --run/],
    [["audit", "--campaigns", "--subscription", SUB_A], /--campaigns: cannot be combined with --subscription/],
    [["audit", "--html", "x.html"], /--html: only with --run RUN_ID or --campaign ID/],
    [["audit", "--campaigns", "--from", "yesterday"], /--from: /],
  ])("port25 %j", async (args, message) => {
    const [cmd = "", ...rest] = args;
    const r = await port25([cmd, ...remote(), ...rest]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(seen).toEqual([]);
  });

  it.each([
    [
      ["plan", "--subscription", SUB_A, "--management-group", "mg-dev"],
      /--subscription, --management-group: give exactly one \(got both\)/,
    ],
    [["plan"], /--subscription, --management-group: give exactly one \(none given\)/],
    [["plan", "--management-group", "mg dev"], /--management-group: must be a management group id/],
  ])("port25 %j", async (args, message) => {
    const r = await port25(args);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });
});

describe("port25 start with a campaign target", () => {
  const started = (target: unknown): Reply => ({
    status: 202,
    body: {
      instanceId: INSTANCE,
      campaignId: CAMPAIGN,
      target,
      mode: "execute",
      requestedBy: "ann@contoso.example",
      maxConcurrentSubscriptions: 3,
      ...urls,
    },
  });

  it("posts the management group, the attestation, the approval and run options and the cap, and prints what to run next", async () => {
    answer("POST /api/campaigns", started({ kind: "managementGroup", managementGroupId: "mg-dev" }));
    const r = await port25([
      "start",
      ...remote(),
      "--management-group",
      "mg-dev",
      ...attestation,
      "--require-approval",
      "--max-concurrent-subscriptions",
      "3",
      "--max-concurrency",
      "7",
      "--running-vm-cycle",
      "deallocateStart",
      "--attestation-only",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "/api/campaigns",
      headers: { "x-functions-key": "k1", "content-type": "application/json" },
    });
    const body = sentBody(0);
    expect(body).toMatchObject({
      managementGroupId: "mg-dev",
      attestation: { reference: "REQ-25-0001", approvedBy: "ann@contoso.example", approvedAt: "2026-03-02T09:00:00Z" },
      mode: "execute",
      requireApproval: true,
      allowSelfApproval: false,
      maxConcurrentSubscriptions: 3,
      options: { maxConcurrency: 7, runningVmCycle: "deallocateStart", verification: "attestationOnly" },
    });
    expect(body).not.toHaveProperty("subscriptionIds");
    // What the app would accept as it is: the start request's own schema.
    expect(CampaignStartRequestSchema.safeParse(body).success).toBe(true);
    expect(r.stdout).toContain(`Started campaign ${CAMPAIGN} (instance ${INSTANCE}) on management group mg-dev`);
    // Each command on a line of its own, with the key given on this command line, so it works pasted as printed.
    const lines = r.stdout.split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^\\S.* status --app ${app.replace(/[.]/g, "\\.")} --key k1 --id ${INSTANCE} --watch$`),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^\\S.* approve --app \\S+ --key k1 --id ${INSTANCE}$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^\\S.* cancel --app \\S+ --key k1 --id ${INSTANCE}$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^\\S.* audit --app \\S+ --key k1 --campaign ${CAMPAIGN} --html campaign-${CAMPAIGN}\\.html$`),
      ),
    );
    // What each does is said on a shell comment line, so the block pastes as it is.
    expect(
      lines
        .slice(lines.indexOf("Next:") + 1)
        .filter((l) => l !== "")
        .every((l) => l.startsWith("#") || / --key k1 /.test(l)),
    ).toBe(true);
  });

  it("posts the listed subscriptions lower-cased with the default cap, and starts a single run with --subscription", async () => {
    answer("POST /api/campaigns", started({ kind: "subscriptions", subscriptionIds: [SUB_A, SUB_B] }));
    const r = await port25([
      "start",
      ...remote(),
      "--subscriptions",
      `${SUB_A.toUpperCase()}, ${SUB_B}`,
      ...attestation,
      "--allow-self-approval",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const body = sentBody(0);
    expect(body).toMatchObject({
      subscriptionIds: [SUB_A, SUB_B],
      maxConcurrentSubscriptions: 5,
      requireApproval: false,
      allowSelfApproval: true,
    });
    expect(body).not.toHaveProperty("managementGroupId");
    expect(JSON.parse(r.stdout)).toMatchObject({ instanceId: INSTANCE, campaignId: CAMPAIGN });

    answer("POST /api/remediations", {
      status: 202,
      body: { instanceId: `port25-${SUB_C}`, runId: "run-1", statusUrl: "http://app/api/remediations/x" },
    });
    const single = await port25(["start", ...remote(), "--subscription", SUB_C, ...attestation]);
    expect(single.code).toBe(0);
    expect(seen[1]?.url).toBe("/api/remediations");
    const runBody = sentBody(1);
    expect(runBody).toMatchObject({ subscriptionId: SUB_C, requireApproval: false });
    expect(runBody).not.toHaveProperty("maxConcurrentSubscriptions");
    expect(single.stdout).toContain("Started run run-1");
  });

  it("reports the app's refusal with its code and exits 1 (2 for a 400)", async () => {
    answer("POST /api/campaigns", {
      status: 409,
      body: {
        error: {
          code: "CampaignInProgress",
          message: "Campaign port25-campaign-x over management group mg-dev is already Running",
        },
      },
    });
    const busy = await port25(["start", ...remote(), "--management-group", "mg-dev", ...attestation]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(
      "CampaignInProgress: Campaign port25-campaign-x over management group mg-dev is already Running",
    );
    answer("POST /api/campaigns", {
      status: 400,
      body: { error: { code: "ValidationFailed", message: "attestation.approvedAt: must not be in the future" } },
    });
    const bad = await port25(["start", ...remote(), "--management-group", "mg-dev", ...attestation]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("attestation.approvedAt");
  });
});

describe("port25 status of a campaign", () => {
  const live = [
    member(SUB_A, "running", {
      displayName: "dev-east",
      runInstanceId: `port25-${SUB_A}`,
      phase: "approve",
      counts: counts(0, 0, 0),
    }),
    member(SUB_B, "running", {
      displayName: "dev-west",
      runInstanceId: `port25-${SUB_B}`,
      phase: "waves",
      counts: counts(12, 3, 1),
    }),
    member(SUB_C, "notExemptible", {
      displayName: "prod-mca",
      category: "blockedNotExemptible",
      reason: "MCA production: port 25 cannot be unblocked",
    }),
    member(SUB_D, "alreadyRunning", {
      displayName: "dev-lab",
      runInstanceId: `port25-${SUB_D}`,
      reason: "another run is live",
    }),
  ];

  it("reads the campaign by its id and shows a row per subscription, the run's phase, the reasons and the totals", async () => {
    answer(`GET /api/campaigns/${INSTANCE}`, { status: 200, body: runningBody(live) });
    const r = await port25(["status", ...remote(), "--campaign", CAMPAIGN]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([`GET /api/campaigns/${INSTANCE}`]);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`Campaign ${CAMPAIGN} (${INSTANCE}): Running, phase runs`);
    const row = (name: string): string => lines.find((l) => l.startsWith(name)) ?? "";
    // The ids whole (100 columns when not a terminal), each subscription's state with its run's phase.
    expect(row("dev-east")).toMatch(new RegExp(`^dev-east\\s+${SUB_A}\\s+awaiting( approval)?\\s+0\\s+0\\s+0\\s+0$`));
    expect(row("dev-west")).toMatch(new RegExp(`^dev-west\\s+${SUB_B}\\s+running \\(waves\\)\\s+12\\s+3\\s+1\\s+0$`));
    expect(row("prod-mca")).toMatch(new RegExp(`^prod-mca\\s+${SUB_C}\\s+notExemptible$`));
    // Prose fits 100 columns; a command line is never wrapped (it is pasted whole).
    expect(lines.filter((l) => !/ --key k1 /.test(l)).every((l) => l.length <= 100)).toBe(true);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^  \\S.* approve --app \\S+ --key k1 --id ${INSTANCE}$`)),
    );
    expect(squash(r.stdout)).toContain(
      ` prod-mca (${SUB_C}), notExemptible: blockedNotExemptible: MCA production: port 25 cannot be unblocked `,
    );
    expect(squash(r.stdout)).toContain(
      ` dev-lab (${SUB_D}), alreadyRunning: another run is live (live run port25-${SUB_D}) `,
    );
    expect(r.stdout).toContain("Subscriptions: 4 — notExemptible 1, alreadyRunning 1, running 2");
    expect(r.stdout).toContain("Resources: cycled 12, skipped 3, failed 1 of 16");
    expect(squash(r.stdout)).toMatch(
      new RegExp(
        `1 subscription wait for approval; this releases them all \\(add --subscription S for one\\): \\S.* approve --app \\S+ --key k1 --id ${INSTANCE}`,
      ),
    );
  });

  it("takes the campaign's instance id as --id, and prints the body as it came with --json", async () => {
    answer(`GET /api/campaigns/${INSTANCE}`, { status: 200, body: runningBody(live) });
    const r = await port25(["status", ...remote(), "--id", INSTANCE.toUpperCase(), "--json"]);
    expect(r.code).toBe(0);
    expect(seen[0]?.url).toBe(`/api/campaigns/${INSTANCE}`);
    expect(JSON.parse(r.stdout)).toEqual(runningBody(live));
  });

  it("puts the subscriptions with resources left down first and exits 1", async () => {
    const ended = [
      member(SUB_A, "done", {
        displayName: "dev-east",
        runInstanceId: `port25-${SUB_A}`,
        runId: "r-a",
        runStatus: "completedWithFailures",
        counts: counts(10, 2, 1, 1),
      }),
      member(SUB_B, "done", {
        displayName: "dev-west",
        runInstanceId: `port25-${SUB_B}`,
        runId: "r-b",
        runStatus: "completed",
        counts: counts(20, 0, 0),
      }),
    ];
    answer(`GET /api/campaigns/${INSTANCE}`, { status: 200, body: completedBody(ended, "completedWithFailures") });
    const r = await port25(["status", ...remote(), "--id", INSTANCE]);
    expect(r.code).toBe(1);
    const text = squash(r.stdout);
    expect(
      text.startsWith(
        `Campaign ${CAMPAIGN} (${INSTANCE}): completedWithFailures — 2 subscriptions LEFT DOWN: 1 subscription(s)`,
      ),
    ).toBe(true);
    expect(text).toMatch(
      new RegExp(
        `LEFT DOWN 1 in dev-east \\(${SUB_A}\\); this lists them with the manual action: \\S.* status --app \\S+ --key k1 --id port25-${SUB_A} `,
      ),
    );
    expect(r.stdout.indexOf("LEFT DOWN 1 in dev-east")).toBeLessThan(r.stdout.indexOf("name "));
    expect(r.stdout).toContain("Resources: cycled 30, skipped 2, failed 1, LEFT DOWN 1 of 33");
    // The report as the command that saves it: its URL needs the key, which a browser does not send.
    expect(r.stdout).not.toContain(urls.reportUrl);
    expect(r.stdout).toMatch(
      new RegExp(
        `\\nReport:\\n  \\S.* audit --app \\S+ --key k1 --campaign ${CAMPAIGN} --html campaign-${CAMPAIGN}\\.html\\n`,
      ),
    );
  });

  it("exits 0 for a campaign that completed, though some subscriptions were left alone", async () => {
    const ended = [
      member(SUB_A, "done", { runId: "r-a", runStatus: "completed", counts: counts(10, 2, 0) }),
      member(SUB_C, "notExemptible", { category: "unknown", reason: "billing unreadable" }),
    ];
    answer(`GET /api/campaigns/${INSTANCE}`, { status: 200, body: completedBody(ended, "completed") });
    expect((await port25(["status", ...remote(), "--campaign", CAMPAIGN])).code).toBe(0);
  });

  it("says why a campaign's orchestration failed, and exits 1", async () => {
    answer(`GET /api/campaigns/${INSTANCE}`, {
      status: 200,
      body: {
        ...runningBody([]),
        runtimeStatus: "Failed",
        phase: "starting",
        failure: "Orchestrator function 'remediateCampaign' failed: boom",
      },
    });
    const r = await port25(["status", ...remote(), "--campaign", CAMPAIGN]);
    expect(r.code).toBe(1);
    expect(squash(r.stdout)).toContain(
      `Campaign ${CAMPAIGN} (${INSTANCE}): Failed, phase starting — failed: Orchestrator function 'remediateCampaign' failed: boom`,
    );
    expect(r.stdout).toContain("No subscriptions listed yet.");
  });

  it("--watch follows the campaign, a progress line per change, until it ends", async () => {
    const first = [
      member(SUB_A, "running", { counts: counts(1, 0, 0) }),
      member(SUB_B, "pending"),
      member(SUB_C, "notExemptible", { reason: "MCA" }),
    ];
    const second = [
      member(SUB_A, "done", { runStatus: "completed", counts: counts(5, 1, 0) }),
      member(SUB_B, "running", { phase: "waves", counts: counts(2, 0, 0) }),
      member(SUB_C, "notExemptible", { reason: "MCA" }),
    ];
    const last = [
      member(SUB_A, "done", { runStatus: "completed", counts: counts(5, 1, 0) }),
      member(SUB_B, "done", { runStatus: "completed", counts: counts(4, 0, 0) }),
      member(SUB_C, "notExemptible", { reason: "MCA" }),
    ];
    answer(
      `GET /api/campaigns/${INSTANCE}`,
      { status: 200, body: runningBody(first) },
      { status: 200, body: runningBody(second) },
      { status: 200, body: completedBody(last, "completed") },
    );
    const c = captureStdio();
    let sleeps = 0;
    const { exitCode } = await statusCommand([...remote(), "--campaign", CAMPAIGN, "--watch"], () => {
      sleeps++;
      return Promise.resolve();
    });
    expect(exitCode).toBe(0);
    expect(sleeps).toBe(2);
    expect(seen).toHaveLength(3);
    expect(
      c
        .err()
        .split("\n")
        .filter((l) => l !== ""),
    ).toEqual([
      "runs: 1/3 subscriptions settled (pending 1, notExemptible 1, running 1); resources cycled 1, skipped 0, failed 0 of 1",
      "runs: 2/3 subscriptions settled (notExemptible 1, running 1, done 1); resources cycled 7, skipped 1, failed 0 of 8",
      "completed: 3 subscriptions; resources cycled 9, skipped 1, failed 0 of 10",
    ]);
    expect(c.out()).toContain(`Campaign ${CAMPAIGN} (${INSTANCE}): completed`);
  });

  it("an answer of another shape is an error naming the field, exit 1", async () => {
    answer(`GET /api/campaigns/${INSTANCE}`, {
      status: 200,
      body: { instanceId: INSTANCE, campaignId: CAMPAIGN, runtimeStatus: "Running", phase: "runs", members: "none" },
    });
    const r = await port25(["status", ...remote(), "--campaign", CAMPAIGN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the app answered the campaign's status in an unexpected shape \(members: /);
  });
});

describe("port25 approve and cancel of a campaign", () => {
  it("approves every waiting run and says what was approved, not waiting and refused; exit 1 for a refusal", async () => {
    answer(`POST /api/campaigns/${INSTANCE}/approve`, {
      status: 202,
      body: {
        instanceId: INSTANCE,
        approvedBy: "bob@contoso.example",
        approved: [{ subscriptionId: SUB_A, runInstanceId: `port25-${SUB_A}` }],
        notWaiting: [
          { subscriptionId: SUB_B, state: "running", phase: "waves" },
          { subscriptionId: SUB_C, state: "notExemptible" },
        ],
        refused: [
          {
            subscriptionId: SUB_D,
            code: "SelfApprovalRefused",
            message: "started by bob: its approver must be a different principal",
          },
        ],
        ...urls,
      },
    });
    const r = await port25(["approve", ...remote(), "--campaign", CAMPAIGN]);
    expect(seen[0]).toMatchObject({ method: "POST", url: `/api/campaigns/${INSTANCE}/approve` });
    expect(r.stdout).toBe(
      [
        "Approved 1 subscription as bob@contoso.example:",
        `  ${SUB_A}: run port25-${SUB_A}`,
        "Not waiting for approval (2):",
        `  ${SUB_B}: running, phase waves`,
        `  ${SUB_C}: notExemptible`,
        "Refused (1):",
        `  ${SUB_D}: SelfApprovalRefused — started by bob: its approver must be a different principal`,
        "",
      ].join("\n"),
    );
    expect(r.code).toBe(1);
  });

  it("approves one subscription with --subscription, and exits 1 with the app's reason when it is not waiting", async () => {
    answer(`POST /api/campaigns/${INSTANCE}/approve`, {
      status: 202,
      body: {
        instanceId: INSTANCE,
        approved: [{ subscriptionId: SUB_A, runInstanceId: `port25-${SUB_A}` }],
        notWaiting: [],
        refused: [],
        ...urls,
      },
    });
    const ok = await port25(["approve", ...remote(), "--id", INSTANCE, "--subscription", SUB_A.toUpperCase()]);
    expect(ok.code).toBe(0);
    expect(seen[0]?.url).toBe(`/api/campaigns/${INSTANCE}/approve?subscriptionId=${SUB_A}`);
    answer(`POST /api/campaigns/${INSTANCE}/approve`, {
      status: 409,
      body: {
        error: {
          code: "NotWaitingForApproval",
          message: `Subscription ${SUB_B} of campaign ${INSTANCE} has no run waiting for approval: it is pending`,
        },
      },
    });
    const waiting = await port25(["approve", ...remote(), "--id", INSTANCE, "--subscription", SUB_B]);
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toContain(
      `NotWaitingForApproval: Subscription ${SUB_B} of campaign ${INSTANCE} has no run waiting for approval: it is pending`,
    );
  });

  it("says nothing was approved when no run waits, and exits 1", async () => {
    answer(`POST /api/campaigns/${INSTANCE}/approve`, {
      status: 202,
      body: {
        instanceId: INSTANCE,
        approved: [],
        notWaiting: [{ subscriptionId: SUB_A, state: "pending" }],
        refused: [],
        ...urls,
      },
    });
    const r = await port25(["approve", ...remote(), "--campaign", CAMPAIGN]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Nothing approved: no subscription of ${INSTANCE} was released.`);
  });

  it("cancels the campaign and lists the runs signalled and the subscriptions that will not start", async () => {
    answer(`POST /api/campaigns/${INSTANCE}/cancel`, {
      status: 202,
      body: {
        instanceId: INSTANCE,
        cancelledBy: "bob@contoso.example",
        cancelledAt: "2026-03-02T09:30:00.000Z",
        runsSignalled: [`port25-${SUB_A}`],
        pendingCancelled: [SUB_B, SUB_C],
        ...urls,
      },
    });
    const r = await port25(["cancel", ...remote(), "--campaign", CAMPAIGN]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Cancellation of ${INSTANCE} requested by bob@contoso.example at 2026-03-02T09:30:00.000Z.`,
    );
    expect(r.stdout).toContain(`Runs signalled to stop gracefully (1; no VM is left half-cycled): port25-${SUB_A}`);
    expect(r.stdout).toContain(`Subscriptions cancelled before their run started (2): ${SUB_B}, ${SUB_C}`);
  });

  it("cancels one subscription, and reports NotRunning for a campaign that is over (exit 1)", async () => {
    answer(`POST /api/campaigns/${INSTANCE}/cancel`, {
      status: 202,
      body: {
        instanceId: INSTANCE,
        cancelledBy: "function-key-holder",
        cancelledAt: "2026-03-02T09:30:00.000Z",
        unverified: true,
        runsSignalled: [],
        pendingCancelled: [SUB_B],
        ...urls,
      },
    });
    const one = await port25(["cancel", ...remote(), "--campaign", CAMPAIGN, "--subscription", SUB_B]);
    expect(seen[0]?.url).toBe(`/api/campaigns/${INSTANCE}/cancel?subscriptionId=${SUB_B}`);
    expect(one.stdout).toContain("requested by function-key-holder (unverified: authentication is off)");
    expect(one.stdout).toContain("No run was in flight.");
    answer(`POST /api/campaigns/${INSTANCE}/cancel`, {
      status: 409,
      body: { error: { code: "NotRunning", message: `Campaign ${INSTANCE} is Completed` } },
    });
    const over = await port25(["cancel", ...remote(), "--campaign", CAMPAIGN]);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain(`NotRunning: Campaign ${INSTANCE} is Completed`);
  });
});

describe("port25 audit of campaigns", () => {
  const work = mkdtempSync(join(tmpdir(), "port25-campaign-audit-"));

  it("shows a campaign's record with a row per subscription and each run's report, and writes its HTML report", async () => {
    const members = [
      member(SUB_A, "done", {
        displayName: "dev-east",
        runId: "r-a",
        runStatus: "completed",
        counts: counts(10, 2, 0),
      }),
      member(SUB_C, "notExemptible", {
        displayName: "prod-mca",
        category: "blockedNotExemptible",
        reason: "MCA production",
      }),
    ];
    answer(`GET /api/audit/campaigns/${CAMPAIGN}`, {
      status: 200,
      body: {
        summary: summaryOf(members, "completed"),
        runs: [
          {
            subscriptionId: SUB_A,
            runId: "r-a",
            auditUrl: "http://app/api/audit/runs/r-a",
            reportUrl: "http://app/api/audit/runs/r-a?format=html",
          },
        ],
      },
    });
    const r = await port25(["audit", ...remote(), "--campaign", CAMPAIGN]);
    expect(r.code).toBe(0);
    expect(squash(r.stdout)).toContain(`Campaign ${CAMPAIGN} on management group mg-dev: completed — 2 subscriptions`);
    expect(r.stdout).toMatch(/dev-east\s+\S+\s+completed\s+10\s+2\s+0\s+0/);
    expect(squash(r.stdout)).toContain(` prod-mca (${SUB_C}), notExemptible: blockedNotExemptible: MCA production`);
    expect(r.stdout).toMatch(/\n {2}# [0-9a-f-]+\n {2}\S.* audit --app \S+ --key k1 --run r-a --html run-r-a\.html\n/);
    expect(r.stdout).not.toContain("?format=html");

    answer(`GET /api/audit/campaigns/${CAMPAIGN}`, { status: 200, text: "<!doctype html><title>campaign</title>" });
    // Given the instance id (every campaign over a target shares it), the CLI reads the campaign id from its view.
    answer(`GET /api/campaigns/${INSTANCE}`, { status: 200, body: { instanceId: INSTANCE, campaignId: CAMPAIGN } });
    const file = join(work, "campaign.html");
    const html = await port25(["audit", ...remote(), "--campaign", INSTANCE, "--html", file]);
    expect(html.code).toBe(0);
    expect(seen.at(-1)?.url).toBe(`/api/audit/campaigns/${CAMPAIGN}?format=html&links=absolute`);
    expect(readFileSync(file, "utf8")).toBe("<!doctype html><title>campaign</title>");
  });

  it("says a campaign still going has no summary yet, with what it was started with", async () => {
    const input = {
      campaignId: CAMPAIGN,
      target: { kind: "subscriptions", subscriptionIds: [SUB_A, SUB_B] },
      maxConcurrentSubscriptions: 2,
      run: {
        attestation: { reference: "REQ-25-0001", approvedBy: "ann", approvedAt: "2026-03-02T09:00:00Z" },
        mode: "plan",
        requireApproval: false,
        options: {},
        requestedBy: "ann@contoso.example",
        requestedAt: "2026-03-02T09:01:00.000Z",
        probeHost: "smtp.example",
      },
    };
    answer(`GET /api/audit/campaigns/${CAMPAIGN}`, {
      status: 200,
      body: { campaignId: CAMPAIGN, status: "running", input, runs: [] },
    });
    const r = await port25(["audit", ...remote(), "--campaign", CAMPAIGN]);
    expect(r.code).toBe(0);
    expect(squash(r.stdout)).toBe(
      `Campaign ${CAMPAIGN} on 2 subscriptions: running; started 2026-03-02T09:01:00.000Z by ann@contoso.example (mode plan); no summary until it ends. `,
    );
  });

  it("lists the campaigns of a period, every page followed", async () => {
    answer(
      "GET /api/audit/campaigns",
      {
        status: 200,
        body: {
          campaigns: [
            {
              campaignId: "c-1",
              status: "completed",
              mode: "execute",
              target: "managementGroup",
              managementGroupId: "mg-dev",
              subscriptions: 4,
              requestedAt: "2026-03-01T07:59:59Z",
              startedAt: "2026-03-01T08:00:00Z",
              requestedBy: "ann",
              attestationReference: "REQ-1",
            },
          ],
          continuationToken: "page2",
        },
      },
      {
        status: 200,
        body: {
          campaigns: [
            {
              campaignId: "c-2",
              status: "running",
              mode: "plan",
              target: "subscriptions",
              subscriptions: 2,
              requestedAt: "2026-03-02T08:00:00Z",
              requestedBy: "bob",
              attestationReference: "REQ-2",
            },
          ],
        },
      },
    );
    const r = await port25([
      "audit",
      ...remote(),
      "--campaigns",
      "--from",
      "2026-03-01T00:00:00Z",
      "--to",
      "2026-03-03T00:00:00Z",
    ]);
    expect(r.code).toBe(0);
    expect(seen.map((s) => s.url)).toEqual([
      "/api/audit/campaigns?from=2026-03-01T00%3A00%3A00Z&to=2026-03-03T00%3A00%3A00Z",
      "/api/audit/campaigns?from=2026-03-01T00%3A00%3A00Z&to=2026-03-03T00%3A00%3A00Z&continuationToken=page2",
    ]);
    expect(squash(r.stdout)).toMatch(
      /c-1 management group mg-dev \(4 subscriptions\) completed 2026-03-01T08:00:00Z ann/,
    );
    expect(r.stdout).toMatch(/c-2\s+2 subscriptions\s+running\s+2026-03-02T08:00:00Z\s+bob/);
  });
});
