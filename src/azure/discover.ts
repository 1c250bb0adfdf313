/** Discovery: everything the planner needs from one subscription, read through the gateway. */
import type { Discovery } from "../contracts/discovery";
import type { ArmGateway } from "./gateway";

export async function discoverSubscription(arm: ArmGateway, subscriptionId: string): Promise<Discovery> {
  // Sequential on purpose: discovery is a burst of list calls, and ARM's read bucket is shared with the run.
  const resourceGroups = await arm.listResourceGroups(subscriptionId);
  const vms = await arm.listVms(subscriptionId);
  const scaleSets = await arm.listScaleSets(subscriptionId);
  const vnets = await arm.listVnets(subscriptionId);
  const networkWatchers = await arm.listNetworkWatchers(subscriptionId);
  return { subscriptionId, resourceGroups, vms, scaleSets, vnets, networkWatchers };
}
