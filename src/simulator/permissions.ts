/**
 * The app identity's effective permissions per resource group, as Permissions - List For Resource Group
 * (Microsoft.Authorization, api-version 2022-04-01) answers them: one entry per role the caller holds there, each
 * with its actions and notActions. A scenario sets them per group; a group it does not name grants every action
 * (`*`), so scenarios written before this behave as they did. Subnet writes and deletes are refused as ARM
 * refuses them when the caller lacks the action (403 AuthorizationFailed naming the action and scope).
 */
import { z } from "zod";
import { ArmHttpError } from "./armError";

/** One role's worth of the app identity's permissions at a resource group (several entries: several roles). */
export const PermissionGrantSchema = z
  .object({
    resourceGroup: z.string().min(1),
    actions: z.array(z.string().min(1)),
    notActions: z.array(z.string().min(1)).default([]),
  })
  .strict();
type PermissionGrant = z.output<typeof PermissionGrantSchema>;

/** The permission entries of a group (lower-case match), or one entry granting everything when none is set. */
export function permissionsOf(
  grants: readonly PermissionGrant[],
  resourceGroup: string,
): { actions: string[]; notActions: string[] }[] {
  const own = grants.filter((g) => g.resourceGroup.toLowerCase() === resourceGroup.toLowerCase());
  if (own.length === 0) return [{ actions: ["*"], notActions: [] }];
  return own.map((g) => ({ actions: [...g.actions], notActions: [...g.notActions] }));
}

/**
 * ARM's match of an action against a pattern: case-insensitive, `*` standing for any run of characters. Azure's side
 * of the rule, written apart from the product's reading of it (src/domain/subnetPermissions.ts) on purpose: shared,
 * a mistake in it would be made by the simulator too, and no test would see it.
 */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return re.test(action);
}

/** Allowed when one entry's actions match it and that entry's notActions do not (Learn "Understand Azure role definitions", NotActions). */
export function isAllowed(
  entries: readonly { actions: readonly string[]; notActions: readonly string[] }[],
  action: string,
): boolean {
  return entries.some(
    (e) => e.actions.some((a) => actionMatches(a, action)) && !e.notActions.some((n) => actionMatches(n, action)),
  );
}

/** Throws ARM's 403 when the group's permissions lack the action. */
export function authorize(
  grants: readonly PermissionGrant[],
  resourceGroup: string,
  action: string,
  scope: string,
): void {
  if (isAllowed(permissionsOf(grants, resourceGroup), action)) return;
  throw new ArmHttpError(
    403,
    "AuthorizationFailed",
    `The client does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}
