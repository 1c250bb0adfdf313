import path from "node:path";
import { describe, expect, it } from "vitest";
import { ARM_ACTIONS, ARM_ACTION_ROLE, roleActions } from "../../src/contracts/armActions";
import { INFRA_DIR, type Node, callee, loadBicep, objectProperties, parseBicep, resources, variable } from "./bicep";
import { compareRoleWithGateway, extractRoleActions } from "./roleCheck";

const roleFile = loadBicep(path.join(INFRA_DIR, "app/remediation-role.bicep"));
const subnetRoleFile = loadBicep(path.join(INFRA_DIR, "app/subnet-role.bicep"));
const TARGET_ACTIONS = roleActions("target") as Record<string, string>;

describe("remediation role vs the gateway's ARM actions", () => {
  it("grants exactly the gateway's target-role actions, no more, no fewer", () => {
    const comparison = compareRoleWithGateway(extractRoleActions(roleFile), TARGET_ACTIONS);
    expect(comparison).toMatchObject({
      missingFromRole: [],
      notUsedByGateway: [],
      duplicatesInRole: [],
      wildcardsInRole: [],
    });
    expect(comparison.matches).toBe(true);
  });

  it("the subnet role grants exactly the gateway's subnet-role actions: subnet write and delete and the NSG join", () => {
    const comparison = compareRoleWithGateway(extractRoleActions(subnetRoleFile), roleActions("subnet"));
    expect(comparison.matches).toBe(true);
    expect(extractRoleActions(subnetRoleFile)).toEqual([
      "Microsoft.Network/virtualNetworks/subnets/write",
      "Microsoft.Network/virtualNetworks/subnets/delete",
      "Microsoft.Network/networkSecurityGroups/join/action",
    ]);
  });

  it("every gateway action is in exactly one of the two roles, and the target role holds no subnet write, delete or join", () => {
    const target = extractRoleActions(roleFile);
    const subnet = extractRoleActions(subnetRoleFile);
    expect([...target, ...subnet].sort()).toEqual(Object.values(ARM_ACTIONS).sort());
    expect(target.filter((a) => subnet.includes(a))).toEqual([]);
    expect(target.filter((a) => /\/(write|delete)$|join\/action$/.test(a))).toEqual([]);
    expect(
      Object.entries(ARM_ACTION_ROLE)
        .filter(([, r]) => r === "subnet")
        .map(([k]) => k)
        .sort(),
    ).toEqual(["deleteSubnet", "joinNetworkSecurityGroup", "writeSubnet"]);
  });

  it("reports an action the gateway calls but the role lacks", () => {
    const gatewayWithExtra = { ...TARGET_ACTIONS, restartVm: "Microsoft.Compute/virtualMachines/restart/action" };
    const comparison = compareRoleWithGateway(extractRoleActions(roleFile), gatewayWithExtra);
    expect(comparison.matches).toBe(false);
    expect(comparison.missingFromRole).toEqual([
      { operation: "restartVm", action: "Microsoft.Compute/virtualMachines/restart/action" },
    ]);
    expect(comparison.notUsedByGateway).toEqual([]);
  });

  it("reports an action the role grants that no gateway operation needs", () => {
    const { startVm: _dropped, ...gatewayWithout } = TARGET_ACTIONS;
    const comparison = compareRoleWithGateway(extractRoleActions(roleFile), gatewayWithout);
    expect(comparison.matches).toBe(false);
    expect(comparison.notUsedByGateway).toEqual([ARM_ACTIONS.startVm]);
  });

  it("rejects wildcards and duplicates even when every action is covered", () => {
    const actions = [...Object.values(TARGET_ACTIONS), "Microsoft.Compute/*/read", ARM_ACTIONS.startVm];
    const comparison = compareRoleWithGateway(actions, { ...TARGET_ACTIONS, wide: "Microsoft.Compute/*/read" });
    expect(comparison.wildcardsInRole).toEqual(["Microsoft.Compute/*/read"]);
    expect(comparison.duplicatesInRole).toEqual([ARM_ACTIONS.startVm]);
    expect(comparison.matches).toBe(false);
  });

  it("reads actions written inline as well as through a variable", () => {
    const inline = parseBicep(
      [
        "targetScope = 'subscription'",
        "resource r 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {",
        "  name: guid('x')",
        "  properties: {",
        "    permissions: [",
        "      {",
        "        actions: [",
        "          'Microsoft.Network/virtualNetworks/read'",
        "          // why: comments do not count as actions",
        "          'Microsoft.Compute/virtualMachines/read'",
        "        ]",
        "      }",
        "    ]",
        "  }",
        "}",
      ].join("\n"),
    );
    expect(extractRoleActions(inline)).toEqual([
      "Microsoft.Network/virtualNetworks/read",
      "Microsoft.Compute/virtualMachines/read",
    ]);
  });

  it("refuses an action built by interpolation (it could not be compared)", () => {
    const dynamic = parseBicep(
      [
        "param rp string",
        "resource r 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {",
        "  name: guid(rp)",
        "  properties: {",
        "    permissions: [",
        "      {",
        "        actions: [",
        "          '${rp}/virtualMachines/read'",
        "        ]",
        "      }",
        "    ]",
        "  }",
        "}",
      ].join("\n"),
    );
    expect(() => extractRoleActions(dynamic)).toThrow(/not a plain string/);
  });
});

