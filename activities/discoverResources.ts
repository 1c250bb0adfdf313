/** Activity: read every resource group, VM, uniform scale set, VNet and Network Watcher of the subscription. */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  discoverResourcesActivity,
  type DiscoverResourcesInput,
  type DiscoverResourcesOutput,
} from "../src/contracts/functions/discoverResources";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function discoverResources(
  input: z.output<typeof DiscoverResourcesInput>,
): Promise<z.input<typeof DiscoverResourcesOutput>> {
  const arm = gateway();
  const id = input.subscriptionId;
  try {
    // Sequential on purpose: discovery is a burst of list calls, and ARM's read bucket is shared with the run.
    const resourceGroups = await arm.listResourceGroups(id);
    const vms = await arm.listVms(id);
    const scaleSets = await arm.listScaleSets(id);
    const vnets = await arm.listVnets(id);
    const networkWatchers = await arm.listNetworkWatchers(id);
    return { status: "ok", discovery: { subscriptionId: id, resourceGroups, vms, scaleSets, vnets, networkWatchers }, listingId: randomUUID() };
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

registerActivity(discoverResourcesActivity, discoverResources);
