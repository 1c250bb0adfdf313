/** `port25 plan` names the VNets whose resource group lacks the subnet role, with the exact command that grants it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator";
import { smallScenario } from "../simulator/helpers";
import { runPort25 } from "../support/stdio";

const PRINCIPAL = "0f0e0d0c-0000-4000-8000-000000000001";
const ROLE = "Port25 Subnet Refresh (dev, 11111111-2222-4333-8444-555555555555)";

/** In-process: what plan prints is the behaviour, not the process. */
const port25 = runPort25;

describe("port25 plan: VNets without the subnet role", () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSimulator({
      scenario: smallScenario({ permissions: [{ resourceGroup: "rg-a", actions: ["*/read", "Microsoft.Compute/*"] }] }),
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("prints each such VNet and the az role assignment command for its group, and writes nothing", async () => {
    const r = await port25(
      ["plan", "--subscription", sim.subscriptionId, "--arm-endpoint", sim.endpoint, "--ca", sim.caFile],
      {
        PORT25_ARM_STATIC_TOKEN: sim.token,
        PORT25_IDENTITY_PRINCIPAL_ID: PRINCIPAL,
        PORT25_SUBNET_ROLE_NAME: ROLE,
      },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(
      "1 VNet with delegated subnets needs the subnet role at its resource group (never attempted without it):",
    );
    expect(r.stdout).toContain("rg-a/vnet1");
    expect(r.stdout).toContain(
      `az role assignment create --assignee ${PRINCIPAL} --role "${ROLE}" --scope /subscriptions/${sim.subscriptionId}/resourceGroups/rg-a`,
    );
    expect(r.stdout).toMatch(/noSubnetPermission\s+1/);
    expect(sim.requestLog().filter((e) => e.kind !== "read")).toEqual([]);
  });
});
