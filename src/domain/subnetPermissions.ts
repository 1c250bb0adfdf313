/**
 * Where the app may write subnets: the permissions discovery read at each resource group of a delegated-subnet VNet,
 * matched as Azure RBAC matches them (Learn "Understand Azure role definitions": actions with `*` wildcards,
 * case-insensitive; an entry's notActions take away from that entry only, and the entries of several roles add up).
 */
import type { Discovery, GroupPermissions, VnetInfo } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";
import { SUBNET_REFRESH_ACTIONS } from "../azure/armActions";

/** The name the deployment gives the subnet role (infra/app/subnet-role.bicep), when the app was not told it. */
export const SUBNET_ROLE_NAME_PATTERN = "Port25 Subnet Refresh (<environment>, <guid>)";
/** Who to grant it to, when the app was not told: the app's user-assigned identity (azd output PORT25_IDENTITY_PRINCIPAL_ID). */
export const SUBNET_ASSIGNEE_PLACEHOLDER = "<PORT25_IDENTITY_PRINCIPAL_ID>";

function matches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");
  return re.test(action);
}

export function allows(permissions: GroupPermissions["permissions"], action: string): boolean {
  return permissions.some((e) => e.actions.some((a) => matches(a, action)) && !e.notActions.some((n) => matches(n, action)));
}

/** The resource-group id of a VNet: `/subscriptions/{s}/resourceGroups/{g}` as its id spells it. */
export function resourceGroupIdOf(vnetId: string): string {
  const m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\//i.exec(vnetId);
  return m?.[1] ?? vnetId;
}

/** The resource groups whose permissions discovery reads: those holding a VNet with a delegated subnet, once each. */
export function groupsToCheck(vnets: readonly VnetInfo[]): string[] {
  const seen = new Map<string, string>();
  for (const v of vnets) {
    if (!v.subnets.some((s) => s.delegations.length > 0)) continue;
    const id = resourceGroupIdOf(v.id);
    if (!seen.has(resourceKey(id))) seen.set(resourceKey(id), id);
  }
  return [...seen.values()];
}

/**
 * What a VNet's group lacks for the subnet refresh: the missing actions (empty: allowed), or undefined when the
 * permissions were not read (older discoveries: no check, as before).
 */
export function missingSubnetActions(discovery: Pick<Discovery, "subnetPermissions">, vnetId: string): { missing: string[]; unreadable?: string } | undefined {
  if (discovery.subnetPermissions === undefined) return undefined;
  const key = resourceKey(resourceGroupIdOf(vnetId));
  const group = discovery.subnetPermissions.find((g) => resourceKey(g.resourceGroupId) === key);
  if (group === undefined) return { missing: [...SUBNET_REFRESH_ACTIONS], unreadable: "not read" };
  if (group.unreadable !== undefined) return { missing: [...SUBNET_REFRESH_ACTIONS], unreadable: group.unreadable };
  return { missing: SUBNET_REFRESH_ACTIONS.filter((a) => !allows(group.permissions, a)) };
}

/** The command that grants the subnet role at a group. */
export function grantCommand(discovery: Pick<Discovery, "subnetGrant">, resourceGroupId: string): string {
  const assignee = discovery.subnetGrant?.assignee ?? SUBNET_ASSIGNEE_PLACEHOLDER;
  const role = discovery.subnetGrant?.roleName ?? SUBNET_ROLE_NAME_PATTERN;
  return `az role assignment create --assignee ${assignee} --role "${role}" --scope ${resourceGroupId}`;
}
