/**
 * A state folder's audit caught up only after an unclean stop: a clean close leaves a mark and the next open sends no
 * audit write; a folder without the mark (an older version's, a killed holder's, or one whose lock was taken after
 * the mark) is caught up and its record is whole. Also what the commands on a folder leave and answer: `port25 run`
 * stopped before a run started (no sign-in) leaves the folder as it found it, and `approve|cancel` of a run that has
 * ended exit 1 through `--state` as through `--app`.
 */
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack } from "../../src/cli/localStack";
import { openState, writeRunRecord, type OpenedState } from "../../src/cli/runState";
import { CLEAN_CLOSE_FILE } from "../../src/cli/cleanClose";
import { errorResponse } from "../../src/functions/http";
import type { RemediationResult } from "../../src/contracts/remediation";
import { fleet, scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import { spawnCollected } from "../support/spawn";
import { runPort25 } from "../support/stdio";

const HOLDER = join(__dirname, "fixtures", "holdStateFolder.ts");
const work = mkdtempSync(join(tmpdir(), "port25-state-close-"));
const dir = join(work, "state");
const mark = join(dir, CLEAN_CLOSE_FILE);
let result: RemediationResult;
let instanceId: string;

beforeAll(async () => {
  // A folder as a version without the mark leaves it: a finished run in durable/ and audit/, and no mark.
  const stack = await startLocalStack({
    scenario: scenario({ vms: fleet(2) }),
    audit: true,
    auditLocation: join(dir, "audit"),
    host: { stateDir: join(dir, "durable") },
  });
  try {
    const input = stack.start();
    await stack.run();
    result = stack.result();
    instanceId = stack.instanceId;
    writeRunRecord(dir, {
      version: 1,
      instanceId,
      runId: input.runId,
      subscriptionId: input.subscriptionId,
      attestation: input.attestation,
      mode: input.mode,
      armEndpoint: stack.sim.endpoint,
      command: "port25 run …",
    });
  } finally {
    await stack.close();
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const open = (): Promise<OpenedState> => openState(dir, { command: "port25 audit --state", audit: true, settings: {} });

/** The run's audit record read through the folder's own store is whole: the run's end and every outcome. */
async function expectWholeRecord(state: OpenedState): Promise<void> {
  const audited = await state.deps?.auditStore?.getRun(result.summary.runId);
  expect(audited?.run.status).toBe(result.summary.status);
  expect(audited?.outcomes.map((o) => o.resourceId).sort()).toEqual(result.outcomes.map((o) => o.resourceId).sort());
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const ended = spawnSync(process.execPath, ["-e", ""]);
  expect(ended.pid).toBeGreaterThan(0);
  return ended.pid;
}

describe("a state folder's clean close", () => {
  it("catches up a folder without the mark (an older version's), and marks it as it closes cleanly", async () => {
    expect(existsSync(mark)).toBe(false);
    const state = await open();
    try {
      expect(state.auditWritesSent).toBeGreaterThanOrEqual(2);
      await expectWholeRecord(state);
    } finally {
      await state.close();
    }
    expect(existsSync(mark)).toBe(true);
  });

  it("sends no audit write at the open after a clean close, and removes the mark while it holds the folder", async () => {
    const state = await open();
    try {
      expect(state.auditWritesSent).toBe(0);
      expect(existsSync(mark)).toBe(false);
      await expectWholeRecord(state);
    } finally {
      await state.close();
    }
    expect(existsSync(mark)).toBe(true);
  });

  it("keeps the mark across a command that opens the folder without the audit store (status, approve, cancel)", async () => {
    const status = await runPort25(["status", "--state", dir]);
    expect(status.code, status.stderr).toBe(0);
    expect(existsSync(mark)).toBe(true);
    const state = await open();
    await state.close();
    expect(state.auditWritesSent).toBe(0);
  });

  it("does not trust the mark when the lock was taken after it (a holder killed before it could remove the mark)", async () => {
    expect(existsSync(mark)).toBe(true);
    writeFileSync(
      join(dir, "lock"),
      JSON.stringify({ pid: deadPid(), host: hostname(), since: new Date().toISOString(), command: "port25 run …" }),
    );
    const state = await open();
    try {
      expect(state.auditWritesSent).toBeGreaterThanOrEqual(2);
      await expectWholeRecord(state);
    } finally {
      await state.close();
    }
    expect(existsSync(mark)).toBe(true);
  });

  it("catches up after a holder was killed (SIGKILL) while it held the folder, and the record is whole", async () => {
    const holder = spawnCollected(process.execPath, ["--import", "tsx", HOLDER, dir]);
    await holder.line((l) => l === "OPEN");
    expect(existsSync(mark)).toBe(false);
    holder.child.kill("SIGKILL");
    await holder.ended;
    // Its Azurite ends by itself once its parent is gone; the open waits for it (runState.ts, stopOrphanAzurite).
    const state = await open();
    try {
      expect(state.auditWritesSent).toBeGreaterThanOrEqual(2);
      await expectWholeRecord(state);
    } finally {
      await state.close();
    }
    expect(existsSync(mark)).toBe(true);
  });
});

describe("approve and cancel of a run that has ended", () => {
  it("exit 1 with NotRunning through --state", async () => {
    for (const verb of ["approve", "cancel"]) {
      const r = await runPort25([verb, "--state", dir]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`NotRunning: run ${instanceId} has ended (Completed): nothing to ${verb}`);
    }
  });

  it("exit 1 with NotRunning through --app, where the API answers 409", async () => {
    // The app's answer for a run that is over (src/functions/instances.ts), built by the app's own helper.
    const answer = errorResponse(409, "NotRunning", `Remediation ${instanceId} is Completed`);
    const server: Server = createServer((_req, res) => {
      res.writeHead(answer.status ?? 500, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.jsonBody));
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    try {
      const app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const verb of ["approve", "cancel"]) {
        const r = await runPort25([verb, "--app", app, "--key", "k", "--id", instanceId]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain("NotRunning");
      }
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});

describe("port25 run stopped before a run started", () => {
  // Not signed in: the only credential tried is the Azure CLI's, and there is no `az` on the PATH. The endpoint is
  // loopback, so nothing would leave this machine even if a request were sent.
  const notSignedIn = {
    AZURE_TOKEN_CREDENTIALS: "AzureCliCredential",
    PATH: dirname(process.execPath),
    AZURE_CLIENT_ID: undefined,
    AZURE_TENANT_ID: undefined,
    AZURE_CLIENT_SECRET: undefined,
    PORT25_ARM_STATIC_TOKEN: undefined,
  };
  const run = (state: string): ReturnType<typeof runPort25> =>
    runPort25(
      [
        "run",
        "--subscription",
        SUBSCRIPTION_ID,
        "--attestation-ref",
        "REQ-25-0001",
        "--approved-by",
        "ops@contoso.example",
        "--approved-at",
        "2026-03-02T09:00:00Z",
        "--arm-endpoint",
        "https://127.0.0.1:9",
        "--yes",
        "--state",
        state,
      ],
      notSignedIn,
    );

  it("refuses without a credential and leaves no folder behind, nor anything in a folder it was given", async () => {
    const fresh = join(work, "fresh");
    const refused = await run(fresh);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/not signed in|PORT25_ARM_STATIC_TOKEN/);
    expect(existsSync(fresh)).toBe(false);

    const given = join(work, "given");
    mkdirSync(given);
    writeFileSync(join(given, "notes.txt"), "mine\n");
    expect((await run(given)).code).toBe(1);
    expect(readdirSync(given)).toEqual(["notes.txt"]);
  });
});
