/**
 * The scheduled re-verification, end to end: a run completes over HTTP, the subscription changes afterwards, and the
 * timer trigger (through the real durable client) starts reverifySubscription, which reads the audit on Azurite.
 *
 * The simulator has no API to add a VM to a running world, so "afterwards" is a second simulator on the same
 * virtual clock whose scenario is the first one's state after the run (power states and last start times from its
 * snapshot) plus the change; the app settings are pointed at it, as if the subscription had moved on. The leaked
 * subnet is created through the real gateway (SDK over HTTPS) against that simulator.
 */
import { describe, expect, it } from "vitest";
import { startSimulator, type ScenarioInput, type SimulatorHandle } from "../../src/simulator";
import { parseWith } from "../../src/contracts/parse";
import { remediationInstanceId } from "../../src/contracts/remediation";
import { ReverifySubscriptionOutput, reverifyInstanceId } from "../../src/contracts/durable/reverifySubscription";
import type { ReverifySweep } from "../../src/functions/reverifySubscriptions";
import { TEMP_SUBNET_PREFIX } from "../../src/contracts/options";
import { type Api, apiHosts } from "../support/api";
import { APPROVED_AT, BEFORE_EXEMPTION, SUB, apiScenario, startBody, vm } from "./fixtures";

const hosts = apiHosts();

const LEAKED = `${TEMP_SUBNET_PREFIX}leaked01`;
const REVERIFY = reverifyInstanceId(SUB);

/**
 * A product host whose subscription has had one remediation run to completion. It is started on the virtual clock
 * rather than over HTTP (the starter stamps requestedAt with the wall clock, which would put it after every later
 * run here and upset the audit's "latest completed run"); starting over HTTP is covered by remediationApi.test.ts.
 */
async function afterOneRun(env: Record<string, string> = {}): Promise<{ h: Api; runId: string }> {
  const h = await hosts.start({ scenario: apiScenario(), env });
  const input = h.product.start();
  await h.product.run();
  expect(h.product.result().summary.status).toBe("completed");
  return { h, runId: input.runId };
}

type Stable = "running" | "stopped" | "deallocated";
const STABLE: readonly string[] = ["running", "stopped", "deallocated"];

/** The world after the run, changed by `change`, served by a new simulator the app is pointed at. */
async function moveOn(
  h: Api,
  change: (s: ScenarioInput & { vms: NonNullable<ScenarioInput["vms"]> }) => void,
): Promise<SimulatorHandle> {
  const snap = h.product.sim.snapshot();
  const scenario = structuredClone(h.product.scenario) as ScenarioInput & { vms: NonNullable<ScenarioInput["vms"]> };
  scenario.vms = scenario.vms.map((v) => {
    const now = snap.vms.find((s) => s.name === v.name && s.resourceGroup === v.resourceGroup);
    if (now === undefined || !STABLE.includes(now.powerState))
      throw new Error(`VM ${v.name} is not settled after the run`);
    return { ...v, power: now.powerState as Stable, lastStartTime: now.lastStartTime };
  });
  change(scenario);
  const sim = await startSimulator({ scenario, clock: h.product.host.clock, seed: 11 });
  hosts.track(sim);
  h.product.pointAt(sim);
  return sim;
}

/** A temporary subnet left behind, created through the product's own gateway (real SDK, HTTPS). */
async function leakSubnet(h: Api, sim: SimulatorHandle): Promise<string> {
  const vnet = sim.snapshot().vnets.find((v) => v.name === "vnet-app");
  if (vnet === undefined) throw new Error("vnet-app missing");
  await h.product.root.gateway.beginCreateSubnet(vnet.id, LEAKED, "10.20.9.0/29");
  h.product.host.clock.advanceBy(60_000);
  const created = sim
    .snapshot()
    .vnets.find((v) => v.name === "vnet-app")
    ?.subnets.find((s) => s.name === LEAKED);
  expect(created?.provisioningState).toBe("Succeeded");
  return `${vnet.id}/subnets/${LEAKED}`;
}

