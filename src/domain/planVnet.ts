/** A VNet's plan: refresh its delegated subnets with a temporary subnet of its own, or a skip with the reason. */
import type { ResourceGroupInfo, VnetInfo } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";
import { type RemediationOptions, TAGS, TEMP_SUBNET_PREFIX } from "../contracts/options";
import type { PlanEntry } from "../contracts/plan";
import { allocateTemporarySubnet } from "./subnetAllocator";
import { hasSkipTag, describeOwner, skip, commonOf } from "./planRules";

/** FNV-1a, 32 bits: a short stable suffix for the temporary subnet's name. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

function temporarySubnetName(vnet: VnetInfo, prefix: string): string {
  const taken = new Set(vnet.subnets.map((s) => s.name.toLowerCase()));
  for (let attempt = 0; ; attempt++) {
    const name = `${TEMP_SUBNET_PREFIX}${shortHash(`${resourceKey(vnet.id)}|${prefix}|${attempt}`)}`;
    if (!taken.has(name.toLowerCase())) return name;
  }
}

export function planVnet(vnet: VnetInfo, rg: ResourceGroupInfo | undefined, options: RemediationOptions): PlanEntry {
  const common = commonOf(vnet, "vnet", rg);
  const delegated = vnet.subnets.filter((s) => s.delegations.length > 0).map((s) => s.name);
  const what = `VNet ${vnet.name}`;
  if (delegated.length === 0)
    return skip(common, "noDelegatedSubnet", `${what} has no delegated subnet; nothing to refresh`);
  const extra: Partial<PlanEntry> = { delegatedSubnets: delegated };
  if (hasSkipTag(vnet.tags)) return skip(common, "skipTag", `${what} is tagged ${TAGS.skip}=skip`, extra);
  if (rg?.managedBy !== undefined && rg.managedBy.trim() !== "") {
    const owner = describeOwner(rg.managedBy);
    return skip(
      common,
      "managedResourceGroup",
      `resource group ${vnet.resourceGroup} is managed by ${owner.description} (${rg.managedBy}); add and remove a temporary subnet through the owning service`,
      extra,
    );
  }
  if (!options.refreshDelegatedSubnets)
    return skip(
      common,
      "subnetRefreshDisabled",
      `${what} has delegated subnets (${delegated.join(", ")}) but refreshDelegatedSubnets is off; add and remove a temporary subnet manually`,
      extra,
    );
  const allocation = allocateTemporarySubnet(vnet);
  if ("reason" in allocation) return skip(common, allocation.reason, allocation.message, extra);
  // The temporary subnet carries the NSG of a delegated subnet it sits beside, so that a landing zone's
  // Deny-Subnet-Without-Nsg assignment lets it through (joining it needs networkSecurityGroups/join/action).
  const nsg = vnet.subnets.find(
    (s) => s.delegations.length > 0 && s.networkSecurityGroupId !== undefined,
  )?.networkSecurityGroupId;
  return {
    ...common,
    ...extra,
    action: "refreshSubnet",
    steps: [],
    canary: false,
    tempSubnetPrefix: allocation.prefix,
    tempSubnetName: temporarySubnetName(vnet, allocation.prefix),
    tempSubnetNetworkSecurityGroupId: nsg,
  };
}