describe("remediation role definition", () => {
  const role = resources(roleFile).find((r) => r.target.startsWith("Microsoft.Authorization/roleDefinitions@"));
  const props = role?.body ? objectProperties(role.body) : new Map<string, Node>();

  it("is named by guid() and typed as a custom role", () => {
    const name = props.get("name");
    expect(name && callee(name)).toBe("guid");
    expect(name?.text).toContain("environmentName");
    const properties = props.get("properties");
    expect(properties && objectProperties(properties).get("type")?.text).toBe("'CustomRole'");
  });

  it("is assignable at every target subscription (and the one it is defined in) and every target management group", () => {
    const properties = props.get("properties");
    const scopes = properties ? objectProperties(properties).get("assignableScopes") : undefined;
    expect(scopes?.text).toBe("concat(subscriptionScopes, managementGroupScopes)");
    const subscriptionScopes = variable(roleFile, "subscriptionScopes");
    expect(subscriptionScopes?.type).toBe("for_statement");
    expect(subscriptionScopes?.text).toBe("[for id in scopeSubscriptionIds: '/subscriptions/${id}']");
    expect(variable(roleFile, "managementGroupScopes")?.text).toBe(
      "[for id in assignableManagementGroupIds: '/providers/Microsoft.Management/managementGroups/${id}']",
    );
    expect(roleFile.source).toMatch(/union\(\[\s*deploymentSubscriptionId\s*\], assignableSubscriptionIds\)/);
    expect(roleFile.source).toMatch(/param assignableManagementGroupIds array = \[\]/);
  });

  it("grants the route-table and NIC reads the egress paths need, and no write on either", () => {
    const actions = extractRoleActions(roleFile);
    expect(actions).toEqual(
      expect.arrayContaining(["Microsoft.Network/routeTables/read", "Microsoft.Network/networkInterfaces/read"]),
    );
    expect(actions.filter((a) => /^Microsoft\.Network\/(routeTables|networkInterfaces)\/[^/]+$/.test(a))).toEqual([
      "Microsoft.Network/routeTables/read",
      "Microsoft.Network/networkInterfaces/read",
    ]);
    expect([ARM_ACTIONS.readRouteTables, ARM_ACTIONS.readNetworkInterfaces]).toEqual([
      "Microsoft.Network/routeTables/read",
      "Microsoft.Network/networkInterfaces/read",
    ]);
  });

  it("grants the effective-routes action a canary's path is confirmed by, and no other NIC action", () => {
    const actions = extractRoleActions(roleFile);
    expect(actions).toContain("Microsoft.Network/networkInterfaces/effectiveRouteTable/action");
    expect(ARM_ACTIONS.readEffectiveRoutes).toBe("Microsoft.Network/networkInterfaces/effectiveRouteTable/action");
    expect(actions.filter((a) => a.startsWith("Microsoft.Network/networkInterfaces/"))).toEqual([
      "Microsoft.Network/networkInterfaces/read",
      "Microsoft.Network/networkInterfaces/effectiveRouteTable/action",
    ]);
    const { readEffectiveRoutes: _dropped, ...without } = ARM_ACTIONS;
    expect(compareRoleWithGateway(actions, without).notUsedByGateway).toEqual([
      "Microsoft.Network/networkInterfaces/effectiveRouteTable/action",
    ]);
  });

  it("grants the management-group descendants read a campaign over a management group needs", () => {
    expect(extractRoleActions(roleFile)).toContain("Microsoft.Management/managementGroups/descendants/read");
    expect(ARM_ACTIONS.readManagementGroupDescendants).toBe("Microsoft.Management/managementGroups/descendants/read");
  });
});

describe("subnet role definition", () => {
  const role = resources(subnetRoleFile).find((r) => r.target.startsWith("Microsoft.Authorization/roleDefinitions@"));
  const props = role?.body ? objectProperties(role.body) : new Map<string, Node>();

  it("is a custom role named by guid(), distinct from the target role's", () => {
    expect(props.get("name")?.text).toBe("roleGuid");
    expect(variable(subnetRoleFile, "roleGuid")?.text).toBe(
      "guid(subscription().id, 'port25-remediation-subnets', environmentName)",
    );
    const properties = props.get("properties");
    expect(properties && objectProperties(properties).get("type")?.text).toBe("'CustomRole'");
  });

  it("is assignable at the target subscriptions (to grant later at any group), the management group and the listed groups elsewhere", () => {
    const properties = props.get("properties");
    expect(properties && objectProperties(properties).get("assignableScopes")?.text).toBe(
      "concat(subscriptionScopes, managementGroupScopes, resourceGroupScopes)",
    );
    expect(variable(subnetRoleFile, "resourceGroupScopes")?.text).toBe(
      "filter(assignableResourceGroupIds, id => !contains(scopeSubscriptionIds, split(id, '/')[2]))",
    );
    expect(subnetRoleFile.source).toMatch(/@maxLength\(1\)\s*\nparam assignableManagementGroupIds array/);
  });
});
