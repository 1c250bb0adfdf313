/**
 * `port25 serve` over real HTTP, driven by the built CLI as a user drives it: the remote commands (start, status
 * --watch, approve, cancel, audit) against --app http://127.0.0.1:P --key K, and raw requests for the status codes.
 * Virtual time runs at 600 simulated seconds per real second, so the approval wait (24 h) lasts 144 s of real time
 * and a VM's cycle (about 3 min) a third of a second; every wait polls with a bounded number of attempts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { AuditedRunSchema } from "../../src/contracts/audit";
import { ProgressSchema, RemediationSummarySchema } from "../../src/contracts/remediation";
import { fleet, scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import { ATTESTATION_ARGS, poll, startServe } from "../support/api";
import { spawnPort25, type Ended, type Spawned } from "../support/spawn";

const TIME_SCALE = 600;
const VMS = 24;
const work = mkdtempSync(join(tmpdir(), "port25-serve-"));

const port25 = (args: string[]): Promise<Ended> => spawnPort25(args).ended;

let server: Spawned;
let app = "";
let key = "";
let masterKey = "";
const auth = (): string[] => ["--app", app, "--key", key];

const StatusSchema = z.object({
  instanceId: z.string(),
  runtimeStatus: z.string(),
  progress: ProgressSchema.nullable(),
  summary: RemediationSummarySchema.nullable(),
});

async function status(): Promise<z.output<typeof StatusSchema>> {
  const res = await fetch(`${app}/api/remediations/${SUBSCRIPTION_ID}`, { headers: { "x-functions-key": key } });
  expect(res.status).toBe(200);
  return StatusSchema.parse(await res.json());
}

function startArgs(extra: string[] = []): string[] {
  return ["start", ...auth(), "--subscription", SUBSCRIPTION_ID, ...ATTESTATION_ARGS, ...extra];
}

beforeAll(async () => {
  const file = join(work, "scenario.json");
  writeFileSync(file, JSON.stringify(scenario({ vms: fleet(VMS) })));
  const served = await startServe(file, TIME_SCALE);
  server = served.proc;
  ({ app, key, masterKey } = served);
});

afterAll(async () => {
  if (server.child.exitCode === null) {
    server.child.kill("SIGKILL");
    await server.ended;
  }
});

describe("port25 serve", () => {
  it("prints the base URL, the key, every route and the three commands to try", () => {
    const out = server.stdout();
    for (const route of [
      "/api/remediations ",
      "/api/remediations/{id} ",
      "/api/remediations/{id}/approve",
      "/api/remediations/{id}/cancel",
      "/api/audit/runs ",
      "/api/audit/runs/{runId}",
    ]) {
      expect(out).toContain(route);
    }
    expect(out).toMatch(
      new RegExp(`start --app ${app} --key ${key} --subscription ${SUBSCRIPTION_ID} --require-approval`),
    );
    expect(out).toMatch(/status --app \S+ --key \S+ --id \S+ --watch/);
    expect(out).toMatch(/approve --app \S+ --key \S+ --id \S+/);
  });

  it("answers 401 with no body to a missing or wrong key, and 404 to an unknown route or method", async () => {
    const url = `${app}/api/remediations/${SUBSCRIPTION_ID}`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(await none.text()).toBe("");
    expect((await fetch(url, { headers: { "x-functions-key": "not-the-key" } })).status).toBe(401);
    expect((await fetch(`${url}?code=not-the-key`)).status).toBe(401);
    expect((await fetch(`${url}?code=${encodeURIComponent(key)}`)).status).toBe(404); // no run yet: the app's own 404
    expect((await fetch(url, { headers: { "x-functions-key": masterKey } })).status).toBe(404);
    expect((await fetch(`${app}/api/nothing-here`, { headers: { "x-functions-key": key } })).status).toBe(404);
    expect((await fetch(url, { method: "DELETE", headers: { "x-functions-key": key } })).status).toBe(404);

    const bad = await port25(["status", "--app", app, "--key", "not-the-key", "--id", SUBSCRIPTION_ID]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/401/);
    expect(server.stdout()).not.toContain("not-the-key"); // keys in the query string are masked in the log
  });

  it("the remote commands take http only for a loopback host: the key never crosses a network in clear", async () => {
    const r = await port25(["status", "--app", "http://port25.contoso.example", "--key", key, "--id", SUBSCRIPTION_ID]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--app: must be https \(http only for a loopback host/);
    const local = await port25(["status", "--app", app, "--key", key, "--id", SUBSCRIPTION_ID]);
    expect(local.stderr).toMatch(/NotFound/); // reached the app (no run yet)
  });

  it("answers the app's own 400 naming the field", async () => {
    const res = await fetch(`${app}/api/remediations`, {
      method: "POST",
      headers: { "x-functions-key": key, "content-type": "application/json" },
      body: JSON.stringify({
        subscriptionId: SUBSCRIPTION_ID,
        attestation: { reference: "REQ-25-0001", approvedBy: "ops" },
      }),
    });
    expect(res.status).toBe(400);
    const body = z
      .object({ error: z.object({ code: z.string(), details: z.object({ fields: z.array(z.string()) }) }) })
      .parse(await res.json());
    expect(body.error.code).toBe("ValidationFailed");
    expect(body.error.details.fields).toContain("attestation.approvedAt");
  });

  it("runs an approval flow: start with --require-approval, a second start gets 409, watch, approve, audit", async () => {
    const started = await port25(startArgs(["--require-approval"]));
    expect(started.stderr).toBe("");
    expect(started.code).toBe(0);
    const runId = /Started run (\S+)/.exec(started.stdout)?.[1] ?? "";
    expect(runId).not.toBe("");
    expect(started.stdout).toContain(`Status: ${app}/api/remediations/port25-${SUBSCRIPTION_ID}`);

    await poll(
      "the run to wait for approval",
      async () => ((await status()).progress?.phase === "approve" ? true : undefined),
      300,
    );

    const second = await port25(startArgs());
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/RunInProgress/);
    const raw = await fetch(`${app}/api/remediations`, {
      method: "POST",
      headers: { "x-functions-key": key, "content-type": "application/json" },
      body: JSON.stringify({
        subscriptionId: SUBSCRIPTION_ID,
        attestation: { reference: "REQ-25-0001", approvedBy: "ops", approvedAt: "2026-03-02T09:00:00Z" },
      }),
    });
    expect(raw.status).toBe(409);
    expect(z.object({ error: z.object({ code: z.string() }) }).parse(await raw.json()).error.code).toBe(
      "RunInProgress",
    );

    const watch = spawnPort25(["status", ...auth(), "--id", SUBSCRIPTION_ID, "--watch"]);
    await poll(
      "status --watch to show the approval wait",
      () => (/^approve /m.test(watch.stderr()) ? true : undefined),
      300,
    );
    const approved = await port25(["approve", ...auth(), "--id", SUBSCRIPTION_ID]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`Approved ${SUBSCRIPTION_ID}`);

    const watched = await watch.ended;
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain(`port25-${SUBSCRIPTION_ID}: Completed, run ${runId} completed`);
    expect(watched.stdout).toMatch(new RegExp(`cycled\\s+${VMS + 1}\\b`));
    expect(watched.stderr).toMatch(new RegExp(`^approve \\d+/${VMS + 1} done`, "m"));

    const listed = await port25(["audit", ...auth(), "--json"]);
    expect(listed.code).toBe(0);
    const rows = z.array(z.object({ runId: z.string(), status: z.string() }).loose()).parse(JSON.parse(listed.stdout));
    expect(rows.find((r) => r.runId === runId)?.status).toBe("completed");

    const one = await port25(["audit", ...auth(), "--run", runId, "--json"]);
    expect(one.code).toBe(0);
    const audited = AuditedRunSchema.parse(JSON.parse(one.stdout));
    expect(audited.run.runId).toBe(runId);
    expect(audited.run.requireApproval).toBe(true);
    expect(audited.run.summary?.status).toBe("completed");
    expect(audited.outcomes).toHaveLength(VMS + 1);

    const html = join(work, "report.html");
    const report = await port25(["audit", ...auth(), "--run", runId, "--html", html]);
    expect(report.code).toBe(0);
    expect(readFileSync(html, "utf8")).toMatch(/^<!doctype html>/i);
  });

  it("runs the re-verification timer through the admin API, with the master key only", async () => {
    const url = `${app}/admin/functions/reverifySubscriptions`;
    const init = (k: string): RequestInit => ({
      method: "POST",
      headers: { "x-functions-key": k, "content-type": "application/json" },
      body: "{}",
    });
    expect((await fetch(url, init(key))).status).toBe(401);
    expect((await fetch(url, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${app}/admin/functions/startRemediation`, init(masterKey))).status).toBe(404);
    const res = await fetch(url, init(masterKey));
    expect(res.status).toBe(202);
    await poll(
      "the sweep to be logged",
      () => (/reverifySubscriptions: 1 started \(port25-reverify-/.test(server.stdout()) ? true : undefined),
      100,
    );
  });

  it("stops cleanly on Ctrl+C: the host, the simulator and Azurite", async () => {
    const pid = server.child.pid ?? 0;
    const childrenFile = `/proc/${pid}/task/${pid}/children`;
    // Linux names a process's children (Azurite is one); elsewhere only the exit is checked.
    const children = existsSync(childrenFile)
      ? readFileSync(childrenFile, "utf8")
          .split(/\s+/)
          .filter((p) => p !== "")
          .map(Number)
      : [];
    if (existsSync(childrenFile)) expect(children.length).toBeGreaterThan(0);
    server.child.kill("SIGINT");
    const r = await server.ended;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Stopped after \d+ ARM requests/);
    expect(
      await fetch(`${app}/api/audit/runs`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
    const alive = children.filter((p) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});
