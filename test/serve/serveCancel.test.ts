/**
 * `port25 cancel` through the built CLI against `port25 serve`, reaching a run whose wave is in flight.
 *
 * The cancel is a spawned process: on a loaded machine it can take many real seconds to start. The served clock
 * therefore runs slowly (60 simulated seconds per real second) and the lane is long (48 VMs one at a time, about
 * 140 simulated minutes, so over two real minutes), while the part of the run the test waits for stays short (the
 * canary, then at most the VM in flight when the cancel lands). The assertions prove the cancel landed mid-wave
 * from the run's own counts (some VMs cycled, the rest cancelled), not from any timing.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ProgressSchema, RemediationSummarySchema } from "../../src/contracts/remediation";
import { fleet, scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import { ATTESTATION_ARGS, poll, startServe, type Served } from "../support/api";
import { spawnPort25, type Ended } from "../support/spawn";

const TIME_SCALE = 60;
const VMS = 48;
const work = mkdtempSync(join(tmpdir(), "port25-serve-cancel-"));

const port25 = (args: string[]): Promise<Ended> => spawnPort25(args).ended;

let served: Served;
const auth = (): string[] => ["--app", served.app, "--key", served.key];

const StatusSchema = z.object({
  runtimeStatus: z.string(),
  progress: ProgressSchema.nullable(),
  summary: RemediationSummarySchema.nullable(),
});

async function status(): Promise<z.output<typeof StatusSchema>> {
  const res = await fetch(`${served.app}/api/remediations/${SUBSCRIPTION_ID}`, {
    headers: { "x-functions-key": served.key },
  });
  expect(res.status).toBe(200);
  return StatusSchema.parse(await res.json());
}

const live = (s: { runtimeStatus: string }): boolean => s.runtimeStatus === "Running" || s.runtimeStatus === "Pending";

beforeAll(async () => {
  const file = join(work, "scenario.json");
  writeFileSync(file, JSON.stringify(scenario({ vms: fleet(VMS) })));
  served = await startServe(file, TIME_SCALE);
});

afterAll(async () => {
  await served.stop();
});

describe("port25 cancel against port25 serve", () => {
  it("cancels a run mid-wave: VMs in flight finish, none is left down, the rest is untouched", async () => {
    const started = await port25([
      "start",
      ...auth(),
      "--subscription",
      SUBSCRIPTION_ID,
      ...ATTESTATION_ARGS,
      "--max-concurrency",
      "1",
    ]);
    expect(started.code).toBe(0);
    await poll(
      "the wave's lane to be running",
      async () => {
        const s = await status();
        return s.progress?.phase === "waves" && (s.progress.activeWaves ?? []).length > 0 ? true : undefined;
      },
      3000,
      50,
    );
    const cancelled = await port25(["cancel", ...auth(), "--id", SUBSCRIPTION_ID]);
    expect(cancelled.stderr).toBe("");
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`Cancellation requested for ${SUBSCRIPTION_ID}`);

    const done = await poll(
      "the run to end",
      async () => {
        const s = await status();
        return live(s) ? undefined : s;
      },
      1200,
    );
    expect(done.runtimeStatus).toBe("Completed");
    const summary = done.summary;
    expect(summary?.status).toBe("cancelled");
    expect(summary?.counts.leftDown ?? 0).toBe(0);
    expect(summary?.counts.failed).toBe(0);
    expect(summary?.counts.cycled).toBeGreaterThanOrEqual(1); // the canary, and the VMs the lane had in flight
    expect(summary?.counts.cycled).toBeLessThan(VMS + 1);
    expect(summary?.byReason.cancelled ?? 0).toBeGreaterThan(0); // the rest of the wave, untouched
    expect((summary?.counts.cycled ?? 0) + (summary?.byReason.cancelled ?? 0)).toBe(VMS + 1);

    const final = await port25(["status", ...auth(), "--id", SUBSCRIPTION_ID]);
    expect(final.stdout).toMatch(/Completed, run \S+ cancelled/);

    const cancelAgain = await fetch(`${served.app}/api/remediations/${SUBSCRIPTION_ID}/cancel`, {
      method: "POST",
      headers: { "x-functions-key": served.key },
    });
    expect(cancelAgain.status).toBe(409);
  });
});
