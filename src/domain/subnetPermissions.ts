/**
 * Where the app may write subnets: the permissions discovery read at each resource group of a delegated-subnet VNet,
 * matched as Azure RBAC matches them (Learn "Understand Azure role definitions": actions with `*` wildcards,
 * case-insensitive; an entry's notActions take away from that entry only, and the entries of several roles add up).
 */
import type { Discovery, GroupPermissions, VnetInfo } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";
import { ARM_ACTIONS, SUBNET_REFRESH_ACTIONS } from "../contracts/armActions";

/** The name the deployment gives the subnet role (infra/app/subnet-role.bicep), when the app was not told it. */
export const SUBNET_ROLE_NAME_PATTERN = "Port25 Subnet Refresh (<environment>, <guid>)";
/** Who to grant it to, when the app was not told: the app's user-assigned identity (azd output PORT25_IDENTITY_PRINCIPAL_ID). */
export const SUBNET_ASSIGNEE_PLACEHOLDER = "<PORT25_IDENTITY_PRINCIPAL_ID>";

function matches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return re.test(action);
}

export function allows(permissions: GroupPermissions["permissions"], action: string): boolean {
  return permissions.some(
    (e) => e.actions.some((a) => matches(a, action)) && !e.notActions.some((n) => matches(n, action)),
  );
}

/** The resource-group id of a VNet: `/subscriptions/{s}/resourceGroups/{g}` as its id spells it. */
function resourceGroupIdOf(vnetId: string): string {
  const m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\//i.exec(vnetId);
  return m?.[1] ?? vnetId;
}

/**
 * The resource groups whose permissions discovery reads, once each: those holding a VNet with a delegated subnet, and
 * those holding a delegated subnet's network security group (the temporary subnet carries it, and Azure checks the
 * join on the NSG: Learn "Azure permissions for networking").
 */
export function groupsToCheck(vnets: readonly VnetInfo[]): string[] {
  const seen = new Map<string, string>();
  const add = (id: string): void => {
    if (!seen.has(resourceKey(id))) seen.set(resourceKey(id), id);
  };
  for (const v of vnets) {
    const delegated = v.subnets.filter((s) => s.delegations.length > 0);
    if (delegated.length === 0) continue;
    add(resourceGroupIdOf(v.id));
    for (const s of delegated)
      if (s.networkSecurityGroupId !== undefined) add(resourceGroupIdOf(s.networkSecurityGroupId));
  }
  return [...seen.values()];
}

/** What one resource group lacks of the actions asked there. */
interface MissingGrant {
  readonly resourceGroupId: string;
  readonly missing: string[];
  /** Set when the group's permissions could not be read (every action asked counts as missing). */
  readonly unreadable?: string;
}

function lacking(
  discovery: { subnetPermissions: NonNullable<Discovery["subnetPermissions"]> },
  groupId: string,
  actions: readonly string[],
): MissingGrant | undefined {
  const key = resourceKey(groupId);
  const group = discovery.subnetPermissions.find((g) => resourceKey(g.resourceGroupId) === key);
  if (group === undefined) return { resourceGroupId: groupId, missing: [...actions], unreadable: "not read" };
  if (group.unreadable !== undefined)
    return { resourceGroupId: groupId, missing: [...actions], unreadable: group.unreadable };
  const missing = actions.filter((a) => !allows(group.permissions, a));
  return missing.length === 0 ? undefined : { resourceGroupId: groupId, missing };
}

/**
 * What the subnet refresh of a VNet lacks, per resource group: subnet write and delete at the VNet's group, and the
 * NSG join at the group of the NSG the temporary subnet carries (when it has one). Empty: allowed. Undefined when the
 * permissions were not read (older discoveries: no check, as before).
 */
export function missingSubnetGrants(
  discovery: Pick<Discovery, "subnetPermissions">,
  vnetId: string,
  nsgId?: string,
): MissingGrant[] | undefined {
  if (discovery.subnetPermissions === undefined) return undefined;
  const read = { subnetPermissions: discovery.subnetPermissions };
  const vnetGroup = resourceGroupIdOf(vnetId);
  const nsgGroup = nsgId === undefined ? undefined : resourceGroupIdOf(nsgId);
  const out: MissingGrant[] = [];
  if (nsgGroup !== undefined && resourceKey(nsgGroup) === resourceKey(vnetGroup)) {
    const here = lacking(read, vnetGroup, [...SUBNET_REFRESH_ACTIONS, ARM_ACTIONS.joinNetworkSecurityGroup]);
    if (here !== undefined) out.push(here);
    return out;
  }
  const here = lacking(read, vnetGroup, SUBNET_REFRESH_ACTIONS);
  if (here !== undefined) out.push(here);
  if (nsgGroup !== undefined) {
    const there = lacking(read, nsgGroup, [ARM_ACTIONS.joinNetworkSecurityGroup]);
    if (there !== undefined) out.push(there);
  }
  return out;
}

/** The command that grants the subnet role at a group. */
export function grantCommand(discovery: Pick<Discovery, "subnetGrant">, resourceGroupId: string): string {
  const assignee = discovery.subnetGrant?.assignee ?? SUBNET_ASSIGNEE_PLACEHOLDER;
  const role = discovery.subnetGrant?.roleName ?? SUBNET_ROLE_NAME_PATTERN;
  return `az role assignment create --assignee ${assignee} --role "${role}" --scope ${resourceGroupId}`;
}
