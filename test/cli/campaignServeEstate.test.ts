/**
 * A campaign over a management group, by the built CLI against `port25 serve` on the demo estate: the group's
 * subscriptions at every depth come from the Management Groups API, each exemptible one runs, the others are
 * reported with their reason, and the audit keeps the campaign with a link to each run.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ATTESTATION_ARGS, startServe, type Served } from "../support/api";
import { spawnPort25, type Ended } from "../support/spawn";
import { CampaignStatusBodySchema } from "../../src/cli/campaignApi";

const ESTATE = join(__dirname, "../../scenarios/estate.json");
const work = mkdtempSync(join(tmpdir(), "port25-campaign-estate-"));
const port25 = (args: string[]): Promise<Ended> => spawnPort25(args).ended;
let served: Served;
const auth = (): string[] => ["--app", served.app, "--key", served.key];

const EstateFileSchema = z.object({
  managementGroups: z.array(z.object({ id: z.string(), parent: z.string().optional() })),
  subscriptions: z.array(
    z.object({ managementGroup: z.string(), subscription: z.object({ id: z.string(), name: z.string() }) }).loose(),
  ),
});

beforeAll(async () => {
  served = await startServe(ESTATE, 600);
});

afterAll(async () => {
  await served.stop();
});

describe("a campaign over a management group, from the command line against port25 serve", () => {
  it("takes every subscription under the group, runs the exemptible ones and reports the rest, audited with links", async () => {
    const estate = EstateFileSchema.parse(JSON.parse(readFileSync(ESTATE, "utf8")));
    const root = estate.managementGroups.find((g) => g.parent === undefined)?.id ?? "";
    const started = await port25([
      "start",
      ...auth(),
      "--management-group",
      root,
      "--max-concurrent-subscriptions",
      "2",
      ...ATTESTATION_ARGS,
    ]);
    expect(started.stderr).toBe("");
    expect(started.code).toBe(0);
    const instanceId = /\(instance (port25-campaign-\S+)\)/.exec(started.stdout)?.[1] ?? "";
    const campaignId = /Started campaign (\S+)/.exec(started.stdout)?.[1] ?? "";
    expect(started.stdout).toContain(`on management group ${root}`);

    const watched = await port25(["status", ...auth(), "--id", instanceId, "--watch"]);
    const ended = CampaignStatusBodySchema.parse(
      JSON.parse((await port25(["status", ...auth(), "--id", instanceId, "--json"])).stdout),
    );
    const summary = ended.summary;
    expect(summary).not.toBeNull();
    if (summary === null) return;
    expect(summary.status).toBe("completed");
    expect(watched.code).toBe(0);
    // Every subscription of the estate sits under the root, at some depth: each is a member once.
    expect(summary.members.map((m) => m.subscriptionId).sort()).toEqual(
      estate.subscriptions.map((s) => s.subscription.id.toLowerCase()).sort(),
    );
    const nested = estate.subscriptions.find((s) => s.managementGroup !== root);
    expect(nested).toBeDefined();
    for (const m of summary.members) {
      if (m.state === "done")
        expect(m).toMatchObject({ runStatus: "completed", counts: { failed: 0, pending: 0, leftDown: 0 } });
      else expect(m.reason ?? "", m.subscriptionId).not.toBe("");
    }
    const runs = summary.members.filter((m) => m.state === "done");
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const m of runs)
      expect(watched.stdout).toMatch(new RegExp(`${m.subscriptionId}\\s+completed\\s+${m.counts?.cycled ?? -1}\\s`));

    const html = join(work, "campaign.html");
    const report = await port25(["audit", ...auth(), "--campaign", campaignId, "--html", html]);
    expect(report.code).toBe(0);
    const page = readFileSync(html, "utf8");
    for (const m of runs) expect(page).toContain(`/api/audit/runs/${m.runId ?? "?"}?format=html`);
  });
});
