/**
 * Two local stacks with different app settings in one process, each with its HTTP and timer triggers: every trigger
 * answers from its own stack's composition root — its settings (sign-in, default probe host, auto-remediation), its
 * audit tables and its virtual clock — whichever stack registered its functions last. Nothing is read from or
 * written to process.env.
 */
import { describe, expect, it } from "vitest";
import { parseWith } from "../../src/contracts/parse";
import { ReverifySubscriptionInput, reverifyInstanceId } from "../../src/contracts/durable/reverifySubscription";
import type { ReverifySweep } from "../../src/functions/reverifySubscriptions";
import { RemediationInputSchema, remediationInstanceId } from "../../src/contracts/remediation";
import type { ScenarioInput } from "../../src/simulator";
import { apiHosts, principalHeaders, type Api } from "../support/api";
import { apiScenario, startBody, SUB, vm } from "./fixtures";

const hosts = apiHosts();

const SUB_B = "b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2";
const START_A = "2026-03-03T08:00:00Z";
const START_B = "2026-05-11T14:30:00Z";

/** A canary and one VM to cycle: the smallest run that ends `completed` and is due for re-verification. */
function small(subscriptionId: string, startTime: string): ScenarioInput {
  const base = apiScenario({
    vms: [vm("canary-01", { networkWatcherAgent: true, tags: { "port25-canary": "true" } }), vm("app-01")],
  });
  return {
    ...base,
    subscription: { ...base.subscription, id: subscriptionId },
    vnets: [],
    behaviour: { ...base.behaviour, startTime },
  };
}

const OPERATOR = principalHeaders("erin@contoso.example", ["Port25.Operator", "Port25.Auditor"]);

async function runsListed(h: Api): Promise<string[]> {
  const r = await h.call("listAuditRuns", { path: "/api/audit/runs", headers: OPERATOR });
  expect(r.status).toBe(200);
  return (r.json as { runs: { subscriptionId: string }[] }).runs.map((x) => x.subscriptionId).sort();
}

describe("two local stacks with triggers in one process", () => {
  it("each trigger — start, status, audit read and the re-verification timer — sees its own stack's settings, audit and clock", async () => {
    const envBefore = { ...process.env };
    // A signs callers in and probes its own relay; B takes function keys alone and re-remediates stragglers. B is
    // started last, so its functions were the last registered in the process.
    const a = await hosts.start({
      scenario: small(SUB, START_A),
      env: { PORT25_AUTH_ENABLED: "true", PORT25_PROBE_HOST: "relay-a.contoso.example" },
    });
    const b = await hosts.start({ scenario: small(SUB_B, START_B), env: { PORT25_AUTO_REMEDIATE: "true" } });

    // Start: A's sign-in rule refuses an unsigned caller that B accepts; each run carries its stack's default probe
    // host and is stamped by its stack's virtual clock.
    expect(
      (await a.call("startRemediation", { method: "POST", path: "/api/remediations", body: startBody() })).status,
    ).toBe(401);
    const startA = await a.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody(),
      headers: OPERATOR,
    });
    const startB = await b.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody({ subscriptionId: SUB_B }),
    });
    expect([startA.status, startB.status]).toEqual([202, 202]);
    const inputA = parseWith(
      RemediationInputSchema,
      a.product.host.getStatus(remediationInstanceId(SUB))?.input,
      "A's run",
    );
    const inputB = parseWith(
      RemediationInputSchema,
      b.product.host.getStatus(remediationInstanceId(SUB_B))?.input,
      "B's run",
    );
    expect([inputA.probeHost, inputB.probeHost]).toEqual(["relay-a.contoso.example", "smtp.office365.com"]);
    expect([inputA.requestedBy, inputB.requestedBy]).toEqual(["erin@contoso.example", "function-key-holder"]);
    expect([inputA.requestedAt, inputB.requestedAt]).toEqual([
      new Date(START_A).toISOString(),
      new Date(START_B).toISOString(),
    ]);
    expect([inputA.clock, inputB.clock]).toEqual(["simulated", "simulated"]);

    await Promise.all([a.product.run(), b.product.run()]);

    // Status: each stack answers for its own run, under its own sign-in rule.
    expect((await a.call("getRemediation", { path: `/api/remediations/${SUB}`, params: { id: SUB } })).status).toBe(
      401,
    );
    const statusA = await a.call("getRemediation", {
      path: `/api/remediations/${SUB}`,
      params: { id: SUB },
      headers: OPERATOR,
    });
    const statusB = await b.call("getRemediation", { path: `/api/remediations/${SUB_B}`, params: { id: SUB_B } });
    expect([statusA.json, statusB.json]).toMatchObject([
      { runtimeStatus: "Completed" },
      { runtimeStatus: "Completed" },
    ]);
    expect((await b.call("getRemediation", { path: `/api/remediations/${SUB}`, params: { id: SUB } })).status).toBe(
      404,
    );

    // Audit read: each stack's tables hold its own run only.
    expect(await runsListed(a)).toEqual([SUB]);
    expect(await runsListed(b)).toEqual([SUB_B]);

    // The timer: each sweep re-verifies its own subscription, with its own auto-remediation setting.
    const sweepA = (await a.product.host.invokeTimer("reverifySubscriptions")) as ReverifySweep;
    const sweepB = (await b.product.host.invokeTimer("reverifySubscriptions")) as ReverifySweep;
    expect(sweepA.started.map((s) => s.subscriptionId)).toEqual([SUB]);
    expect(sweepB.started.map((s) => s.subscriptionId)).toEqual([SUB_B]);
    const reverifyA = parseWith(
      ReverifySubscriptionInput,
      a.product.host.getStatus(reverifyInstanceId(SUB))?.input,
      "A's re-verification",
    );
    const reverifyB = parseWith(
      ReverifySubscriptionInput,
      b.product.host.getStatus(reverifyInstanceId(SUB_B))?.input,
      "B's re-verification",
    );
    expect([reverifyA.autoRemediate, reverifyB.autoRemediate]).toEqual([false, true]);
    expect([reverifyA.probeHost, reverifyB.probeHost]).toEqual(["relay-a.contoso.example", "smtp.office365.com"]);

    expect(process.env).toEqual(envBefore);
  });
});
