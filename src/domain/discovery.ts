/** Pure steps of discovery: joining the paged VM listings, the listed group names, the canaries' agents. */
import type { VmPowerStatus } from "../contracts/azure";
import type { Discovery, ResourceGroupInfo, VmInfo } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";

/** Extension reads beyond the canaries wanted: candidates without the agent are skipped, up to this many. */
export const EXTRA_EXTENSION_READS = 10;

/**
 * Resource-group names as the resource-group list spells them. Microsoft.Compute upper-cases the group in the ids
 * it returns (so a VM's group parsed from its id reads "RG-APP"); plans and reports show the group's own name.
 */
export function withListedGroupNames(discovery: Discovery): Discovery {
  const names = new Map(
    discovery.resourceGroups.map((rg: ResourceGroupInfo) => [rg.name.toLowerCase(), rg.name] as const),
  );
  const listed = <T extends { resourceGroup: string }>(item: T): T => {
    const name = names.get(item.resourceGroup.toLowerCase());
    return name === undefined || name === item.resourceGroup ? item : { ...item, resourceGroup: name };
  };
  return {
    ...discovery,
    vms: discovery.vms.map(listed),
    scaleSets: discovery.scaleSets.map(listed),
    vnets: discovery.vnets.map(listed),
    networkWatchers: discovery.networkWatchers.map(listed),
  };
}

/** The discovery with the agents read marked on their VMs; every other VM keeps `networkWatcherAgent` unread. */
export function withAgents(discovery: Discovery, agents: readonly { id: string; agent: boolean }[]): Discovery {
  if (agents.length === 0) return discovery;
  const found = new Map(agents.map((a) => [resourceKey(a.id), a.agent] as const));
  const vms = discovery.vms.map((vm: VmInfo) => {
    const agent = found.get(resourceKey(vm.id));
    return agent === undefined ? vm : { ...vm, networkWatcherAgent: agent };
  });
  return { ...discovery, vms };
}

/**
 * The VMs of the model listing with the power state of the `statusOnly` listing, joined by id. A VM missing from
 * the status listing keeps "unknown"; one only in the status listing (created between the two) is left out.
 */
export function joinVmListings(models: readonly VmInfo[], statuses: readonly VmPowerStatus[]): VmInfo[] {
  const byId = new Map(statuses.map((s) => [resourceKey(s.id), s] as const));
  return models.map((vm) => {
    const status = byId.get(resourceKey(vm.id));
    if (status === undefined) return vm;
    const provisioningState = vm.provisioningState === "Unknown" ? status.provisioningState : vm.provisioningState;
    return {
      ...vm,
      powerState: status.powerState,
      provisioningState,
      platformUpdateDomain: status.platformUpdateDomain,
    };
  });
}
