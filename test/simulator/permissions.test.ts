/**
 * The app identity's own permissions at a resource group (Permissions - List For Resource Group, 2022-04-01), as a
 * scenario sets them, and subnet writes refused as ARM refuses a caller without the action.
 */
import { afterEach, describe, expect, it } from "vitest";
import { NETWORK, connect, smallScenario, type Client } from "./helpers";
import { actionMatches, isAllowed } from "../../src/simulator/permissions";
import { parseConfig } from "../../src/config";
import { ArmClients, createArmConnection } from "../../src/azure/clients";
import { ArmGatewayImpl } from "../../src/azure/armGateway";
import { isAzureOperationError } from "../../src/errors";

const PERMISSIONS = "api-version=2022-04-01";

describe("permissions at a resource group", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  it("a group the scenario does not name answers one entry granting every action (shipped scenarios unchanged)", async () => {
    c = await connect(smallScenario());
    const r = await c.call(
      "GET",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Authorization/permissions?${PERMISSIONS}`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ value: [{ actions: ["*"], notActions: [], dataActions: [], notDataActions: [] }] });
  });

  it("answers the scenario's grants for the group, one entry per role, and refuses another api-version and an unknown group", async () => {
    c = await connect(
      smallScenario({
        permissions: [
          { resourceGroup: "rg-a", actions: ["Microsoft.Compute/*/read", "Microsoft.Network/virtualNetworks/read"] },
          {
            resourceGroup: "RG-A",
            actions: ["Microsoft.Network/*"],
            notActions: ["Microsoft.Network/virtualNetworks/subnets/delete"],
          },
        ],
      }),
    );
    const r = await c.call(
      "GET",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Authorization/permissions?${PERMISSIONS}`,
    );
    expect(r.body).toEqual({
      value: [
        {
          actions: ["Microsoft.Compute/*/read", "Microsoft.Network/virtualNetworks/read"],
          notActions: [],
          dataActions: [],
          notDataActions: [],
        },
        {
          actions: ["Microsoft.Network/*"],
          notActions: ["Microsoft.Network/virtualNetworks/subnets/delete"],
          dataActions: [],
          notDataActions: [],
        },
      ],
    });
    expect(
      (
        await c.call(
          "GET",
          `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Authorization/permissions?api-version=2020-05-01`,
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await c.call(
          "GET",
          `/subscriptions/${c.sub}/resourceGroups/rg-zz/providers/Microsoft.Authorization/permissions?${PERMISSIONS}`,
        )
      ).status,
    ).toBe(404);
  });

  it("refuses a subnet write in a group without subnets/write with 403 AuthorizationFailed naming the action; a delete the notActions exclude likewise", async () => {
    c = await connect(
      smallScenario({
        permissions: [
          {
            resourceGroup: "rg-a",
            actions: ["Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/subnets/delete"],
          },
        ],
      }),
    );
    const put = await c.call(
      "PUT",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/tmp?${NETWORK}`,
      { properties: { addressPrefix: "10.0.9.0/29" } },
    );
    expect(put.status).toBe(403);
    expect(put.body).toMatchObject({
      error: {
        code: "AuthorizationFailed",
        message: expect.stringContaining("'Microsoft.Network/virtualNetworks/subnets/write'") as unknown,
      },
    });
    const used = await c.call(
      "GET",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets?${NETWORK}`,
    );
    expect(JSON.stringify(used.body)).not.toContain('"tmp"');
  });

  it("a subnet write passes where the group grants it", async () => {
    c = await connect(
      smallScenario({
        permissions: [{ resourceGroup: "rg-a", actions: ["Microsoft.Network/virtualNetworks/subnets/*"] }],
      }),
    );
    const put = await c.call(
      "PUT",
      `/subscriptions/${c.sub}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/tmp?${NETWORK}`,
      { properties: { addressPrefix: "10.0.9.0/29" } },
    );
    expect([200, 201]).toContain(put.status);
  });
});

describe("the gateway's permission read against the simulator", () => {
  let c: Client;
  afterEach(() => c.sim.close());

  it("follows every page of the group's entries through the raw REST path, and a missing group fails with 404", async () => {
    const base = smallScenario({
      permissions: [
        { resourceGroup: "rg-a", actions: ["Microsoft.Compute/*"] },
        { resourceGroup: "rg-a", actions: ["Microsoft.Network/virtualNetworks/subnets/write"] },
        {
          resourceGroup: "rg-a",
          actions: ["Microsoft.Network/virtualNetworks/subnets/delete"],
          notActions: ["Microsoft.Network/virtualNetworks/subnets/write"],
        },
      ],
    });
    c = await connect({ ...base, behaviour: { ...base.behaviour, pageSize: 2 } });
    // The gateway configured as production configures it, pointed at the simulator with its token and CA.
    const config = parseConfig({ PORT25_ARM_ENDPOINT: c.sim.endpoint, PORT25_ARM_STATIC_TOKEN: c.sim.token });
    const gateway = new ArmGatewayImpl(
      new ArmClients(
        createArmConnection(config, {
          caPem: c.sim.caPem,
          retry: { maxRetries: 0, retryDelayInMs: 1, maxRetryDelayInMs: 1 },
        }),
      ),
    );
    expect(await gateway.listResourceGroupPermissions(c.sub, "rg-a")).toEqual([
      { actions: ["Microsoft.Compute/*"], notActions: [] },
      { actions: ["Microsoft.Network/virtualNetworks/subnets/write"], notActions: [] },
      {
        actions: ["Microsoft.Network/virtualNetworks/subnets/delete"],
        notActions: ["Microsoft.Network/virtualNetworks/subnets/write"],
      },
    ]);
    const pages = c.sim.requestLog().filter((e) => /\/permissions$/i.test(e.path));
    expect(pages).toHaveLength(2);
    const e = await gateway.listResourceGroupPermissions(c.sub, "rg-missing").then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isAzureOperationError(e) ? e.statusCode : e).toBe(404);
  });
});

describe("action matching as ARM does it", () => {
  it("matches case-insensitively with * for any run of characters, and notActions take away within the same entry only", () => {
    expect(actionMatches("Microsoft.Network/*", "microsoft.network/virtualNetworks/subnets/write")).toBe(true);
    expect(actionMatches("*/read", "Microsoft.Network/virtualNetworks/subnets/write")).toBe(false);
    expect(
      actionMatches(
        "Microsoft.Network/virtualNetworks/subnets/write",
        "Microsoft.Network/virtualNetworks/subnets/writeX",
      ),
    ).toBe(false);
    const write = "Microsoft.Network/virtualNetworks/subnets/write";
    expect(isAllowed([{ actions: ["*"], notActions: ["Microsoft.Network/*/write"] }], write)).toBe(false);
    expect(
      isAllowed(
        [
          { actions: ["*"], notActions: ["Microsoft.Network/*/write"] },
          { actions: [write], notActions: [] },
        ],
        write,
      ),
    ).toBe(true);
  });
});
