import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARM_ACTIONS } from "../../src/contracts/armActions";
import { isAzureOperationError } from "../../src/errors";
import { gatewayFor, startFakeArm, type FakeArm, type FakeReply } from "../azure/fakeArm";
import { extractRoleActions } from "./roleCheck";
import {
  INFRA_DIR,
  type BicepFile,
  type Declared,
  type Node,
  allBicepFiles,
  callArguments,
  callee,
  descendants,
  loadBicep,
  modules,
  objectProperties,
  parseBicep,
  resources,
  stringLiterals,
  stringValue,
  variable,
  where,
} from "./bicep";

/** Built-in role definition ids as Azure documents them (the same GUID in every tenant). */
const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
  "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const files = allBicepFiles();
const rbac = loadBicep(path.join(INFRA_DIR, "app/rbac.bicep"));

function camel(displayName: string): string {
  const words = displayName.split(" ");
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1))).join("");
}

function roleAssignments(file: BicepFile): Declared[] {
  return resources(file).filter((r) => r.target.startsWith("Microsoft.Authorization/roleAssignments@"));
}

/** The built-in role GUIDs an assignment can grant: through a variable, or a loop over an array of variables. */
function grantedRoles(file: BicepFile, assignment: Declared): string[] {
  const properties = assignment.body ? objectProperties(assignment.body).get("properties") : undefined;
  const roleId = properties ? objectProperties(properties).get("roleDefinitionId") : undefined;
  const [, ref] = roleId ? callArguments(roleId) : [];
  if (!ref || ref.type !== "identifier") return [];
  const loop = assignment.node.namedChildren.find((c) => c.type === "for_statement");
  let refs: Node[] = [ref];
  if (loop?.childForFieldName("initializer")?.text === ref.text) {
    const source = loop.namedChildren[1];
    const array = source?.type === "identifier" ? variable(file, source.text) : source;
    refs = array?.namedChildren.filter((n) => n.type === "identifier") ?? [];
  }
  return refs.map((r) => stringValue(variable(file, r.text)) ?? `<${r.text}>`);
}

