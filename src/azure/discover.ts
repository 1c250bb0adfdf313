/** Discovery: everything the planner needs from one subscription, read through the gateway. */
import type { Discovery, ResourceGroupInfo, VmInfo } from "../contracts/discovery";
import { resourceKey } from "../contracts/ids";
import { RemediationOptionsSchema, type RemediationOptions } from "../contracts/options";
import { canaryCandidates, isNetworkWatcherAgent } from "../domain/planResources";
import { isAzureOperationError } from "../errors";
import type { ArmGateway } from "./gateway";

/** Extension reads beyond the canaries wanted: candidates without the agent are skipped, up to this many. */
export const EXTRA_EXTENSION_READS = 10;

/**
 * Resource-group names as the resource-group list spells them. Microsoft.Compute upper-cases the group in the ids
 * it returns (so a VM's group parsed from its id reads "RG-APP"); plans and reports show the group's own name.
 */
export function withListedGroupNames(discovery: Discovery): Discovery {
  const names = new Map(discovery.resourceGroups.map((rg: ResourceGroupInfo) => [rg.name.toLowerCase(), rg.name] as const));
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

/**
 * Reads the extensions of the canary candidates (canaryCandidates: tagged canaries first, then the preferred order)
 * until `canaryCount` of them have the Network Watcher agent, at most canaryCount + EXTRA_EXTENSION_READS reads.
 * Every other VM keeps `networkWatcherAgent` undefined (not read), which the canary choice treats as absent.
 */
export async function readCanaryAgents(arm: Pick<ArmGateway, "listVmExtensions">, discovery: Discovery, options: RemediationOptions): Promise<Discovery> {
  const candidates = canaryCandidates(discovery, options);
  if (candidates.length === 0) return discovery;
  const found = new Map<string, boolean>();
  const maxReads = options.canaryCount + EXTRA_EXTENSION_READS;
  let withAgent = 0;
  for (const id of candidates) {
    if (found.size >= maxReads || withAgent >= options.canaryCount) break;
    let agent: boolean;
    try {
      agent = (await arm.listVmExtensions(id)).some(isNetworkWatcherAgent);
    } catch (e) {
      // Deleted since it was listed: it cannot be a canary. Anything else (throttling above all) fails discovery.
      if (!isAzureOperationError(e) || e.statusCode !== 404) throw e;
      agent = false;
    }
    found.set(resourceKey(id), agent);
    if (agent) withAgent++;
  }
  const vms = discovery.vms.map((vm: VmInfo) => {
    const agent = found.get(resourceKey(vm.id));
    return agent === undefined ? vm : { ...vm, networkWatcherAgent: agent };
  });
  return { ...discovery, vms };
}

export async function discoverSubscription(arm: ArmGateway, subscriptionId: string, options: RemediationOptions = RemediationOptionsSchema.parse({})): Promise<Discovery> {
  // Sequential on purpose: discovery is a burst of list calls, and ARM's read bucket is shared with the run.
  const resourceGroups = await arm.listResourceGroups(subscriptionId);
  const vms = await arm.listVms(subscriptionId);
  const scaleSets = await arm.listScaleSets(subscriptionId);
  const vnets = await arm.listVnets(subscriptionId);
  const networkWatchers = await arm.listNetworkWatchers(subscriptionId);
  const listed = withListedGroupNames({ subscriptionId, resourceGroups, vms, scaleSets, vnets, networkWatchers });
  return readCanaryAgents(arm, listed, options);
}
