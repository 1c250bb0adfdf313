/**
 * Management locks and Azure Policy as ARM enforces them, driven through the real SDK clients over HTTPS (and raw
 * calls for the lock listings, which no installed SDK serves).
 */
import { ComputeManagementClient } from "@azure/arm-compute";
import { NetworkManagementClient } from "@azure/arm-network";
import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import { arr, connect, pick, smallScenario, str, type Client } from "./helpers";
import type { ScenarioInput } from "../../src/simulator/index";

const LOCKS = "api-version=2020-05-01";

function clients(c: Client): { compute: ComputeManagementClient; network: NetworkManagementClient } {
  const credential: TokenCredential = {
    getToken: () => Promise.resolve({ token: c.sim.token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const options = {
    endpoint: c.sim.endpoint,
    tlsOptions: { ca: c.sim.caPem },
    retryOptions: { maxRetries: 0, retryDelayInMs: 10 },
  };
  return {
    compute: new ComputeManagementClient(credential, c.sub, options),
    network: new NetworkManagementClient(credential, c.sub, {
      ...options,
      $host: c.sim.endpoint,
      credentialScopes: ["https://management.azure.com/.default"],
    }),
  };
}

/** What the SDK threw: status, ARM's code and message, and the error body (the network client keeps it; Compute's gives the message only). */
async function refusal(
  p: Promise<unknown>,
): Promise<{ status: number | undefined; code: string | undefined; message: string; body: unknown }> {
  try {
    await p;
  } catch (e) {
    if (!isRestError(e)) throw e;
    return {
      status: e.statusCode,
      code: e.code,
      message: e.message,
      body: JSON.parse(e.response?.bodyAsText ?? "null") as unknown,
    };
  }
  throw new Error("the request was not refused");
}

function scenario(extra: Partial<ScenarioInput>): ScenarioInput {
  const base = smallScenario();
  return { ...base, ...extra };
}

describe("management locks", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  it("a ReadOnly lock on the resource group refuses start and deallocate with ScopeLocked, naming the locked scope", async () => {
    c = await connect(scenario({ locks: [{ name: "freeze", level: "ReadOnly", scope: { resourceGroup: "rg-a" } }] }));
    const { compute } = clients(c);
    const start = await refusal(compute.virtualMachines.beginStart("rg-a", "vm3"));
    expect([start.status, start.code]).toEqual([409, "ScopeLocked"]);
    expect(start.message).toBe(
      `The scope '/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm3' cannot perform write operation because following scope(s) are locked: '/subscriptions/${c.sub}/resourceGroups/rg-a'. Please remove the lock and try again.`,
    );
    expect((await refusal(compute.virtualMachines.beginDeallocate("rg-a", "vm1"))).code).toBe("ScopeLocked");
    // Reads go through, and nothing moved.
    expect((await compute.virtualMachines.instanceView("rg-a", "vm3")).statuses?.map((s) => s.code)).toContain(
      "PowerState/deallocated",
    );
    // A VM in another group is not under it.
    await compute.virtualMachines.beginStart("rg-b", "vm-noagent");
  });

  it("a ReadOnly lock on a scale set refuses its power actions; a CanNotDelete one does not", async () => {
    c = await connect(
      scenario({
        locks: [
          {
            name: "keep",
            level: "CanNotDelete",
            scope: { resourceGroup: "rg-b", type: "Microsoft.Compute/virtualMachineScaleSets", name: "ss1" },
          },
        ],
      }),
    );
    const { compute } = clients(c);
    await compute.virtualMachineScaleSets.beginStart("rg-b", "ss1", { vmInstanceIDs: { instanceIds: ["2"] } });
    c.sim.world().addLock({
      name: "freeze",
      level: "ReadOnly",
      scope: { resourceGroup: "rg-b", type: "Microsoft.Compute/virtualMachineScaleSets", name: "ss1" },
    });
    const off = await refusal(
      compute.virtualMachineScaleSets.beginDeallocate("rg-b", "ss1", { vmInstanceIDs: { instanceIds: ["0"] } }),
    );
    expect(off.code).toBe("ScopeLocked");
  });

  it("a CanNotDelete lock on the VNet's group refuses the subnet delete but lets a subnet be added", async () => {
    c = await connect(
      scenario({ locks: [{ name: "no-delete", level: "CanNotDelete", scope: { resourceGroup: "rg-a" } }] }),
    );
    const { network } = clients(c);
    const created = await network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "tmp", {
      addressPrefix: "10.0.200.0/29",
    });
    expect(created.getOperationState().status).not.toBe("failed");
    const del = await refusal(network.subnets.beginDelete("rg-a", "vnet1", "tmp"));
    expect([del.status, del.code]).toEqual([409, "ScopeLocked"]);
    expect(str(del.body, "error.message")).toMatch(
      /subnets\/tmp' cannot perform delete operation because following scope\(s\) are locked: '\/subscriptions\/[^']+\/resourceGroups\/rg-a'/,
    );
  });

  it("a ReadOnly lock on the VNet refuses the subnet PUT; removed during the run, the PUT goes through", async () => {
    const lock = {
      name: "vnet-ro",
      level: "ReadOnly" as const,
      scope: { resourceGroup: "rg-a", type: "Microsoft.Network/virtualNetworks", name: "vnet1" },
    };
    c = await connect(scenario({ locks: [lock] }));
    const { network } = clients(c);
    expect(
      (await refusal(network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "tmp", { addressPrefix: "10.0.200.0/29" })))
        .code,
    ).toBe("ScopeLocked");
    expect(c.sim.world().removeLock(lock)).toBe(true);
    await network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "tmp", { addressPrefix: "10.0.200.0/29" });
  });

  it("a lock added at run time on the subscription blocks every write below it", async () => {
    c = await connect(scenario({}));
    c.sim.world().addLock({ name: "sub-ro", level: "ReadOnly", scope: "subscription" });
    const { compute } = clients(c);
    const r = await refusal(compute.virtualMachines.beginPowerOff("rg-a", "vm1"));
    expect(r.message).toContain(`are locked: '/subscriptions/${c.sub}'`);
  });

  it("lists locks at the subscription (every lock), a resource group and a resource, in locks.json's shape", async () => {
    c = await connect(
      scenario({
        locks: [
          { name: "sub-nodelete", level: "CanNotDelete", scope: "subscription", notes: "platform" },
          { name: "rg-ro", level: "ReadOnly", scope: { resourceGroup: "rg-a" } },
          {
            name: "vm-ro",
            level: "ReadOnly",
            scope: { resourceGroup: "rg-a", type: "Microsoft.Compute/virtualMachines", name: "vm1" },
          },
        ],
      }),
    );
    const all = await c.call("GET", `/subscriptions/${c.sub}/providers/Microsoft.Authorization/locks?${LOCKS}`);
    expect(arr(all.body, "value").map((l) => pick(l, "name"))).toEqual(["sub-nodelete", "rg-ro", "vm-ro"]);
    expect(pick(all.body, "value.0")).toEqual({
      properties: { level: "CanNotDelete", notes: "platform" },
      id: `/subscriptions/${c.sub}/providers/Microsoft.Authorization/locks/sub-nodelete`,
      type: "Microsoft.Authorization/locks",
      name: "sub-nodelete",
    });
    const rg = await c.call(
      "GET",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Authorization/locks?${LOCKS}`,
    );
    expect(arr(rg.body, "value").map((l) => pick(l, "name"))).toEqual(["rg-ro", "vm-ro"]);
    const vm = await c.call(
      "GET",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Authorization/locks?${LOCKS}`,
    );
    expect(str(vm.body, "value.0.id")).toBe(
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Authorization/locks/vm-ro`,
    );
    const wrongVersion = await c.call(
      "GET",
      `/subscriptions/${c.sub}/providers/Microsoft.Authorization/locks?api-version=2025-05-01`,
    );
    expect(str(wrongVersion.body, "error.code")).toBe("InvalidApiVersionParameter");
  });
});

describe("Azure Policy: Deny-Subnet-Without-Nsg", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  const withNsg = (): ScenarioInput => {
    const base = smallScenario();
    const vnet = base.vnets?.[0];
    if (vnet === undefined) throw new Error("no VNet");
    return {
      ...base,
      vnets: [
        {
          ...vnet,
          subnets: [
            ...(vnet.subnets ?? []),
            {
              name: "app",
              addressPrefix: "10.0.5.0/24",
              networkSecurityGroup: "nsg-app",
              delegations: ["Microsoft.Web/serverFarms"],
            },
          ],
        },
      ],
      networkSecurityGroups: [{ name: "nsg-far", resourceGroup: "rg-b", location: "northeurope" }],
      policyAssignments: [{ scope: "subscription" }],
    };
  };

  it("a subnet PUT without an NSG is refused 403 RequestDisallowedByPolicy with the assignment in message and additionalInfo", async () => {
    c = await connect(withNsg());
    const { network } = clients(c);
    const r = await refusal(
      network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "tmp", { addressPrefix: "10.0.200.0/29" }),
    );
    expect([r.status, r.code]).toEqual([403, "RequestDisallowedByPolicy"]);
    expect(str(r.body, "error.target")).toBe("tmp");
    expect(str(r.body, "error.message")).toMatch(
      /^Resource 'tmp' was disallowed by policy\. Policy identifiers: '\[\{"policyAssignment":\{"name":"Subnets should have a Network Security Group","id":"\/subscriptions\/[^"]+\/providers\/Microsoft\.Authorization\/policyAssignments\/Deny-Subnet-Without-Nsg"\}/,
    );
    expect(pick(r.body, "error.additionalInfo.0.type")).toBe("PolicyViolation");
    expect(pick(r.body, "error.additionalInfo.0.info")).toMatchObject({
      policyAssignmentName: "Deny-Subnet-Without-Nsg",
      policyAssignmentDisplayName: "Subnets should have a Network Security Group",
      policyAssignmentId: `/subscriptions/${c.sub}/providers/Microsoft.Authorization/policyAssignments/Deny-Subnet-Without-Nsg`,
      policyDefinitionId:
        "/providers/Microsoft.Management/managementGroups/alz/providers/Microsoft.Authorization/policyDefinitions/Deny-Subnet-Without-Nsg",
      policyDefinitionEffect: "Deny",
    });
    expect(c.sim.snapshot().vnets[0]?.subnets.map((s) => s.name)).not.toContain("tmp");
  });

  it("the same PUT carrying an existing NSG is accepted and the subnet shows it; an unknown or far NSG is refused", async () => {
    c = await connect(withNsg());
    const { network } = clients(c);
    const nsgId = `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/networkSecurityGroups/nsg-app`;
    const app = await network.subnets.get("rg-a", "vnet1", "app");
    expect(app.networkSecurityGroup?.id).toBe(nsgId);
    await network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "tmp", {
      addressPrefix: "10.0.200.0/29",
      networkSecurityGroup: { id: nsgId },
    });
    c.clock.advance(10);
    expect((await network.subnets.get("rg-a", "vnet1", "tmp")).networkSecurityGroup?.id).toBe(nsgId);
    const unknown = await refusal(
      network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "t2", {
        addressPrefix: "10.0.200.8/29",
        networkSecurityGroup: { id: `${nsgId}-gone` },
      }),
    );
    expect([unknown.status, unknown.code]).toEqual([400, "InvalidResourceReference"]);
    const far = `/subscriptions/${c.sub}/resourceGroups/rg-b/providers/Microsoft.Network/networkSecurityGroups/nsg-far`;
    expect(
      (
        await refusal(
          network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "t3", {
            addressPrefix: "10.0.200.16/29",
            networkSecurityGroup: { id: far },
          }),
        )
      ).code,
    ).toBe("InvalidResourceReference");
  });

  it("Audit lets the PUT through, an excluded name passes, and an assignment on another group does not apply", async () => {
    c = await connect({
      ...withNsg(),
      policyAssignments: [
        { scope: "subscription", effect: "Audit" },
        { name: "rg-b-deny", scope: { resourceGroup: "rg-b" } },
      ],
    });
    const { network } = clients(c);
    await network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "tmp", { addressPrefix: "10.0.200.0/29" });
    c.clock.advance(10);
    c.sim.world().addPolicyAssignment({ scope: { resourceGroup: "rg-a" } });
    expect(
      (await refusal(network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "t2", { addressPrefix: "10.0.200.8/29" })))
        .code,
    ).toBe("RequestDisallowedByPolicy");
    await network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "GatewaySubnet", { addressPrefix: "10.0.200.16/29" });
    c.clock.advance(10);
    expect(c.sim.world().removePolicyAssignment({ scope: { resourceGroup: "rg-a" } })).toBe(true);
    await network.subnets.beginCreateOrUpdate("rg-a", "vnet1", "t2", { addressPrefix: "10.0.200.8/29" });
  });

  it("a scenario naming a lock or assignment on an undeclared group is refused", async () => {
    await expect(
      connect(scenario({ locks: [{ name: "x", level: "ReadOnly", scope: { resourceGroup: "nope" } }] })),
    ).rejects.toThrow(/locks\[0\]\.scope\.resourceGroup: resource group "nope" is not declared/);
    c = await connect(scenario({}));
  });
});
