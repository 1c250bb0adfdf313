/**
 * What a first `azd up` depends on: parameters that work set or unset, a refused half-configured authentication,
 * a role name unique in the tenant, storage reached through the account's own endpoints, and a deployment package
 * with production dependencies only.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { deploymentManifest, EXCLUDED_DIST_DIRS, pruneNodeModules, shippedFiles } from "../../scripts/package";
import {
  INFRA_DIR,
  callArguments,
  callee,
  descendants,
  loadBicep,
  modules,
  objectProperties,
  params,
  resources,
  stringValue,
  variable,
  type Node,
} from "./bicep";

const ROOT = path.resolve(INFRA_DIR, "..");
const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));

function moduleArguments(target: string): Map<string, Node> {
  const mod = modules(main).find((m) => m.target === target);
  const p = mod?.body ? objectProperties(mod.body).get("params") : undefined;
  return p ? objectProperties(p) : new Map<string, Node>();
}

describe("target subscriptions", () => {
  it("reach the template as a JSON string, so that azd passes the value the same way set or unset", () => {
    const param = params(main).find((p) => p.name === "targetSubscriptionIdsJson");
    expect(param?.node.namedChildren.find((c) => c.type === "type")?.text).toBe("string");
    expect(param?.defaultValue && stringValue(param.defaultValue)).toBe("[]");
    const file = z
      .object({ parameters: z.record(z.string(), z.object({ value: z.string() })) })
      .parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "main.parameters.json"), "utf8")));
    expect(file.parameters.targetSubscriptionIdsJson?.value).toBe("${PORT25_TARGET_SUBSCRIPTION_IDS=[]}");
  });

  it("an empty value is no target, anything else must parse as a JSON array", () => {
    const ids = variable(main, "targetSubscriptionIds");
    expect(ids?.text).toBe("empty(trim(targetSubscriptionIdsJson)) ? [] : concat([], json(targetSubscriptionIdsJson))");
    expect(moduleArguments("app/remediation-role.bicep").get("assignableSubscriptionIds")?.text).toBe(
      "targetSubscriptionIds",
    );
  });

  it("target management groups reach the role's assignable scopes the same way", () => {
    const param = params(main).find((p) => p.name === "targetManagementGroupIdsJson");
    expect(param?.node.namedChildren.find((c) => c.type === "type")?.text).toBe("string");
    expect(param?.defaultValue && stringValue(param.defaultValue)).toBe("[]");
    const file = z
      .object({ parameters: z.record(z.string(), z.object({ value: z.string() })) })
      .parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "main.parameters.json"), "utf8")));
    expect(file.parameters.targetManagementGroupIdsJson?.value).toBe("${PORT25_TARGET_MANAGEMENT_GROUP_IDS=[]}");
    expect(variable(main, "targetManagementGroupIds")?.text).toBe(
      "empty(trim(targetManagementGroupIdsJson)) ? [] : concat([], json(targetManagementGroupIdsJson))",
    );
    expect(moduleArguments("app/remediation-role.bicep").get("assignableManagementGroupIds")?.text).toBe(
      "targetManagementGroupIds",
    );
  });
});

describe("App Service authentication", () => {
  it("is on by default, in the template and in what azd passes when the environment says nothing", () => {
    const param = params(main).find((p) => p.name === "authEnabled");
    expect(param?.defaultValue?.text).toBe("true");
    const file = z
      .object({ parameters: z.record(z.string(), z.object({ value: z.string() })) })
      .parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "main.parameters.json"), "utf8")));
    expect(file.parameters.authEnabled?.value).toBe("${PORT25_AUTH_ENABLED=true}");
    expect(file.parameters.authClientId?.value).toBe("${PORT25_AUTH_CLIENT_ID=}");
    // azd sets AZURE_PRINCIPAL_ID to the signed-in principal: the first operator.
    expect(file.parameters.deployerPrincipalId?.value).toBe("${AZURE_PRINCIPAL_ID=}");
  });

  it("creates the app registration when none is given, checks a given one, and passes the api module only their client id", () => {
    expect(variable(main, "createAppRegistration")?.text).toBe("authEnabled && empty(trim(authClientId))");
    expect(variable(main, "checkAppRegistration")?.text).toBe("authEnabled && !empty(trim(authClientId))");
    const create = modules(main).find((m) => m.target === "app/entra.bicep");
    const check = modules(main).find((m) => m.target === "app/entra-existing.bicep");
    const condition = (node: Node | undefined) =>
      node?.namedChildren.find((c) => c.type === "if_statement")?.namedChildren[0]?.text;
    expect(condition(create?.node)).toBe("(createAppRegistration)");
    expect(condition(check?.node)).toBe("(checkAppRegistration)");
    expect(moduleArguments("app/entra.bicep").get("operatorPrincipalId")?.text).toBe("trim(deployerPrincipalId)");
    expect(moduleArguments("app/entra-existing.bicep").get("clientId")?.text).toBe("trim(authClientId)");
    expect(variable(main, "registrationClientId")?.text).toBe(
      "createAppRegistration ? appRegistration!.outputs.clientId : checkAppRegistration ? existingAppRegistration!.outputs.clientId : ''",
    );
  });

  it("is refused at deployment when enabled without a working registration", () => {
    const passed = moduleArguments("app/api.bicep").get("authClientId");
    expect(passed?.text).toBe("checkedAuthClientId");
    const check = variable(main, "checkedAuthClientId");
    expect(check?.type).toBe("ternary_expression");
    const [condition, whenTrue, whenFalse] = check?.namedChildren ?? [];
    expect(condition?.text).toBe("authEnabled && empty(registrationClientId)");
    expect(whenTrue && callee(whenTrue)).toBe("fail");
    expect(whenTrue && stringValue(callArguments(whenTrue)[0])).toMatch(/PORT25_AUTH_CLIENT_ID.*PORT25_AUTH_ENABLED/);
    expect(whenFalse?.text).toBe("registrationClientId");
  });

  it("a given registration without both enabled app roles fails the deployment, naming the missing ones", () => {
    const existing = loadBicep(path.join(INFRA_DIR, "app/entra-existing.bicep"));
    expect(existing.extensions).toEqual(["microsoftGraphV1"]);
    const sp = resources(existing).find((r) => r.target === "Microsoft.Graph/servicePrincipals@v1.0");
    expect(sp?.existing).toBe(true);
    expect(sp?.body && objectProperties(sp.body).get("appId")?.text).toBe("clientId");
    expect(variable(existing, "requiredRoles")?.text).toBe(
      "map(loadJsonContent('../auth/app-roles.json'), r => r.value)",
    );
    expect(variable(existing, "missingRoles")?.text).toBe("filter(requiredRoles, r => !contains(definedRoles, r))");
    const output = descendants(existing.root, "output_declaration").find(
      (o) => o.namedChildren[0]?.text === "clientId",
    );
    const value = output?.namedChildren[output.namedChildren.length - 1];
    expect(value?.type).toBe("ternary_expression");
    expect(value?.namedChildren[0]?.text).toBe("empty(missingRoles)");
    const whenMissing = value?.namedChildren[2];
    expect(whenMissing && callee(whenMissing)).toBe("fail");
  });
});

describe("the created app registration (Microsoft Graph Bicep extension)", () => {
  const entra = loadBicep(path.join(INFRA_DIR, "app/entra.bicep"));
  const byType = (type: string) =>
    resources(entra).find((r) => r.target === `Microsoft.Graph/${type}@v1.0` && !r.existing);
  const props = (type: string) => {
    const r = byType(type);
    return r?.body ? objectProperties(r.body) : new Map<string, Node>();
  };
  const BicepConfig = z.object({ extensions: z.record(z.string(), z.string()) });

  it("imports the Graph v1.0 extension at its GA version, by the alias bicepconfig.json gives it", () => {
    expect(entra.extensions).toEqual(["microsoftGraphV1"]);
    const config = BicepConfig.parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "bicepconfig.json"), "utf8")));
    expect(config.extensions.microsoftGraphV1).toBe("br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0");
  });

  it("defines the app roles of infra/auth/app-roles.json, keyed by a unique name so a second azd up updates it", () => {
    const app = props("applications");
    expect(app.get("uniqueName")?.text).toBe("uniqueName");
    expect(stringValue(app.get("signInAudience"))).toBe("AzureADMyOrg");
    expect(app.get("appRoles")?.text).toBe("appRoles");
    expect(variable(entra, "appRoles")?.text).toBe("loadJsonContent('../auth/app-roles.json')");
    expect(app.get("api")?.text).toMatch(/requestedAccessTokenVersion: 2/);
    expect(moduleArguments("app/entra.bicep").get("uniqueName")?.text).toBe("'port25-${resourceToken}'");
  });

  it("issues tokens only to principals holding an app role, and makes the deploying principal an Operator", () => {
    const sp = props("servicePrincipals");
    expect(sp.get("appId")?.text).toBe("application.appId");
    expect(sp.get("appRoleAssignmentRequired")?.text).toBe("true");
    const assignment = byType("appRoleAssignedTo");
    expect(assignment?.node.namedChildren.find((c) => c.type === "if_statement")?.namedChildren[0]?.text).toBe(
      "(!empty(operatorPrincipalId))",
    );
    const a = props("appRoleAssignedTo");
    expect(a.get("appRoleId")?.text).toBe("operatorRole.id");
    expect(a.get("principalId")?.text).toBe("operatorPrincipalId");
    expect(a.get("resourceId")?.text).toBe("servicePrincipal.id");
    expect(variable(entra, "operatorRole")?.text).toBe("filter(appRoles, r => r.value == 'Port25.Operator')[0]");
    // One assignment, and only of the Operator role: the Auditor is someone else's decision.
    expect(resources(entra).filter((r) => r.target.startsWith("Microsoft.Graph/appRoleAssignedTo@"))).toHaveLength(1);
  });

  it("pre-authorizes only the Azure CLI, for the one user scope in infra/auth/api.json", () => {
    const Api = z.object({
      scope: z
        .object({
          id: z.uuid(),
          value: z.literal("user_impersonation"),
          type: z.literal("User"),
          isEnabled: z.literal(true),
        })
        .loose(),
      preAuthorizedClients: z.array(z.object({ name: z.string(), appId: z.uuid() })),
    });
    const api = Api.parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "auth/api.json"), "utf8")));
    expect(api.preAuthorizedClients).toEqual([{ name: "Azure CLI", appId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" }]);
  });
});

describe("remediation role", () => {
  const role = loadBicep(path.join(INFRA_DIR, "app/remediation-role.bicep"));
  const definition = resources(role).find((r) => r.target.startsWith("Microsoft.Authorization/roleDefinitions@"));
  const props = definition?.body ? objectProperties(definition.body) : new Map<string, Node>();

  it("has a display name unique in the tenant: it carries the definition's GUID, seeded by the hosting subscription", () => {
    const name = props.get("name");
    expect(name?.text).toBe("guid(subscription().id, 'port25-remediation', environmentName)");
    const properties = props.get("properties");
    const roleName = properties ? objectProperties(properties).get("roleName") : undefined;
    const interpolated = roleName ? descendants(roleName, "call_expression").map((c) => c.text) : [];
    expect(interpolated).toContain(name?.text);
    expect(roleName?.text).toContain("${environmentName}");
  });
});

describe("storage connection", () => {
  it("the storage module outputs every service endpoint the host uses", () => {
    const storage = loadBicep(path.join(INFRA_DIR, "app/storage.bicep"));
    for (const service of ["blob", "queue", "table"]) {
      expect(storage.source).toContain(
        `output ${service}Endpoint string = storage.properties.primaryEndpoints.${service}`,
      );
    }
  });
});

describe("deployment package", () => {
  const yaml = readFileSync(path.join(ROOT, "azure.yaml"), "utf8");

  it("azure.yaml requires azd 1.23.4 or later and ships deploy/, written by npm run package before packaging", () => {
    expect(yaml).toMatch(/^requiredVersions:\n {2}azd: ">= 1\.23\.4"$/m);
    expect(yaml).toMatch(/^ {4}dist: deploy$/m);
    expect(yaml).toMatch(/^ {4}remoteBuild: true$/m);
    expect(yaml).toMatch(
      /^ {4}hooks:\n {6}prepackage:\n {8}posix:\n {10}shell: sh\n {10}run: npm run package\n {8}windows:\n {10}shell: pwsh\n {10}run: npm run package$/m,
    );
    const pkg = z
      .object({ scripts: z.record(z.string(), z.string()) })
      .parse(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")));
    expect(pkg.scripts.package).toBe("tsx scripts/package.ts");
    expect(readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n")).toContain("deploy/");
  });

  it("ships a package.json with production dependencies only and no scripts", () => {
    const manifest = deploymentManifest(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(Object.keys(manifest)).not.toContain("devDependencies");
    expect(Object.keys(manifest)).not.toContain("scripts");
    expect(manifest.main).toBe("dist/{src/app.js,orchestrations/*.js}");
    expect(Object.keys(z.record(z.string(), z.string()).parse(manifest.dependencies))).toContain("durable-functions");
  });

  it("ships host.json and the built app, without tests, tools, the simulator, the local host or source maps", () => {
    const root = mkdtempSync(path.join(tmpdir(), "port25-package-"));
    const files = [
      "host.json",
      "package.json",
      "package-lock.json",
      "dist/src/functions/http.js",
      "dist/src/functions/http.js.map",
      "dist/activities/a.js",
      "dist/orchestrations/o.js",
      "dist/src/azure/gateway.js",
      ...EXCLUDED_DIST_DIRS.map((d) => `${d}/x.js`),
      "src/functions/http.ts",
      "scenarios/demo.json",
    ];
    for (const f of files) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), "");
    }
    expect(shippedFiles(root)).toEqual([
      "dist/activities/a.js",
      "dist/orchestrations/o.js",
      "dist/src/azure/gateway.js",
      "dist/src/functions/http.js",
      "host.json",
      "package-lock.json",
      "package.json",
    ]);
  });

  it("removes from dependencies only what Node never loads", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "port25-prune-"));
    const files = [
      "pkg/dist/commonjs/index.js",
      "pkg/dist/commonjs/index.js.map",
      "pkg/dist/commonjs/index.d.ts",
      "pkg/dist/browser/index.js",
      "pkg/dist/react-native/index.js",
      "pkg/lib/browser/keep.js",
    ];
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), "");
    }
    expect(pruneNodeModules(dir)).toBe(4);
    expect(readdirSync(path.join(dir, "pkg/dist"))).toEqual(["commonjs"]);
    expect(existsSync(path.join(dir, "pkg/dist/commonjs/index.js"))).toBe(true);
    expect(existsSync(path.join(dir, "pkg/lib/browser/keep.js"))).toBe(true);
  });

  it(".funcignore names files that exist and leaves out scenarios, scripts and Azurite's files, but never the app", () => {
    const patterns = readFileSync(path.join(ROOT, ".funcignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const ignored = readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n");
    // A literal file name that names nothing here is a typo (vitest.config.ts where the file is vitest.config.mts).
    const literalFiles = patterns.filter(
      (p) => !/[*?[]/.test(p) && !p.endsWith("/") && !p.startsWith(".") && p.includes("."),
    );
    expect(literalFiles.filter((p) => !existsSync(path.join(ROOT, p)) && !ignored.includes(p))).toEqual([]);
    expect(patterns).toEqual(
      expect.arrayContaining([
        "vitest.config.mts",
        "scenarios/",
        "scripts/",
        "__azurite_db_*",
        "__blobstorage__/",
        "__queuestorage__/",
        ".azurite/",
      ]),
    );
    expect(
      patterns.filter((p) =>
        ["node_modules", "node_modules/", "dist", "dist/", "host.json", "package.json"].includes(p),
      ),
    ).toEqual([]);
  });
});
