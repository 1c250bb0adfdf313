/**
 * Activity: read every resource group, VM, uniform scale set, VNet and Network Watcher of the subscription, and the
 * extensions of the canary candidates (src/azure/discover.ts); or all but the VMs, which listVmPages reads.
 */
import { randomUUID } from "node:crypto";
import { bindActivity, type BoundActivity } from "./binding";
import { discoverResourcesActivity } from "../src/contracts/durable/discoverResources";
import { discoverAllButVms, discoverSubscription } from "../src/azure/discover";
import { RemediationOptionsSchema } from "../src/contracts/options";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function discoverResources({ gateway, subnetGrant }: ActivityDeps): BoundActivity {
  return bindActivity(discoverResourcesActivity, (input) =>
    callArm(gateway, async (arm) => {
      const options = input.options ?? RemediationOptionsSchema.parse({});
      const discovery =
        input.vms === "separately"
          ? await discoverAllButVms(arm, input.subscriptionId, subnetGrant)
          : await discoverSubscription(arm, input.subscriptionId, options, subnetGrant);
      return { status: "ok" as const, discovery, listingId: randomUUID() };
    }),
  );
}