async function sweep(h: Api): Promise<ReverifySweep> {
  return (await h.product.host.invokeTimer("reverifySubscriptions")) as ReverifySweep;
}

function reverifyOutput(h: Api): ReverifySubscriptionOutput {
  const s = h.product.host.getStatus(REVERIFY);
  expect(s?.runtimeStatus, JSON.stringify(s?.failureDetails ?? null)).toBe("Completed");
  return parseWith(ReverifySubscriptionOutput, s?.output, "re-verification output");
}

function powerRequests(sim: SimulatorHandle): string[] {
  return sim
    .requestLog()
    .filter((e) => e.method === "POST" && /\/(powerOff|deallocate|start)$/.test(e.path))
    .map((e) => e.path);
}

describe("scheduled re-verification through the timer trigger", () => {
  it("finds a VM that appeared after the run and a leaked temporary subnet, removes the subnet and records it", async () => {
    const { h, runId } = await afterOneRun();
    const sim = await moveOn(h, (s) => {
      s.vms.push(vm("late-01", { lastStartTime: BEFORE_EXEMPTION })); // moved in, still on the old policy
      s.vms.push(vm("fresh-01", { lastStartTime: new Date(h.product.host.clock.now()).toISOString() })); // created since
    });
    const leakedId = await leakSubnet(h, sim);

    const swept = await sweep(h);
    expect(swept).toEqual({
      started: [{ subscriptionId: SUB, instanceId: REVERIFY, lastRunId: runId }],
      skipped: [],
      failed: [],
    });
    await h.product.run();

    const out = reverifyOutput(h);
    const late = sim.snapshot().vms.find((v) => v.name === "late-01");
    // Compute writes the group upper-cased in ids; the record names the group as the group list spells it.
    expect(late?.id).toContain("/resourceGroups/rg-app/");
    expect(out.record.stragglers).toEqual([
      {
        resourceId: late?.id.replace("/resourceGroups/rg-app/", "/resourceGroups/RG-APP/"),
        kind: "vm",
        name: "late-01",
        resourceGroup: "rg-app",
        reason: "createdAfterRun",
        since: new Date(BEFORE_EXEMPTION).toISOString(),
      },
    ]);
    expect(out.record.leakedSubnets).toEqual({ found: [leakedId], removed: [leakedId], failed: [] });
    expect(out.record).toMatchObject({
      subscriptionId: SUB,
      lastRunId: runId,
      categoryChanged: false,
      previousCategory: "exemptible",
      classification: { category: "exemptible" },
    });
    expect(out.record.canaryProbe).toMatchObject({
      result: "reachable",
      vmIds: [expect.stringMatching(/\/canary-01$/)],
    });
    expect(sim.requestLog().filter((e) => e.method === "POST" && /connectivityCheck/i.test(e.path))).toHaveLength(1);
    expect(out.record.autoRemediationRunId).toBeUndefined();
    expect(out.autoRemediation).toBeUndefined();

    // The simulator: the subnet is gone, and nothing was powered off or on.
    expect(
      sim
        .snapshot()
        .vnets.find((v) => v.name === "vnet-app")
        ?.subnets.map((s) => s.name),
    ).toEqual(["default", "ase"]);
    expect(
      sim
        .requestLog()
        .filter((e) => e.method === "DELETE")
        .map((e) => e.path),
    ).toEqual([expect.stringContaining(`/subnets/${LEAKED}`)]);
    expect(powerRequests(sim)).toEqual([]);

    // The audit on Azurite holds the same record.
    expect(out.recorded).toBe(true);
    const page = await h.audit.listReverifications(SUB);
    expect(page.records).toEqual([out.record]);
  });

  it("with auto-remediation on, remediates only the stragglers under the run's instance id, and the next check finds none", async () => {
    const { h } = await afterOneRun({ PORT25_AUTO_REMEDIATE: "true" });
    const sim = await moveOn(h, (s) => {
      s.vms.push(vm("late-01", { lastStartTime: BEFORE_EXEMPTION }));
    });
    await sweep(h);
    // While the stragglers' run is live it holds the subscription's remediation instance: a start over HTTP gets 409.
    for (let i = 0; i < 60 && h.product.host.getStatus(remediationInstanceId(SUB))?.runtimeStatus !== "Running"; i++) {
      await h.product.run(h.product.host.clock.now() + 30_000);
    }
    const meanwhile = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody(),
    });
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.json).toMatchObject({
      error: { code: "RunInProgress", details: { instanceId: remediationInstanceId(SUB) } },
    });
    await h.product.run();

    const out = reverifyOutput(h);
    const auto = out.autoRemediation;
    expect(auto).toMatchObject({ instanceId: remediationInstanceId(SUB), status: "completed" });
    expect(out.record.autoRemediationRunId).toBe(auto?.runId);

    const audited = await h.audit.getRun(auto?.runId ?? "");
    expect(audited?.run).toMatchObject({
      status: "completed",
      requestedBy: "system:reverification",
      requestedById: `system:reverification/${REVERIFY}`,
      attestation: { approvedAt: APPROVED_AT },
    });
    expect(audited?.run.options.onlyResourceIds).toEqual([expect.stringMatching(/\/late-01$/)]);
    const outcomes = Object.fromEntries((audited?.outcomes ?? []).map((o) => [o.name, o.reasonCode ?? o.outcome]));
    expect(outcomes).toEqual({
      "canary-01": "notSelected",
      "app-01": "notSelected",
      "app-02": "notSelected",
      "app-03": "notSelected",
      "old-01": "notSelected",
      "late-01": "cycled",
      "vnet-app": "notSelected",
    });
    expect(powerRequests(sim).every((p) => p.includes("/late-01/"))).toBe(true);
    expect(powerRequests(sim)).toHaveLength(3);
    expect(sim.snapshot().vms.every((v) => v.powerState === (v.name === "old-01" ? "deallocated" : "running"))).toBe(
      true,
    );

    // The stragglers' run is now the latest completed run: the next check compares against it and finds nothing.
    const next = await sweep(h);
    expect(next.started).toEqual([{ subscriptionId: SUB, instanceId: REVERIFY, lastRunId: auto?.runId }]);
    await h.product.run();
    const again = reverifyOutput(h);
    expect(again.record.stragglers).toEqual([]);
    expect(again.autoRemediation).toBeUndefined();
  });

  it("establishes starts from what Azure records (timeCreated, the audit, the Activity Log), and never auto-remediates an unknown start", async () => {
    const { h } = await afterOneRun({ PORT25_AUTO_REMEDIATE: "true" });
    const now = new Date(h.product.host.clock.now()).toISOString();
    const sim = await moveOn(h, (s) => {
      s.vms.push(vm("late-01", { lastStartTime: BEFORE_EXEMPTION })); // the log shows no start since the exemption
      s.vms.push(vm("ancient-01", { lastStartTime: "2025-10-01T08:00:00Z" })); // its last deallocation is past the log's 90 days
      s.vms.push(vm("new-01", { timeCreated: now, lastStartTime: now })); // created since the exemption
    });
    // ancient-01 is restarted from stopped after the exemption: a start the log cannot tell from one from deallocated.
    const ancient = sim.snapshot().vms.find((v) => v.name === "ancient-01")?.id ?? "";
    const arm = h.product.root.gateway;
    await arm.beginVmPowerOperation(ancient, "powerOff");
    h.product.host.clock.advanceBy(10 * 60_000);
    await arm.beginVmPowerOperation(ancient, "start");
    h.product.host.clock.advanceBy(10 * 60_000);
    expect(sim.snapshot().vms.find((v) => v.name === "ancient-01")?.powerState).toBe("running");
    const manual = sim.requestLog().length;

    await sweep(h);
    await h.product.run();
    const out = reverifyOutput(h);
    // The VMs the run cycled are not stragglers: the PowerState has no time on Azure, and none is needed.
    expect(out.record.stragglers.map((st) => [st.name, st.reason])).toEqual([
      ["ancient-01", "startUnknown"],
      ["late-01", "createdAfterRun"],
    ]);
    expect(out.record.stragglers[0]?.detail).toMatch(/past the Activity Log's window/);
    expect(out.record.warnings.join("\n")).toMatch(
      /1 running resource\(s\) whose start since the exemption cannot be established/,
    );
    expect(out.autoRemediation).toMatchObject({ status: "completed" });
    const audited = await h.audit.getRun(out.autoRemediation?.runId ?? "");
    expect(audited?.run.options.onlyResourceIds).toEqual([expect.stringMatching(/\/late-01$/)]);
    const cycledNow = powerRequests(sim).slice(2);
    expect(
      sim
        .requestLog()
        .slice(0, manual)
        .filter((e) => e.method === "POST" && /\/(powerOff|deallocate|start)$/.test(e.path)),
    ).toHaveLength(2);
    expect(cycledNow.length).toBeGreaterThan(0);
    expect(cycledNow.every((p) => p.includes("/late-01/"))).toBe(true);
  });

  it("flags a subscription that is no longer EA Dev/Test and holds auto-remediation back", async () => {
    const { h } = await afterOneRun({ PORT25_AUTO_REMEDIATE: "true" });
    const sim = await moveOn(h, (s) => {
      s.subscription = {
        ...s.subscription,
        quotaId: "PayAsYouGo_2014-09-01",
        billing: { agreementType: "MicrosoftOnlineServicesProgram", workloadType: "Production" },
      };
      s.vms.push(vm("late-01", { lastStartTime: BEFORE_EXEMPTION }));
      // Nobody tags a canary any more: the probe is skipped, and the record says so.
      s.vms = s.vms.map((v) => (v.name === "canary-01" ? { ...v, tags: {} } : v));
    });
    await sweep(h);
    await h.product.run();
    const out = reverifyOutput(h);
    expect(out.record.canaryProbe).toMatchObject({
      result: "skipped",
      vmIds: [],
      detail: expect.stringMatching(/^no canary configured/),
    });
    expect(sim.requestLog().filter((e) => /connectivityCheck/i.test(e.path))).toEqual([]);
    expect(out.record).toMatchObject({
      categoryChanged: true,
      previousCategory: "exemptible",
      classification: { category: "blockedNotExemptible" },
    });
    expect(out.record.warnings.join("\n")).toMatch(/port 25 may be blocked again/);
    expect(out.record.warnings.join("\n")).toMatch(/auto-remediation held back/);
    expect(out.record.stragglers.map((s) => s.name)).toEqual(["late-01"]);
    expect(out.autoRemediation).toBeUndefined();
    expect(powerRequests(sim)).toEqual([]);
  });

  it("skips a subscription while a remediation of it is live, and while its re-verification is live", async () => {
    const { h } = await afterOneRun();
    const waiting = await h.call("startRemediation", {
      method: "POST",
      path: "/api/remediations",
      body: startBody({ requireApproval: true }),
    });
    expect(waiting.status).toBe(202);
    await h.product.run(h.product.host.clock.now() + 5 * 60_000);
    expect(await sweep(h)).toEqual({
      started: [],
      skipped: [{ subscriptionId: SUB, reason: "remediationLive", instanceId: remediationInstanceId(SUB) }],
      failed: [],
    });
    expect(h.product.host.getStatus(REVERIFY)).toBeUndefined();

    const cancel = await h.call("cancelRemediation", {
      method: "POST",
      path: `/api/remediations/${remediationInstanceId(SUB)}/cancel`,
      params: { id: remediationInstanceId(SUB) },
    });
    expect(cancel.status).toBe(202);
    await h.product.run();
    expect((await sweep(h)).started).toHaveLength(1);
    // Not run yet: the re-verification is live, so a second tick leaves it alone.
    expect((await sweep(h)).skipped).toEqual([
      { subscriptionId: SUB, reason: "reverificationLive", instanceId: REVERIFY },
    ]);
  });
});
