/**
 * A campaign driven end to end by the built CLI against `port25 serve` (the app's own triggers and orchestrations on
 * the local durable host, the simulator, a real Azurite): start with approval, status, approve, status --watch,
 * the audit record, its listing and report, and cancel of a campaign that is over. Virtual time runs at 600
 * simulated seconds per real second; every wait polls with a bounded number of attempts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { fleet, scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import { ATTESTATION_ARGS, poll, startServe, type Served } from "../support/api";
import { spawnPort25, type Ended } from "../support/spawn";
import { CampaignStatusBodySchema } from "../../src/cli/campaignApi";
import { campaignInstanceId } from "../../src/contracts/campaign";

const VMS = 12;
/** A subscription the token cannot read: the campaign reports it and leaves it alone. */
const UNREADABLE = "0badc0de-0000-4000-8000-000000000001";
const work = mkdtempSync(join(tmpdir(), "port25-campaign-serve-"));

const port25 = (args: string[]): Promise<Ended> => spawnPort25(args).ended;

let served: Served;
const auth = (): string[] => ["--app", served.app, "--key", served.key];

const startArgs = (): string[] => [
  "start",
  ...auth(),
  "--subscriptions",
  `${SUBSCRIPTION_ID},${UNREADABLE}`,
  "--require-approval",
  "--max-concurrent-subscriptions",
  "2",
  ...ATTESTATION_ARGS,
];

async function campaignStatus(instanceId: string): Promise<z.output<typeof CampaignStatusBodySchema>> {
  const r = await port25(["status", ...auth(), "--id", instanceId, "--json"]);
  return CampaignStatusBodySchema.parse(JSON.parse(r.stdout));
}

beforeAll(async () => {
  const file = join(work, "scenario.json");
  writeFileSync(file, JSON.stringify(scenario({ vms: fleet(VMS) })));
  served = await startServe(file, 600);
});

afterAll(async () => {
  await served.stop();
});

describe("a campaign from the command line, against port25 serve", () => {
  it("starts, waits for approval, is approved, followed to its end, audited and reported", async () => {
    const started = await port25(startArgs());
    expect(started.stderr).toBe("");
    expect(started.code).toBe(0);
    const instanceId = /\(instance (port25-campaign-\S+)\)/.exec(started.stdout)?.[1] ?? "";
    const campaignId = /Started campaign (\S+)/.exec(started.stdout)?.[1] ?? "";
    expect(instanceId).toBe(campaignInstanceId(campaignId));
    expect(started.stdout).toContain(`status --app ${served.app} --key ${served.key} --id ${instanceId} --watch`);

    const waiting = await poll(
      "the subscription's run to wait for approval",
      async () => {
        const s = await campaignStatus(instanceId);
        return s.members.some((m) => m.subscriptionId === SUBSCRIPTION_ID && m.phase === "approve") ? s : undefined;
      },
      300,
    );
    expect(waiting.members.find((m) => m.subscriptionId === UNREADABLE)?.state).not.toMatch(/running|done/);

    const shown = await port25(["status", ...auth(), "--campaign", campaignId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`${SUBSCRIPTION_ID}\\s+awaiting`));
    expect(shown.stdout.replace(/\s+/g, " ")).toContain(
      `approve --app ${served.app} --key ${served.key} --id ${instanceId}`,
    );

    const again = await port25(startArgs());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/CampaignInProgress/);

    const watch = spawnPort25(["status", ...auth(), "--id", instanceId, "--watch"]);
    const approved = await port25(["approve", ...auth(), "--campaign", campaignId]);
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`Approved 1 subscription`);
    expect(approved.stdout).toContain(`${SUBSCRIPTION_ID}: run port25-${SUBSCRIPTION_ID}`);

    const watched = await watch.ended;
    const ended = await campaignStatus(instanceId);
    expect(ended.summary).not.toBeNull();
    const summary = ended.summary;
    if (!summary) return;
    expect(summary.status).toBe("completed");
    expect(watched.code).toBe(0);
    expect(watched.stderr).toMatch(new RegExp(`^${summary.status}: 2 subscriptions; resources cycled \\d+`, "m"));
    const done = summary.members.find((m) => m.subscriptionId === SUBSCRIPTION_ID);
    expect(done).toMatchObject({ state: "done", runStatus: "completed" });
    expect((done?.counts?.cycled ?? 0) + (done?.counts?.skipped ?? 0)).toBe(done?.counts?.total);
    expect(watched.stdout).toMatch(
      new RegExp(
        `${SUBSCRIPTION_ID}\\s+completed\\s+${done?.counts?.cycled ?? -1}\\s+${done?.counts?.skipped ?? -1}\\s+0\\s+0`,
      ),
    );
    const alone = summary.members.find((m) => m.subscriptionId === UNREADABLE);
    expect(alone?.reason).toBeDefined();
    expect(watched.stdout.replace(/\s+/g, " ")).toContain(
      `${alone?.displayName === undefined ? UNREADABLE : `${alone.displayName} (${UNREADABLE})`}, ${alone?.state ?? "?"}: `,
    );

    const record = await port25(["audit", ...auth(), "--campaign", campaignId]);
    expect(record.stderr).toBe("");
    expect(record.code).toBe(0);
    expect(record.stdout.replace(/\s+/g, " ")).toContain(
      `Campaign ${campaignId} on 2 subscriptions: ${summary.status}`,
    );
    expect(record.stdout.replace(/\s+/g, " ")).toMatch(
      new RegExp(
        `Run reports: # ${SUBSCRIPTION_ID} \\S.* audit --app ${served.app} --key ${served.key} --run ${done?.runId ?? "?"} --html run-${done?.runId ?? "?"}\\.html`,
      ),
    );

    const listed = await port25(["audit", ...auth(), "--campaigns", "--json"]);
    expect(listed.code).toBe(0);
    expect(
      z.array(z.object({ campaignId: z.string(), status: z.string() }).loose()).parse(JSON.parse(listed.stdout)),
    ).toContainEqual(expect.objectContaining({ campaignId, status: summary.status }));

    const html = join(work, "campaign.html");
    const report = await port25(["audit", ...auth(), "--campaign", campaignId, "--html", html]);
    expect(report.code).toBe(0);
    expect(readFileSync(html, "utf8")).toMatch(/^<!doctype html>/i);

    const over = await port25(["cancel", ...auth(), "--id", instanceId]);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/NotRunning/);
  });
});
