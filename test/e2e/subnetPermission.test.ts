/**
 * Subnet rights only where subnets change, end to end on the durable host against the simulator: a VNet whose
 * resource group does not grant the app subnet write is planned "no permission" with the command that grants the
 * subnet role, and is never attempted; a group that grants it is refreshed as before.
 */
import { describe, expect, it } from "vitest";
import type { ScenarioInput } from "../../src/simulator";
import { fleet, scenario, SUBSCRIPTION_ID } from "./scenarios";
import { outcome, run, track } from "./checkedRuns";
import { startProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { ArmHttpError } from "../../src/simulator/armError";

const ASE = ["Microsoft.Web/hostingEnvironments"];

function twoVnets(parts: Partial<ScenarioInput>): ScenarioInput {
  return scenario({
    vms: fleet(2),
    ...parts,
    resourceGroups: [
      { name: "rg-app", location: "westeurope" },
      { name: "rg-net", location: "westeurope" },
      { name: "rg-spoke", location: "westeurope" },
      { name: "NetworkWatcherRG", location: "westeurope" },
    ],
    vnets: [
      {
        name: "vnet-granted",
        resourceGroup: "rg-net",
        addressPrefixes: ["10.20.0.0/16"],
        subnets: [{ name: "ase", addressPrefix: "10.20.0.0/24", delegations: ASE }],
      },
      {
        name: "vnet-ungranted",
        resourceGroup: "rg-spoke",
        addressPrefixes: ["10.30.0.0/16"],
        subnets: [{ name: "ase", addressPrefix: "10.30.0.0/24", delegations: ASE }],
      },
    ],
  });
}

describe("the subnet role at a VNet's resource group", () => {
  it("a VNet whose group lacks subnet write is skipped noSubnetPermission with the grant command, and never attempted", async () => {
    const { product, result } = await run({
      scenario: twoVnets({
        permissions: [
          // The target role only: reads and power, no subnet write or delete.
          {
            resourceGroup: "rg-spoke",
            actions: [
              "Microsoft.Network/virtualNetworks/read",
              "Microsoft.Network/virtualNetworks/subnets/read",
              "Microsoft.Compute/*",
            ],
          },
        ],
      }),
    });
    const skipped = outcome(result, "vnet-ungranted");
    expect(skipped).toMatchObject({ outcome: "skipped", reasonCode: "noSubnetPermission", actions: [] });
    expect(skipped.message).toContain(
      "lacks Microsoft.Network/virtualNetworks/subnets/write and Microsoft.Network/virtualNetworks/subnets/delete",
    );
    expect(skipped.message).toMatch(
      new RegExp(
        `az role assignment create --assignee \\S+ --role "[^"]+" --scope /subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-spoke`,
      ),
    );
    expect(outcome(result, "vnet-granted")).toMatchObject({ outcome: "cycled" });
    const log = product.sim.requestLog();
    expect(log.filter((e) => e.method === "PUT" && /virtualNetworks\/vnet-ungranted\/subnets\//i.test(e.path))).toEqual(
      [],
    );
    expect(
      log.filter((e) => e.method === "PUT" && /virtualNetworks\/vnet-granted\/subnets\//i.test(e.path)).length,
    ).toBeGreaterThan(0);
    // One permission read per group holding a delegated-subnet VNet (the run may discover again; never more per discovery).
    const reads = log
      .filter((e) => e.method === "GET" && /\/providers\/Microsoft\.Authorization\/permissions$/i.test(e.path))
      .map((e) => e.path.toLowerCase());
    expect(new Set(reads)).toEqual(
      new Set([
        `/subscriptions/${SUBSCRIPTION_ID}/resourcegroups/rg-net/providers/microsoft.authorization/permissions`,
        `/subscriptions/${SUBSCRIPTION_ID}/resourcegroups/rg-spoke/providers/microsoft.authorization/permissions`,
      ]),
    );
    expect(result.summary.byReason["noSubnetPermission"]).toBe(1);
  });
});

describe("the subnet role revoked after planning", () => {
  it("the refused add is final: skipped noSubnetPermission, sent once, nothing left behind", async () => {
    const product = track(await startProductHost({ scenario: twoVnets({}) }));
    const w = product.sim.world();
    // ARM authorizes before the network RP sees the request: the refusal ARM gives a caller without the action.
    w.beginPutSubnet = (v) => {
      throw new ArmHttpError(
        403,
        "AuthorizationFailed",
        `The client does not have authorization to perform action 'Microsoft.Network/virtualNetworks/subnets/write' over scope '${v.id}/subnets/x' or the scope is invalid.`,
      );
    };
    product.start();
    await product.run();
    const result = product.result();
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    for (const name of ["vnet-granted", "vnet-ungranted"]) {
      expect(outcome(result, name)).toMatchObject({
        outcome: "skipped",
        reasonCode: "noSubnetPermission",
        errorCode: "AuthorizationFailed",
      });
      expect(outcome(result, name).message).toContain("'Microsoft.Network/virtualNetworks/subnets/write'");
      expect(outcome(result, name).message).toContain("nothing was left behind");
    }
    const puts = product.sim.requestLog().filter((e) => e.method === "PUT" && /\/subnets\//i.test(e.path));
    expect(puts).toHaveLength(2);
  });
});
