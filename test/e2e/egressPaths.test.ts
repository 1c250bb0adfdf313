/**
 * Egress paths end to end: the exemption covers only traffic routed directly to the internet, so the run proves each
 * path apart. scenarios/hub-spoke.json: a direct subnet, a subnet whose default route goes to a firewall in a hub of
 * another (non-exempt) subscription, and a forced-tunnel subnet.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ScenarioInput } from "../../src/simulator";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { scenario, START } from "./scenarios";

const HUB_SUBSCRIPTION = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f";

function hubSpoke(change: (s: ScenarioInput) => ScenarioInput = (s) => s): ScenarioInput {
  const raw = JSON.parse(readFileSync(join(__dirname, "../../scenarios/hub-spoke.json"), "utf8")) as ScenarioInput;
  return change({ ...raw, behaviour: { ...raw.behaviour, startTime: START } });
}

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

describe("egress paths", () => {
  it("names every VM's path, proves each path with its own canary, and reports the hub's VMs cycled but blocked at the firewall", async () => {
    const { product, result } = await runRemediation({ scenario: hubSpoke() });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.status).toBe("completed");
    const vms = result.outcomes.filter((o) => o.kind === "vm");
    expect(vms.every((o) => o.egress !== undefined && o.outcome === "cycled")).toBe(true);
    const kindOf = (name: string) => vms.find((o) => o.name === name)?.egress?.kind;
    expect([kindOf("app-direct-02"), kindOf("app-hub-02"), kindOf("app-tunnel-02")]).toEqual([
      "internet",
      "virtualAppliance",
      "virtualNetworkGateway",
    ]);

    const paths = result.summary.canary?.paths ?? [];
    expect(paths.map((p) => [p.path.kind, p.result, p.canaryName])).toEqual([
      ["internet", "reachable", "app-direct-01"],
      ["virtualAppliance", "blockedAtHop", "app-hub-01"],
      ["virtualNetworkGateway", "blockedAtHop", "app-tunnel-01"],
    ]);
    const hub = paths[1];
    expect(hub?.resources).toEqual(["app-hub-01", "app-hub-02"]);
    expect(hub?.detail).toContain("exempted here, blocked at appliance 10.100.0.4 in VNet vnet-hub");
    expect(hub?.detail).toContain(HUB_SUBSCRIPTION);
    expect(result.summary.canary?.result).toBe("reachable");
    expect(result.summary.message).toContain("blocked at appliance 10.100.0.4");
  });

  it("lists route tables and NICs once for the subscription, not per VM", async () => {
    const { product } = await runRemediation({ scenario: hubSpoke() });
    open.push(product);
    const ops = product.sim.requestLog().map((e) => e.operation);
    expect(ops.filter((o) => o === "listRouteTables")).toHaveLength(1);
    expect(ops.filter((o) => o === "listNics")).toHaveLength(1);
  });

  it("halts as before when the direct path's canary cannot reach port 25, leaving the other paths' VMs untouched", async () => {
    const { product, result } = await runRemediation({
      scenario: hubSpoke((s) => ({ ...s, exemption: { exempted: false } })),
    });
    open.push(product);
    expect(result.summary.status).toBe("halted");
    expect(result.summary.canary?.paths?.map((p) => p.result)).toEqual(["unreachable"]);
    const untouched = result.outcomes.filter((o) => o.kind === "vm" && o.canary !== true);
    expect(untouched.every((o) => o.outcome === "skipped" && o.reasonCode === "haltedByCanary")).toBe(true);
  });

  it("says port 25 goes out through the hub when its firewall lets it", async () => {
    const { product, result } = await runRemediation({
      scenario: hubSpoke((s) => ({
        ...s,
        nextHops: (s.nextHops ?? []).map((h) => ({ ...h, port25: "open" as const })),
      })),
    });
    open.push(product);
    expect(result.summary.canary?.paths?.find((p) => p.path.kind === "virtualAppliance")?.result).toBe("reachable");
  });

  it("reads no route table or NIC when no subnet routes elsewhere, and calls every VM direct", async () => {
    const { product, result } = await runRemediation({ scenario: scenario() });
    open.push(product);
    const ops = product.sim.requestLog().map((e) => e.operation);
    expect(ops.filter((o) => o === "listRouteTables" || o === "listNics")).toEqual([]);
    expect(result.outcomes.filter((o) => o.kind === "vm").map((o) => o.egress?.key)).toEqual([
      "internet",
      "internet",
      "internet",
    ]);
    expect(result.summary.canary?.paths?.map((p) => p.result)).toEqual(["reachable"]);
  });

  it("confirms each canary's path from its NIC's effective routes, one read per path", async () => {
    const { product, result } = await runRemediation({ scenario: hubSpoke() });
    open.push(product);
    const paths = result.summary.canary?.paths ?? [];
    expect(paths.map((p) => [p.path.kind, p.path.basis, p.confirmation?.status])).toEqual([
      ["internet", "effectiveRoutes", "confirmed"],
      ["virtualAppliance", "effectiveRoutes", "confirmed"],
      ["virtualNetworkGateway", "effectiveRoutes", "confirmed"],
    ]);
    expect(paths[1]?.confirmation?.detail).toContain(
      "VirtualAppliance 10.100.0.4 (user route 0.0.0.0/0 default-via-hub-firewall)",
    );
    const reads = product.sim.requestLog().filter((e) => e.operation === "getEffectiveRouteTable");
    expect(reads.map((e) => e.path.split("/").slice(-2, -1)[0])).toEqual([
      "app-direct-01-nic",
      "app-hub-01-nic",
      "app-tunnel-01-nic",
    ]);
  });

  it("settles a spoke that uses the hub's gateways as force-tunnelled when the gateway advertises a default route", async () => {
    const { product, result } = await runRemediation({ scenario: hubSpoke(remoteGateways(true)) });
    open.push(product);
    const direct = result.outcomes.find((o) => o.name === "app-direct-02");
    expect(direct?.egress?.basis).toBe("possible");
    const verdict = result.summary.canary?.paths?.find((p) => p.resources.includes("app-direct-02"));
    expect([verdict?.path.kind, verdict?.path.basis, verdict?.confirmation?.status, verdict?.result]).toEqual([
      "virtualNetworkGateway",
      "effectiveRoutes",
      "confirmed",
      "blockedAtHop",
    ]);
    expect(verdict?.confirmation?.detail).toContain("force-tunnelled");
  });

  it("settles a spoke that uses the hub's gateways as direct when the gateway advertises no default route, and proves the exemption there", async () => {
    const { product, result } = await runRemediation({ scenario: hubSpoke(remoteGateways(false)) });
    open.push(product);
    const verdict = result.summary.canary?.paths?.find((p) => p.resources.includes("app-direct-02"));
    expect([
      verdict?.path.kind,
      verdict?.path.direct,
      verdict?.path.basis,
      verdict?.confirmation?.status,
      verdict?.result,
    ]).toEqual(["internet", true, "effectiveRoutes", "confirmed", "reachable"]);
    expect(result.summary.canary?.result).toBe("reachable");
  });

  it("keeps the computed path, says why, and goes on when the effective routes cannot be read", async () => {
    const { product, result } = await runRemediation({
      scenario: hubSpoke((s) => ({
        ...s,
        behaviour: {
          ...s.behaviour,
          faults: [{ kind: "lroFailed", code: "InternalServerError", match: { operation: "getEffectiveRouteTable" } }],
        },
      })),
    });
    open.push(product);
    expect(result.summary.status).toBe("completed");
    const paths = result.summary.canary?.paths ?? [];
    expect(paths.map((p) => [p.path.basis, p.confirmation?.status, p.result])).toEqual([
      ["routes", "unconfirmed", "reachable"],
      ["routes", "unconfirmed", "blockedAtHop"],
      ["routes", "unconfirmed", "blockedAtHop"],
    ]);
    expect(paths[0]?.confirmation?.detail).toContain("InternalServerError");
  });

  it("keeps the computed path and names the missing action when the role may not read effective routes (403)", async () => {
    const { product, result } = await runRemediation({
      scenario: hubSpoke((s) => ({
        ...s,
        behaviour: { ...s.behaviour, deniedOperations: ["getEffectiveRouteTable"] },
      })),
    });
    open.push(product);
    expect(result.summary.status).toBe("completed");
    const paths = result.summary.canary?.paths ?? [];
    expect(paths.map((p) => [p.path.kind, p.path.basis, p.confirmation?.status, p.result])).toEqual([
      ["internet", "routes", "unconfirmed", "reachable"],
      ["virtualAppliance", "routes", "unconfirmed", "blockedAtHop"],
      ["virtualNetworkGateway", "routes", "unconfirmed", "blockedAtHop"],
    ]);
    expect(paths[1]?.confirmation?.detail).toContain(
      "403 AuthorizationFailed; the role needs Microsoft.Network/networkInterfaces/effectiveRouteTable/action",
    );
    // A refusal is final: one request per path, not retried.
    expect(
      product.sim
        .requestLog()
        .filter((e) => e.operation === "getEffectiveRouteTable")
        .map((e) => e.status),
    ).toEqual([403, 403, 403]);
  });
});

/** The spoke's peering uses the hub's gateways; the gateway advertises a default route over BGP or not. */
function remoteGateways(advertisesDefaultRoute: boolean): (s: ScenarioInput) => ScenarioInput {
  return (s) => ({
    ...s,
    vnets: (s.vnets ?? []).map((v) => ({
      ...v,
      peerings: (v.peerings ?? []).map((p) => ({
        ...p,
        useRemoteGateways: true,
        remoteGateway: { port25: "blocked" as const, advertisesDefaultRoute },
      })),
    })),
  });
}