describe("role definition ids", () => {
  it("every GUID in the templates is a documented built-in role, held in a variable named after it", () => {
    const problems: string[] = [];
    for (const file of files) {
      for (const { value, node } of stringLiterals(file)) {
        if (!GUID.test(value)) continue;
        const role = BUILT_IN_ROLES[value.toLowerCase()];
        if (!role) {
          problems.push(`${file.name}:${where(node)} ${value} is not a documented built-in role id`);
          continue;
        }
        const decl = node.parent;
        const name = decl?.type === "variable_declaration" ? decl.namedChildren[0]?.text : undefined;
        if (name !== camel(role))
          problems.push(`${file.name}:${where(node)} ${role} is held in ${name ?? "no variable"}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("every role assignment is named guid(scope, principal, role) and targets a service principal", () => {
    const assignments = files.flatMap((f) => roleAssignments(f).map((a) => [f, a] as const));
    expect(assignments.length).toBeGreaterThanOrEqual(3);
    for (const [file, a] of assignments) {
      const body = a.body ? objectProperties(a.body) : undefined;
      const name = body?.get("name");
      const label = `${file.name} ${a.symbol}`;
      expect(name && callee(name), label).toBe("guid");
      const args = name ? callArguments(name).map((n) => n.text) : [];
      expect(args, label).toHaveLength(3);
      expect(args[1], label).toBe("principalId");
      const properties = body?.get("properties");
      const props = properties ? objectProperties(properties) : undefined;
      expect(props?.get("principalType")?.text, label).toBe("'ServicePrincipal'");
      const roleId = props?.get("roleDefinitionId");
      expect(roleId && callee(roleId), label).toBe("subscriptionResourceId");
      expect(roleId && stringValue(callArguments(roleId)[0]), label).toBe("Microsoft.Authorization/roleDefinitions");
      // The role in the name must be the role granted, or a re-run would collide with a different assignment.
      expect(args[2], label).toBe(roleId ? callArguments(roleId)[1]?.text : undefined);
    }
  });
});

describe("app identity's data-plane roles", () => {
  const byScope = new Map(
    roleAssignments(rbac).map((a) => [
      a.body ? objectProperties(a.body).get("scope")?.text : undefined,
      grantedRoles(rbac, a),
    ]),
  );

  it("holds blob owner, queue and table contributor on its storage account (host, task hub, audit)", () => {
    expect(byScope.get("storage")?.map((id) => BUILT_IN_ROLES[id])).toEqual([
      "Storage Blob Data Owner",
      "Storage Queue Data Contributor",
      "Storage Table Data Contributor",
    ]);
  });

  it("may publish telemetry to Application Insights, whose local (key) auth is off", () => {
    expect(byScope.get("applicationInsights")?.map((id) => BUILT_IN_ROLES[id])).toEqual([
      "Monitoring Metrics Publisher",
    ]);
  });

  it("has no role on its own resource group or subscription, only on those two resources", () => {
    expect([...byScope.keys()].sort()).toEqual(["applicationInsights", "storage"]);
    const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));
    expect(descendants(main.root, "resource_declaration").map((r) => r.namedChildren[1]?.text)).toEqual([
      "'Microsoft.Resources/resourceGroups@2024-03-01'",
    ]);
  });
});

/**
 * Least privilege across the whole of infra/: every role assignment any template makes, wherever it is, is one of
 * these and nothing else. A new assignment, a broader role, or a narrower role at a broader scope fails here.
 */
describe("least privilege: every role assignment in infra/", () => {
  const STORAGE_DATA_ROLES = [
    // The Functions host's documented role for identity-based AzureWebJobsStorage (leases, keys, the deployment
    // package the platform reads with the identity) and the Durable task hub's blobs.
    "Storage Blob Data Owner",
    "Storage Queue Data Contributor", // task hub queues
    "Storage Table Data Contributor", // task hub history and instances; the audit tables
  ];
  const ALLOWED: Readonly<Record<string, { scope: string; roles: readonly string[] }>> = {
    "app/rbac.bicep storageAssignments": { scope: "storage", roles: STORAGE_DATA_ROLES },
    "app/rbac.bicep telemetryAssignment": { scope: "applicationInsights", roles: ["Monitoring Metrics Publisher"] },
    // Reading the webhooks' secret through the app setting's Key Vault reference: that vault only, secrets only.
    "app/keyvault.bicep secretsUser": { scope: "vault", roles: ["Key Vault Secrets User"] },
    // The custom role, at a target subscription: its actions are exactly the gateway's table (remediationRole.test.ts).
    "app/target-access.bicep assignment": { scope: "(the deployment's subscription)", roles: ["<roleDefinitionName>"] },
    // The subnet role, at a listed resource group of delegated-subnet VNets only (subnet-access.bicep is resource-group scoped).
    "app/subnet-access.bicep assignment": { scope: "(the deployment's subscription)", roles: ["<roleDefinitionName>"] },
  };

  const found = files.flatMap((file) =>
    roleAssignments(file).map((a) => {
      const body = a.body ? objectProperties(a.body) : undefined;
      return {
        key: `${file.name} ${a.symbol}`,
        scope: body?.get("scope")?.text ?? "(the deployment's subscription)",
        roles: grantedRoles(file, a),
      };
    }),
  );

  it("are exactly the storage data roles on the app's own storage account, telemetry publishing, and the custom role at the targets", () => {
    expect(found.map((f) => f.key).sort()).toEqual(Object.keys(ALLOWED).sort());
    for (const f of found) {
      const allowed = ALLOWED[f.key];
      expect(f.scope, f.key).toBe(allowed?.scope);
      expect(
        f.roles.map((id) => BUILT_IN_ROLES[id] ?? id),
        f.key,
      ).toEqual(allowed?.roles);
    }
  });

  it("the storage assignments are on the account the deployment creates for the app, nothing wider", () => {
    const storage = resources(rbac).find((r) => r.symbol === "storage");
    expect(storage?.existing).toBe(true);
    expect(storage?.target).toMatch(/^Microsoft\.Storage\/storageAccounts@/);
    const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));
    const rbacModule = modules(main).find((m) => m.target === "app/rbac.bicep");
    const passed = rbacModule?.body ? objectProperties(rbacModule.body).get("params") : undefined;
    const args = passed ? objectProperties(passed) : new Map<string, Node>();
    expect(args.get("storageAccountName")?.text).toBe("storage.outputs.name");
    expect(args.get("principalId")?.text).toBe("identity.outputs.principalId");
    expect(rbacModule?.body && objectProperties(rbacModule.body).get("scope")?.text).toBe("rg");
  });

  it("the custom role is the only one assigned at a subscription, and only at the target subscriptions, to the app identity", () => {
    const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));
    const access = modules(main).find((m) => m.target === "app/target-access.bicep");
    const passed = access?.body ? objectProperties(access.body).get("params") : undefined;
    const args = passed ? objectProperties(passed) : new Map<string, Node>();
    expect(args.get("roleDefinitionName")?.text).toBe("remediationRole.outputs.roleDefinitionName");
    expect(args.get("principalId")?.text).toBe("identity.outputs.principalId");
    const loop = access?.node.namedChildren.find((c) => c.type === "for_statement");
    expect(loop?.namedChildren[1]?.text).toBe("targetSubscriptionIds");
    // Nothing in the templates assigns a role to the hosting subscription or the resource group.
    const hostingScoped = found.filter(
      (f) =>
        !["app/target-access.bicep assignment", "app/subnet-access.bicep assignment"].includes(f.key) &&
        !["storage", "applicationInsights", "vault"].includes(f.scope),
    );
    expect(hostingScoped).toEqual([]);
  });

  it("the subnet role is assigned only at the listed resource groups, each at its own group, to the app identity", () => {
    const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));
    const access = modules(main).find((m) => m.target === "app/subnet-access.bicep");
    const body = access?.body ? objectProperties(access.body) : new Map<string, Node>();
    const passed = body.get("params");
    const args = passed ? objectProperties(passed) : new Map<string, Node>();
    expect(args.get("roleDefinitionName")?.text).toBe("subnetRole.outputs.roleDefinitionName");
    expect(args.get("principalId")?.text).toBe("identity.outputs.principalId");
    const loop = access?.node.namedChildren.find((c) => c.type === "for_statement");
    expect(loop?.namedChildren[1]?.text).toBe("subnetResourceGroupIds");
    // Deployed at the group the id names (subscription segment 2, group segment 4), never at a subscription.
    expect(body.get("scope")?.text).toBe(
      "resourceGroup(split(subnetResourceGroupId, '/')[2], split(subnetResourceGroupId, '/')[4])",
    );
    expect(variable(main, "subnetResourceGroupIds")?.text).toBe(
      "empty(trim(subnetResourceGroupIdsJson)) ? [] : concat([], json(subnetResourceGroupIdsJson))",
    );
    const file = loadBicep(path.join(INFRA_DIR, "app/subnet-access.bicep"));
    expect(file.source).toMatch(/^targetScope = 'resourceGroup'$/m);
    const assignment = roleAssignments(file)[0];
    const name = assignment?.body ? objectProperties(assignment.body).get("name") : undefined;
    expect(name?.text).toBe("guid(resourceGroup().id, principalId, roleDefinitionName)");
    // The target role's assignment module is at the subscriptions and grants the target role, not the subnet one.
    const targets = modules(main).find((m) => m.target === "app/target-access.bicep");
    const targetParams = targets?.body ? objectProperties(targets.body).get("params") : undefined;
    expect(targetParams && objectProperties(targetParams).get("roleDefinitionName")?.text).toBe(
      "remediationRole.outputs.roleDefinitionName",
    );
  });

  it("the operator lists the subnet groups through the azd parameter PORT25_SUBNET_RESOURCE_GROUP_IDS", async () => {
    const { readFile } = await import("node:fs/promises");
    const parameters = JSON.parse(await readFile(path.join(INFRA_DIR, "main.parameters.json"), "utf8")) as {
      parameters: Record<string, { value: string }>;
    };
    expect(parameters.parameters["subnetResourceGroupIdsJson"]?.value).toBe("${PORT25_SUBNET_RESOURCE_GROUP_IDS=[]}");
  });

  it("the two custom roles are defined once each, by the remediation-role and subnet-role modules, and no other role definition exists", () => {
    const definitions = files.flatMap((f) =>
      resources(f)
        .filter((r) => r.target.startsWith("Microsoft.Authorization/roleDefinitions@") && !r.existing)
        .map((r) => `${f.name} ${r.symbol}`),
    );
    expect(definitions.sort()).toEqual(["app/remediation-role.bicep role", "app/subnet-role.bicep role"]);
  });

  it("fails on an assignment that is not on the list (the check is not vacuous)", () => {
    const broad = parseBicep(
      [
        "param principalId string",
        "var owner = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'",
        "resource a 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
        "  name: guid(subscription().id, principalId, owner)",
        "  properties: {",
        "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', owner)",
        "    principalId: principalId",
        "  }",
        "}",
      ].join("\n"),
      "app/broad.bicep",
    );
    const extra = roleAssignments(broad).map((a) => ({
      key: `${broad.name} ${a.symbol}`,
      roles: grantedRoles(broad, a),
    }));
    expect(extra).toEqual([{ key: "app/broad.bicep a", roles: ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635"] }]);
    expect(Object.keys(ALLOWED)).not.toContain(extra[0]?.key);
  });
});

describe("the custom role's management group", () => {
  it("takes at most one management group as an assignable scope, as Azure allows one per custom role", async () => {
    const { readFile } = await import("node:fs/promises");
    const role = await readFile(path.join(__dirname, "../../infra/app/remediation-role.bicep"), "utf8");
    expect(role).toMatch(/@maxLength\(1\)\s*\nparam assignableManagementGroupIds array/);
  });
});

/**
 * The two actions the locks and policy work added, each shown needed: an endpoint that authorizes as Resource Manager
 * does (the caller's actions against the request's, the linked NSG's join checked on a subnet write and refused with
 * `LinkedAuthorizationFailed`, as Learn's "Azure permissions for networking" and real answers have it) serves the
 * gateway; with the role's actions both calls pass, without either one its call is refused.
 */
describe("the role's lock read and NSG join are each needed", () => {
  // The app holds both roles where it refreshes a VNet's subnets: the target role's reads and the subnet role's writes.
  const roleActions = [
    ...extractRoleActions(loadBicep(path.join(INFRA_DIR, "app/remediation-role.bicep"))),
    ...extractRoleActions(loadBicep(path.join(INFRA_DIR, "app/subnet-role.bicep"))),
  ];
  const SUB = "00000000-0000-0000-0000-000000000001";
  const VNET = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1`;
  const NSG = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-app`;
  let fake: FakeArm;
  let granted: readonly string[] = [];
  afterAll(() => fake.close());

  const denied = (action: string, scope: string, code = "AuthorizationFailed"): FakeReply => ({
    status: 403,
    body: {
      error: {
        code,
        message: `The client does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid.`,
      },
    },
  });

  beforeAll(async () => {
    fake = await startFakeArm((req) => {
      if (req.method === "GET" && /\/providers\/Microsoft\.Authorization\/locks$/i.test(req.path)) {
        if (!granted.includes(ARM_ACTIONS.readLocks)) return denied(ARM_ACTIONS.readLocks, `/subscriptions/${SUB}`);
        return {
          status: 200,
          body: {
            value: [
              {
                id: `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Authorization/locks/keep`,
                name: "keep",
                type: "Microsoft.Authorization/locks",
                properties: { level: "CanNotDelete" },
              },
            ],
          },
        };
      }
      if (req.method === "PUT" && /\/subnets\/[^/]+$/i.test(req.path)) {
        if (!granted.includes(ARM_ACTIONS.writeSubnet)) return denied(ARM_ACTIONS.writeSubnet, req.path);
        const body = JSON.parse(req.body) as { properties?: { networkSecurityGroup?: { id?: string } } };
        const nsg = body.properties?.networkSecurityGroup?.id;
        if (nsg !== undefined && !granted.includes(ARM_ACTIONS.joinNetworkSecurityGroup))
          return denied(ARM_ACTIONS.joinNetworkSecurityGroup, nsg, "LinkedAuthorizationFailed");
        return {
          status: 201,
          body: {
            id: `${VNET}/subnets/tmp`,
            name: "tmp",
            properties: {
              addressPrefix: "10.0.9.0/29",
              provisioningState: "Succeeded",
              ...(nsg === undefined ? {} : { networkSecurityGroup: { id: nsg } }),
            },
          },
        };
      }
      return { status: 404, body: { error: { code: "NotFound", message: req.path } } };
    });
  });

  it("the roles grant both", () => {
    expect(roleActions).toEqual(expect.arrayContaining([ARM_ACTIONS.readLocks, ARM_ACTIONS.joinNetworkSecurityGroup]));
  });

  it("listing the subscription's locks passes with the role and is refused without Microsoft.Authorization/locks/read", async () => {
    const { gateway } = gatewayFor(fake);
    granted = roleActions;
    expect((await gateway.listLocks(SUB)).map((l) => [l.name, l.level, l.scope])).toEqual([
      ["keep", "CanNotDelete", `/subscriptions/${SUB}/resourceGroups/rg-net`],
    ]);
    granted = roleActions.filter((a) => a !== ARM_ACTIONS.readLocks);
    const e = await gateway.listLocks(SUB).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isAzureOperationError(e) ? [e.code, e.message] : e).toEqual([
      "AuthorizationFailed",
      expect.stringContaining(`needs ${ARM_ACTIONS.readLocks}`),
    ]);
  });

  it("creating the temporary subnet with the delegated subnet's NSG passes with the role and is refused without the join action", async () => {
    const { gateway } = gatewayFor(fake);
    granted = roleActions;
    await gateway.beginCreateSubnet(VNET, "port25-tmp-1", "10.0.9.0/29", NSG);
    const sent = fake.requests.filter((r) => r.method === "PUT").at(-1);
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({
      properties: { addressPrefix: "10.0.9.0/29", networkSecurityGroup: { id: NSG } },
    });
    granted = roleActions.filter((a) => a !== ARM_ACTIONS.joinNetworkSecurityGroup);
    const e = await gateway.beginCreateSubnet(VNET, "port25-tmp-1", "10.0.9.0/29", NSG).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isAzureOperationError(e) ? [e.code, e.statusCode] : e).toEqual(["LinkedAuthorizationFailed", 403]);
  });
});
