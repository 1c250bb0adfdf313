/**
 * `port25 serve --state DIR` killed mid-wave and started again with the same command: the run is listed again and
 * completes with one outcome per resource, the simulated world it meets is the one it left (no VM cycled twice in
 * the request log kept in DIR), and a second serve on the same folder is refused. Killed once more right after the
 * run's final audit write, the next start still answers the whole audit record. A small fleet at a time scale that
 * makes a VM's cycle about a second of real time, so that the kill lands mid-wave.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { AuditedRunSchema } from "../../src/contracts/audit";
import { ProgressSchema, RemediationSummarySchema } from "../../src/contracts/remediation";
import { RecordedRequestSchema } from "../../src/simulator/persist";
import { CLEAN_CLOSE_FILE } from "../../src/cli/cleanClose";
import { fleet, scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import { poll, startServe, type Served } from "../support/api";
import { spawnPort25 } from "../support/spawn";

const TIME_SCALE = 150;
/** After the restart nothing needs catching mid-way: the rest of the run goes faster (the flag may change). */
const RESUMED_TIME_SCALE = 900;
/** The fleet's VMs with its canary. */
const VMS = 7;
const work = mkdtempSync(join(tmpdir(), "port25-serve-state-"));
const stateDir = join(work, "state");
const scenarioFile = join(work, "scenario.json");
writeFileSync(scenarioFile, JSON.stringify(scenario({ vms: fleet(VMS - 1) })));

const running: Served[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
  rmSync(work, { recursive: true, force: true });
});

const StatusSchema = z.object({
  instanceId: z.string(),
  runtimeStatus: z.string(),
  progress: ProgressSchema.nullable(),
  summary: RemediationSummarySchema.nullable(),
});

async function status(s: Served): Promise<z.output<typeof StatusSchema>> {
  const res = await fetch(`${s.app}/api/remediations/${SUBSCRIPTION_ID}`, { headers: { "x-functions-key": s.key } });
  expect(res.status).toBe(200);
  return StatusSchema.parse(await res.json());
}

/** Complete lines of the simulator's request log now (a line cut by a kill is dropped at the next start). */
function requestLines(): number {
  const file = join(stateDir, "simulator", "requests.jsonl");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").length - 1 : 0;
}

/** A stored input as the activity took it (the host keeps it as JSON text, perhaps of a string). */
function inputOf(text: unknown): Record<string, unknown> | undefined {
  let v: unknown = text;
  for (let i = 0; i < 2 && typeof v === "string"; i++) {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
}

/**
 * The power steps (`vm|step`, lower-case names) an activity was sending when the kill came, by the durable state it
 * left: scheduled with no result. A beginPowerOperation of the step, or a poll that sends it once the step before
 * ends (observePowerState's `thenSend`). Such an activity runs again after the restart; when ARM had already accepted
 * its write and the step is a next step (sent on the state the last poll saw, not read again), the re-run may send it
 * once more, which ARM joins (docs/workflow.md, "Safety").
 */
function sendsInFlightAtKill(): Set<string> {
  const dir = join(stateDir, "durable", "instances");
  const sends = new Set<string>();
  if (!existsSync(dir)) return sends;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".json")) continue;
    const { record } = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
      record: { history: Record<string, unknown>[]; inbox: Record<string, unknown>[] };
    };
    const events = [...record.history, ...record.inbox];
    const answered = new Set<unknown>(events.map((e) => e["TaskScheduledId"]).filter((id) => typeof id === "number"));
    for (const e of record.history) {
      if (e["Name"] !== "beginPowerOperation" && e["Name"] !== "observePowerState") continue;
      if (answered.has(e["EventId"])) continue;
      const input = inputOf(e["Input"]);
      const thenSend = input?.["thenSend"] as { step?: unknown } | undefined;
      const step = e["Name"] === "beginPowerOperation" ? input?.["step"] : thenSend?.step;
      const id = input?.["resourceId"];
      const vm = typeof id === "string" ? /\/virtualMachines\/([^/]+)$/i.exec(id)?.[1] : undefined;
      if (typeof step === "string" && vm !== undefined) sends.add(`${vm.toLowerCase()}|${step.toLowerCase()}`);
    }
  }
  return sends;
}

async function serve(timeScale: number): Promise<Served> {
  const s = await startServe(scenarioFile, timeScale, {}, ["--state", stateDir]);
  running.push(s);
  return s;
}

