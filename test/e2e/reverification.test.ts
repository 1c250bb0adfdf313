/**
 * The re-verification's TCP 25 probe and leaked-subnet removal are the remediation's own (probeSmtp.ts,
 * temporarySubnet.ts): a throttled probe start is waited out, and a leaked subnet whose delete ARM lost is deleted
 * again. Started straight on the durable host (no audit store: the last run is unknown, so there are no stragglers).
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseWith } from "../../src/contracts/parse";
import { TEMP_SUBNET_PREFIX } from "../../src/contracts/options";
import { REVERIFY_SUBSCRIPTION } from "../../src/contracts/names";
import { ReverifySubscriptionOutput } from "../../src/contracts/durable/reverifySubscription";
import type { ScenarioInput } from "../../src/simulator";
import { startProductHost, type ProductHost } from "../support/productHost";
import { scenario, SUBSCRIPTION_ID, vm } from "./scenarios";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

const INSTANCE = "reverify-e2e";
const LEAKED = `${TEMP_SUBNET_PREFIX}leaked01`;

/** A canary started after the exemption took effect (TCP 25 reachable from it), and a VNet with a leaked subnet. */
function world(behaviour: ScenarioInput["behaviour"] = {}): ScenarioInput {
  return scenario({
    vms: [
      vm("canary-01", {
        networkWatcherAgent: true,
        tags: { "port25-canary": "true" },
        lastStartTime: "2026-03-02T10:00:00Z",
      }),
      vm("app-01"),
    ],
    vnets: [
      {
        name: "vnet-app",
        resourceGroup: "rg-app",
        addressPrefixes: ["10.0.0.0/16"],
        subnets: [
          { name: "default", addressPrefix: "10.0.0.0/24" },
          { name: LEAKED, addressPrefix: "10.0.9.0/29" },
        ],
      },
    ],
    behaviour,
  });
}

async function reverify(product: ProductHost): Promise<ReverifySubscriptionOutput> {
  product.host.startOrchestration(
    REVERIFY_SUBSCRIPTION,
    { subscriptionId: SUBSCRIPTION_ID, lastRunId: "run-none", probeHost: "smtp.contoso.example" },
    { instanceId: INSTANCE },
  );
  await product.run();
  const s = product.host.getStatus(INSTANCE);
  expect(s?.runtimeStatus, JSON.stringify(s?.failureDetails ?? null)).toBe("Completed");
  return parseWith(ReverifySubscriptionOutput, s?.output, "re-verification output");
}

describe("re-verification shares the remediation's probe and subnet removal", () => {
  it("waits out a throttled probe start and records the verdict with its probe counts", async () => {
    const product = await startProductHost({
      scenario: world({
        faults: [{ kind: "throttleStorm", match: { operation: "connectivityCheck" }, count: 2, retryAfterSeconds: 15 }],
      }),
    });
    open.push(product);
    const out = await reverify(product);
    expect(out.record.canaryProbe).toMatchObject({ result: "reachable", probesSent: 30, probesFailed: 0 });
    expect(out.record.canaryProbe?.connectionStatus).toMatch(/^(Reachable|Connected)$/);
    const checks = product.sim.requestLog().filter((e) => e.operation === "connectivityCheck");
    expect(checks.map((e) => e.status)).toEqual([429, 429, expect.any(Number)]);
  });

  it("deletes a leaked subnet again when the delete in flight at the start is lost", async () => {
    const product = await startProductHost({ scenario: world() });
    open.push(product);
    // A delete already under way (Deleting) that ARM will end Failed, leaving the subnet in place.
    product.sim.injectFault({ kind: "lroFailed", match: { operation: "deleteSubnet" }, count: 1 });
    const vnetId = product.sim.snapshot().vnets[0]?.id ?? "";
    await product.root.gateway.beginDeleteSubnet(vnetId, LEAKED);
    const out = await reverify(product);
    expect(out.record.leakedSubnets.removed).toEqual([`${vnetId}/subnets/${LEAKED}`]);
    expect(out.record.leakedSubnets.failed).toEqual([]);
    expect(product.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).toEqual(["default"]);
    const deletes = product.sim
      .requestLog()
      .filter((e) => e.method === "DELETE" && e.path.endsWith(`/subnets/${LEAKED}`));
    expect(deletes.length).toBeGreaterThanOrEqual(2);
  });
});
