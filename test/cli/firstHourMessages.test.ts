/**
 * What the command says to someone trying it for the first time: a bad flag value says what the flag takes, a command
 * given neither of its two forms names both, a run waiting for approval says so with the commands that move it on, and
 * the app's own refusal of an unsigned request names the flag to add. In-process, against a small local server
 * standing in for the app.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPort25 } from "../support/stdio";
import { auditedRunLine } from "../../src/cli/commands/localRuns";
import type { AuditedRun } from "../../src/contracts/audit";

const SUB = "3f2a9c1e-5b7d-4e8f-9a1b-2c3d4e5f6a7b";
const INSTANCE = `port25-${SUB}`;
const COUNTS = { total: 65, cycled: 17, skipped: 9, failed: 0, pending: 39 };

let server: Server;
let app: string;
/** The body GET /api/remediations/{id} answers with, and its status code. */
let reply: { status: number; body: unknown } = { status: 404, body: null };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

describe("a bad flag value is said as what the flag takes, with the value typed", () => {
  it.each([
    [["simulate", "--vms", "abc"], '--vms: must be a number (got "abc")'],
    [["simulate", "--max-concurrency", "0"], '--max-concurrency: must be at least 1 (got "0")'],
    [["simulate", "--mode", "fast"], '--mode: must be one of plan, execute (got "fast")'],
    [
      [
        "run",
        "--subscription",
        SUB,
        "--attestation-ref",
        "CHG-1",
        "--approved-by",
        "ops",
        "--approved-at",
        "yesterday",
      ],
      '--approved-at: must be an ISO 8601 time, such as 2026-03-01T09:00:00Z (got "yesterday")',
    ],
  ])("port25 %j", async (args, message) => {
    const r = await runPort25(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/Invalid input|Too small|Invalid option|Invalid ISO/);
  });
});

describe("status, approve, cancel and audit without --app or --state", () => {
  it.each(["status", "approve", "cancel", "audit"])("port25 %s names both forms, exit 2", async (verb) => {
    const r = await runPort25([verb, "--id", SUB]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port25 ${verb}: --app URL or --state DIR: give one`);
    expect(r.stderr).toContain("`port25 run` keeps");
  });
});

describe("the status of a run that has not ended", () => {
  it("waiting at its approval gate: says so and prints the approve command without the starter's --user, and cancel", async () => {
    reply = {
      status: 200,
      body: {
        instanceId: INSTANCE,
        runtimeStatus: "Running",
        progress: { runId: "r1", phase: "approve", counts: { ...COUNTS, cycled: 0, pending: 56 } },
        summary: null,
      },
    };
    const r = await runPort25(["status", "--app", app, "--key", "k1", "--user", "alice", "--id", SUB]);
    expect(r.code).toBe(0);
    // Prose wraps to the terminal's width (100 columns in a pipe); the command lines never do.
    expect(r.stdout.replace(/\s+/g, " ")).toContain(
      `${INSTANCE}: Running, waiting for approval of its plan (65 resources)`,
    );
    const lines = r.stdout.split("\n").map((l) => l.trim());
    expect(lines.find((l) => / approve --app /.test(l))).toMatch(
      new RegExp(` approve --app ${app} --key k1 --id ${INSTANCE}$`),
    );
    expect(lines.find((l) => / cancel --app /.test(l))).toMatch(
      new RegExp(` cancel --app ${app} --key k1 --user alice --id ${INSTANCE}$`),
    );
  });

  it("in its waves: names the wave and the resources done", async () => {
    reply = {
      status: 200,
      body: {
        instanceId: INSTANCE,
        runtimeStatus: "Running",
        progress: { runId: "r1", phase: "waves", wave: 2, waves: 6, counts: COUNTS },
        summary: null,
      },
    };
    const r = await runPort25(["status", "--app", app, "--key", "k1", "--id", SUB]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${INSTANCE}: Running — waves: wave 3/6 26/65 done (cycled 17, skipped 9, failed 0)\n`);
  });
});

describe("the app's own refusal of a request that carries no sign-in", () => {
  it("names the flag that signs in (--user against this machine's port25 serve --auth)", async () => {
    reply = {
      status: 401,
      body: { error: { code: "Unauthenticated", message: "Sign-in is required" } },
    };
    const r = await runPort25(["status", "--app", app, "--key", "k1", "--id", SUB]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Unauthenticated: Sign-in is required (port25 serve --auth signs in a local identity: add --user NAME)",
    );
  });
});

describe("the audit line of a run kept in a state folder", () => {
  it("reads as one sentence: the summary's full stop is not followed by the count's semicolon", () => {
    const audited = {
      run: {
        runId: "20260303T131400Z-2c812885",
        subscriptionId: SUB,
        summary: { status: "completed", message: "Completed: every resource was cycled or skipped with a reason." },
      },
      outcomes: [{}, {}],
    } as unknown as AuditedRun;
    expect(auditedRunLine(audited)).toBe(
      `Run 20260303T131400Z-2c812885 of ${SUB}: completed — Completed: every resource was cycled or skipped with a reason; 2 outcomes recorded`,
    );
  });
});