describe("port25 serve --state", () => {
  it("resumes a run killed mid-wave: listed again, completed with one outcome per VM, none cycled twice; killed right after its final audit write, the whole audit record is there at the next start", async () => {
    const first = await serve(TIME_SCALE);
    expect(first.proc.stdout()).toMatch(/state: .*\(new\)/);
    const started = await fetch(`${first.app}/api/remediations`, {
      method: "POST",
      headers: { "x-functions-key": first.key, "content-type": "application/json" },
      body: JSON.stringify({
        subscriptionId: SUBSCRIPTION_ID,
        attestation: {
          reference: "REQ-25-0001",
          approvedBy: "ops@contoso.example",
          approvedAt: "2026-03-02T09:00:00Z",
        },
        options: { maxConcurrency: 2 },
      }),
    });
    expect(started.status).toBe(202);
    // Mid-wave: the canary and some of the fleet cycled, others not yet.
    const mid = await poll(
      "a wave under way",
      async () => {
        const s = await status(first);
        const cycled = s.progress?.counts.cycled ?? 0;
        return s.progress?.phase === "waves" && cycled >= 2 && cycled < VMS - 1 ? s : undefined;
      },
      600,
      50,
    );

    // A second serve on the same folder, while the first holds it, is refused as `port25 run` refuses it.
    const second = spawnPort25(["serve", "--scenario", scenarioFile, "--port", "0", "--state", stateDir]);
    const refused = await second.ended;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `${stateDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is in use by process ${first.proc.child.pid ?? -1} `,
      ),
    );

    first.proc.child.kill("SIGKILL");
    await first.proc.ended;
    // What the kill left: the requests the world had answered by then, and the sends in flight in the durable state.
    const answeredBeforeKill = requestLines();
    const inFlightAtKill = sendsInFlightAtKill();

    const again = await serve(RESUMED_TIME_SCALE);
    expect(again.proc.stdout()).toMatch(/state: .*\(resumed: 1 runs, the simulated world after \d+ requests\)/);
    // Killed, it left no mark of a clean close: the audit writes its durable state holds were sent again.
    expect(again.proc.stderr()).toMatch(/did not close it cleanly; [1-9]\d* audit records written again/);
    const resumed = await status(again);
    expect(resumed.instanceId).toBe(mid.instanceId);
    expect(resumed.progress?.counts.cycled ?? 0).toBeGreaterThanOrEqual(mid.progress?.counts.cycled ?? 0);
    const done = await poll(
      "the resumed run to end",
      async () => {
        const s = await status(again);
        return s.runtimeStatus === "Running" || s.runtimeStatus === "Pending" ? undefined : s;
      },
      1200,
      100,
    );
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.summary?.counts.leftDown ?? 0).toBe(0);

    // Killed again right after the run's final audit write (the run completes only once it is recorded): well
    // within the 5 s Azurite's table service waits between saves, so the record is on disk only if the emulator
    // saved it as its parent died or the next start writes it again from the durable state.
    again.proc.child.kill("SIGKILL");
    await again.proc.ended;
    const third = await serve(RESUMED_TIME_SCALE);

    const runId = done.summary?.runId ?? "";
    const audited = AuditedRunSchema.parse(
      await (await fetch(`${third.app}/api/audit/runs/${runId}`, { headers: { "x-functions-key": third.key } })).json(),
    );
    expect(audited.run.status).toBe("completed");
    const vms = audited.outcomes.filter((o) => o.kind === "vm");
    expect(vms).toHaveLength(VMS);
    expect(new Set(vms.map((o) => o.resourceId.toLowerCase())).size).toBe(VMS);
    expect(vms.every((o) => o.outcome === "cycled")).toBe(true);

    // The request log the world kept across the kill: each VM deallocated once and started once, or once more
    // (docs/reliability.md, as for `port25 run` killed): a step ARM accepted before the kill from an activity whose
    // result the durable state did not yet hold (the host records a round's results when the round ends), sent again
    // by that activity's re-run after the restart and joined by ARM, with no other power write to the VM in between
    // (no second cycle).
    const requests = readFileSync(join(stateDir, "simulator", "requests.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => RecordedRequestSchema.parse(JSON.parse(l)));
    /** Per VM, the log positions of its accepted POSTs of this action. */
    const accepted = (action: string): Map<string, number[]> => {
      const byVm = new Map<string, number[]>();
      requests.forEach((r, i) => {
        const m = new RegExp(`/virtualMachines/([^/]+)/${action}$`, "i").exec(r.entry.path);
        if (r.method === "POST" && m?.[1] !== undefined && r.entry.status < 300) {
          const vm = m[1].toLowerCase();
          byVm.set(vm, [...(byVm.get(vm) ?? []), i]);
        }
      });
      return byVm;
    };
    const writes = new Map(["powerOff", "deallocate", "start"].map((a) => [a, accepted(a)] as const));
    /** The second of two accepted sends is the re-run of one the kill caught, joined by ARM: nothing in between. */
    const resentAcrossKill = (action: string, vm: string, at: number[]): boolean => {
      const [before, after] = at;
      if (at.length !== 2 || before === undefined || after === undefined) return false;
      const between = [...writes]
        .filter(([other]) => other !== action)
        .some(([, byVm]) => (byVm.get(vm) ?? []).some((i) => i > before && i < after));
      const inFlight = inFlightAtKill.has(`${vm}|${action.toLowerCase()}`);
      return inFlight && before < answeredBeforeKill && after >= answeredBeforeKill && !between;
    };
    for (const action of ["deallocate", "start"]) {
      const byVm = writes.get(action) ?? new Map<string, number[]>();
      expect(byVm.size, action).toBe(VMS);
      expect(
        [...byVm].every(([vm, at]) => at.length === 1 || resentAcrossKill(action, vm, at)),
        `${action}: ${JSON.stringify([...byVm].map(([vm, at]) => [vm, at.length]))}; ${answeredBeforeKill} requests answered before the kill; sends in flight then: ${JSON.stringify([...inFlightAtKill])}`,
      ).toBe(true);
    }
    expect(third.proc.stderr()).toMatch(/did not close it cleanly; [1-9]\d* audit records written again/);
    expect(existsSync(join(stateDir, CLEAN_CLOSE_FILE))).toBe(false);
    third.proc.child.kill("SIGTERM");
    expect((await third.proc.ended).code).toBe(0);
    // Stopped cleanly (durable state written, Azurite's tables saved): the mark that spares the next start the catch-up.
    expect(existsSync(join(stateDir, CLEAN_CLOSE_FILE))).toBe(true);
  });

  it("stops with an error naming the world file when it is damaged, and starts nothing", async () => {
    for (const s of running) await s.stop();
    writeFileSync(join(stateDir, "simulator", "world.json"), "{ damaged");
    const run = await spawnPort25([
      "serve",
      "--scenario",
      scenarioFile,
      "--port",
      "0",
      "--time-scale",
      String(TIME_SCALE),
      "--state",
      stateDir,
    ]).ended;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${join(stateDir, "simulator", "world.json")}: the saved simulated world is not valid JSON`,
    );
  });
});
