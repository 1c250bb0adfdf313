/**
 * Starts that race (issue: ten parallel campaign starts once gave two 202s): twenty parallel starts of the same run,
 * or of the same campaign, give exactly one 202 and nineteen 409s, because the instance id is derived from the target
 * and the engine refuses a client start under the id of a live instance (the singleton rule, docs/architecture.md).
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { campaignInstanceId, campaignInstanceIdOf } from "../../src/contracts/campaign";
import { REMEDIATE_CAMPAIGN, REMEDIATE_SUBSCRIPTION } from "../../src/contracts/names";
import { remediationInstanceId } from "../../src/contracts/remediation";
import { apiHosts } from "../support/api";
import { appVersioning } from "../../src/cli/localApp";
import { apiScenario, APPROVED_AT, startBody, SUB } from "./fixtures";

const hosts = apiHosts();
const ALICE = { "x-ms-client-principal-name": "alice@contoso.example" };
const PARALLEL = 20;
const StartedSchema = z.object({ instanceId: z.string(), campaignId: z.string() });

function campaignBody(subscriptionIds: string[]): Record<string, unknown> {
  return {
    subscriptionIds,
    attestation: { reference: "REQ-25-0100", approvedBy: "network-ops@contoso.example", approvedAt: APPROVED_AT },
    requireApproval: true,
  };
}

describe("parallel starts of the same target", () => {
  it("give one 202 and nineteen 409s for a run, and one instance holding the winner's run", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        h.call("startRemediation", {
          method: "POST",
          path: "/api/remediations",
          body: startBody({ requireApproval: true }),
          headers: ALICE,
        }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([202, ...Array.from({ length: PARALLEL - 1 }, () => 409)]);
    const winner = z.object({ runId: z.string() }).parse(answers.find((a) => a.status === 202)?.json);
    expect(h.product.host.listInstances({ name: REMEDIATE_SUBSCRIPTION }).map((s) => s.instanceId)).toEqual([
      remediationInstanceId(SUB),
    ]);
    expect(h.product.host.getStatus(remediationInstanceId(SUB))?.input).toMatchObject({ runId: winner.runId });
    for (const refused of answers.filter((a) => a.status === 409))
      expect(refused.json).toMatchObject({ error: { code: "RunInProgress" } });
    // The local host gives the run host.json's defaultVersion, as the extension does.
    expect(appVersioning().defaultVersion).not.toBe("");
    expect(h.product.host.getStatus(remediationInstanceId(SUB))?.version).toBe(appVersioning().defaultVersion);
  });

  it("give one 202 and nineteen 409s for a campaign, whose instance id is its target's, however the target is spelt", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const other = "0badc0de-0000-4000-8000-000000000001";
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        h.call("startCampaign", {
          method: "POST",
          path: "/api/campaigns",
          body: campaignBody(i % 2 === 0 ? [SUB, other] : [other, SUB.toUpperCase()]),
          headers: ALICE,
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, ...Array.from({ length: PARALLEL - 1 }, () => 409)]);
    const started = StartedSchema.parse(answers.find((a) => a.status === 202)?.json);
    expect(started.instanceId).toBe(campaignInstanceIdOf({ kind: "subscriptions", subscriptionIds: [other, SUB] }));
    expect(campaignInstanceId(started.campaignId)).toBe(started.instanceId);
    expect(h.product.host.listInstances({ name: REMEDIATE_CAMPAIGN }).map((s) => s.instanceId)).toEqual([
      started.instanceId,
    ]);
    for (const refused of answers.filter((a) => a.status === 409))
      expect(refused.json).toMatchObject({
        error: { code: "CampaignInProgress", details: { instanceId: started.instanceId } },
      });
  });

  it("gives a campaign over another target an instance of its own, and the same target a new campaign id once the first has ended", async () => {
    const h = await hosts.start({ scenario: apiScenario() });
    const first = StartedSchema.parse(
      (
        await h.call("startCampaign", {
          method: "POST",
          path: "/api/campaigns",
          body: { ...campaignBody([SUB]), requireApproval: false },
          headers: ALICE,
        })
      ).json,
    );
    await h.product.run();
    const second = await h.call("startCampaign", {
      method: "POST",
      path: "/api/campaigns",
      body: { ...campaignBody([SUB]), requireApproval: false },
      headers: ALICE,
    });
    expect(second.status, second.text).toBe(202);
    const again = StartedSchema.parse(second.json);
    expect(again.instanceId).toBe(first.instanceId);
    expect(again.campaignId).not.toBe(first.campaignId);
    expect(campaignInstanceIdOf({ kind: "managementGroup", managementGroupId: "mg-a" })).not.toBe(first.instanceId);
  });
});
