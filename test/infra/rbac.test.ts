import path from "node:path";
import { describe, expect, it } from "vitest";
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
  objectProperties,
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
        if (name !== camel(role)) problems.push(`${file.name}:${where(node)} ${role} is held in ${name ?? "no variable"}`);
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
    roleAssignments(rbac).map((a) => [a.body ? objectProperties(a.body).get("scope")?.text : undefined, grantedRoles(rbac, a)]),
  );

  it("holds blob owner, queue and table contributor on its storage account (host, task hub, audit)", () => {
    expect(byScope.get("storage")?.map((id) => BUILT_IN_ROLES[id])).toEqual([
      "Storage Blob Data Owner",
      "Storage Queue Data Contributor",
      "Storage Table Data Contributor",
    ]);
  });

  it("may publish telemetry to Application Insights, whose local (key) auth is off", () => {
    expect(byScope.get("applicationInsights")?.map((id) => BUILT_IN_ROLES[id])).toEqual(["Monitoring Metrics Publisher"]);
  });

  it("has no role on its own resource group or subscription, only on those two resources", () => {
    expect([...byScope.keys()].sort()).toEqual(["applicationInsights", "storage"]);
    const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));
    expect(descendants(main.root, "resource_declaration").map((r) => r.namedChildren[1]?.text)).toEqual([
      "'Microsoft.Resources/resourceGroups@2024-03-01'",
    ]);
  });
});
