/** The custom role's actions, read from its Bicep, and their comparison with the gateway's table of ARM actions. */
import { type BicepFile, objectProperties, resources, stringValue, variable, where } from "./bicep";

/** The `actions` of the (single) role definition in the file, resolving a variable reference. */
export function extractRoleActions(file: BicepFile): string[] {
  const roles = resources(file).filter(
    (r) => r.target.startsWith("Microsoft.Authorization/roleDefinitions@") && !r.existing,
  );
  const role = roles[0];
  if (roles.length !== 1 || !role?.body)
    throw new Error(`${file.name}: expected exactly one role definition, found ${roles.length}`);
  const properties = objectProperties(role.body).get("properties");
  const permissions = properties?.type === "object" ? objectProperties(properties).get("permissions") : undefined;
  const permissionObjects =
    permissions?.type === "array" ? permissions.namedChildren.filter((n) => n.type === "object") : [];
  if (permissionObjects.length !== 1 || !permissionObjects[0]) {
    throw new Error(`${file.name}: expected one permissions entry in the role definition at ${where(role.node)}`);
  }
  let actions = objectProperties(permissionObjects[0]).get("actions");
  if (actions?.type === "identifier") actions = variable(file, actions.text);
  if (actions?.type !== "array") throw new Error(`${file.name}: the role's actions are not a literal array`);
  return actions.namedChildren
    .filter((n) => n.type !== "comment")
    .map((n) => {
      const value = stringValue(n);
      if (value === undefined)
        throw new Error(`${file.name}:${where(n)}: role action is not a plain string: ${n.text}`);
      return value;
    });
}

export interface RoleComparison {
  /** Gateway operations whose action the role lacks: the app would get 403 at run time. */
  readonly missingFromRole: readonly { readonly operation: string; readonly action: string }[];
  /** Role actions no gateway operation needs: privilege beyond what the code does. */
  readonly notUsedByGateway: readonly string[];
  readonly duplicatesInRole: readonly string[];
  /** Wildcards grant more than the listed operations, whatever else matches. */
  readonly wildcardsInRole: readonly string[];
  readonly matches: boolean;
}

/** Compares the role's actions with the gateway's table exactly (same strings, as sets). */
export function compareRoleWithGateway(
  roleActions: readonly string[],
  gatewayActions: Readonly<Record<string, string>>,
): RoleComparison {
  const role = new Set(roleActions);
  const gateway = new Set(Object.values(gatewayActions));
  const missingFromRole = Object.entries(gatewayActions)
    .filter(([, action]) => !role.has(action))
    .map(([operation, action]) => ({ operation, action }));
  const notUsedByGateway = [...role].filter((a) => !gateway.has(a));
  const duplicatesInRole = roleActions.filter((a, i) => roleActions.indexOf(a) !== i);
  const wildcardsInRole = roleActions.filter((a) => a.includes("*"));
  return {
    missingFromRole,
    notUsedByGateway,
    duplicatesInRole,
    wildcardsInRole,
    matches:
      missingFromRole.length === 0 &&
      notUsedByGateway.length === 0 &&
      duplicatesInRole.length === 0 &&
      wildcardsInRole.length === 0,
  };
}
