/** Discovery: everything the planner needs from one subscription, read through the gateway. */
import type { Discovery } from "../contracts/discovery";
import { RemediationOptionsSchema, type RemediationOptions } from "../contracts/options";
import { canaryReads } from "../domain/planResources";
import { isNetworkWatcherAgent } from "../domain/planCanary";
import { isAzureOperationError } from "../errors";
import { EXTRA_EXTENSION_READS, withAgents, withListedGroupNames } from "../domain/discovery";
import type { ArmGateway } from "./gateway";
import { needsNetworkReads } from "../domain/egress";
import { groupsToCheck } from "../domain/subnetPermissions";
import type { GroupPermissions, SubnetGrant } from "../contracts/discovery";

function grantOf(grant: SubnetGrant | undefined): Pick<Discovery, "subnetGrant"> {
  return grant === undefined || (grant.assignee === undefined && grant.roleName === undefined)
    ? {}
    : { subnetGrant: grant };
}

export { EXTRA_EXTENSION_READS, withAgents, withListedGroupNames };

/**
 * Reads the extensions of the canary candidates (canaryReads: tagged canaries first, then the preferred order, in
 * turn across egress paths) until enough have the Network Watcher agent, at most canaryCount + EXTRA_EXTENSION_READS
 * reads per path.
 * Every other VM keeps `networkWatcherAgent` undefined (not read), which the canary choice treats as absent.
 */
export async function readCanaryAgents(
  arm: Pick<ArmGateway, "listVmExtensions">,
  discovery: Discovery,
  options: RemediationOptions,
): Promise<Discovery> {
  const reads = canaryReads(discovery, options);
  if (reads.vmIds.length === 0) return discovery;
  return withAgents(discovery, await readAgents(arm, reads.vmIds, reads.wanted));
}

/**
 * Reads the extensions of `candidates` in order until `wanted` of them have the Network Watcher agent; what was
 * read, by VM id. A VM deleted since it was listed counts as without the agent.
 */
export async function readAgents(
  arm: Pick<ArmGateway, "listVmExtensions">,
  candidates: readonly string[],
  wanted: number,
): Promise<{ id: string; agent: boolean }[]> {
  const found: { id: string; agent: boolean }[] = [];
  let withAgent = 0;
  for (const id of candidates) {
    if (withAgent >= wanted) break;
    let agent: boolean;
    try {
      agent = (await arm.listVmExtensions(id)).some(isNetworkWatcherAgent);
    } catch (e) {
      // Deleted since it was listed: it cannot be a canary. Anything else (throttling above all) fails discovery.
      if (!isAzureOperationError(e) || e.statusCode !== 404) throw e;
      agent = false;
    }
    found.push({ id, agent });
    if (agent) withAgent++;
  }
  return found;
}

/**
 * The subscription's listings, with its VMs or without them. Sequential on purpose: discovery is a burst of list
 * calls, and ARM's read bucket is shared with the run.
 */
async function listSubscription(
  arm: ArmGateway,
  subscriptionId: string,
  withVms: boolean,
  subnetGrant: SubnetGrant | undefined,
): Promise<Discovery> {
  const resourceGroups = await arm.listResourceGroups(subscriptionId);
  const vms = withVms ? await arm.listVms(subscriptionId) : [];
  const scaleSets = await arm.listScaleSets(subscriptionId);
  const vnets = await arm.listVnets(subscriptionId);
  const networkWatchers = await arm.listNetworkWatchers(subscriptionId);
  const locks = await arm.listLocks(subscriptionId);
  const subnetPermissions = await readSubnetPermissions(arm, subscriptionId, vnets);
  return withListedGroupNames({
    subscriptionId,
    resourceGroups,
    vms,
    scaleSets,
    vnets,
    networkWatchers,
    locks,
    subnetPermissions,
    ...grantOf(subnetGrant),
    ...(await readEgress(arm, subscriptionId, vnets)),
  });
}

/**
 * Everything of the subscription but its VMs (resource groups, scale sets, VNets, Network Watchers): the VMs are
 * listed page by page (listVmPages) and their canaries' extensions read once they are in (readAgents).
 */
export async function discoverAllButVms(
  arm: ArmGateway,
  subscriptionId: string,
  subnetGrant?: SubnetGrant,
): Promise<Discovery> {
  return listSubscription(arm, subscriptionId, false, subnetGrant);
}

export async function discoverSubscription(
  arm: ArmGateway,
  subscriptionId: string,
  options: RemediationOptions = RemediationOptionsSchema.parse({}),
  subnetGrant?: SubnetGrant,
): Promise<Discovery> {
  return readCanaryAgents(arm, await listSubscription(arm, subscriptionId, true, subnetGrant), options);
}

/**
 * The route tables and NICs that decide the VMs' egress paths, each listed once for the subscription (never per VM),
 * and only when a subnet has a route table or NAT gateway or a VNet uses a remote gateway: otherwise every subnet
 * routes 0.0.0.0/0 to the Internet by its system routes, and the VNet listing already says so.
 */
async function readEgress(
  arm: Pick<ArmGateway, "listNics" | "listRouteTables">,
  subscriptionId: string,
  vnets: Discovery["vnets"],
): Promise<Pick<Discovery, "nics" | "routeTables">> {
  const need = needsNetworkReads(vnets);
  if (!need.nics) return {};
  const routeTables = need.routeTables ? await arm.listRouteTables(subscriptionId) : [];
  const nics = await arm.listNics(subscriptionId);
  return { nics, routeTables };
}

/**
 * The app identity's permissions at each resource group holding a VNet with a delegated subnet: one request per
 * group (Permissions - List For Resource Group), so that the plan skips a VNet whose group the subnet role was not
 * granted at instead of failing its subnet write. A refusal (401/403) marks the group unreadable, which the plan
 * treats as not writable; anything else (throttling above all) fails discovery as every read does.
 */
export async function readSubnetPermissions(
  arm: Pick<ArmGateway, "listResourceGroupPermissions">,
  subscriptionId: string,
  vnets: Discovery["vnets"],
): Promise<GroupPermissions[]> {
  const out: GroupPermissions[] = [];
  for (const id of groupsToCheck(vnets)) {
    const group = id.slice(id.lastIndexOf("/") + 1);
    try {
      out.push({ resourceGroupId: id, permissions: await arm.listResourceGroupPermissions(subscriptionId, group) });
    } catch (e) {
      if (!isAzureOperationError(e) || (e.statusCode !== 401 && e.statusCode !== 403)) throw e;
      out.push({ resourceGroupId: id, permissions: [], unreadable: `${e.code ?? "refused"}: ${e.message}` });
    }
  }
  return out;
}
