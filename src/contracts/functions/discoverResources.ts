/** Activity contract: every resource group, VM, uniform scale set, VNet and Network Watcher of a subscription. */
import { z } from "zod";
import { defineActivity } from "../define";
import { DiscoverySchema } from "../discovery";
import { SubscriptionIdSchema } from "../ids";

export const DiscoverResourcesInput = z.object({ subscriptionId: SubscriptionIdSchema });
export const DiscoverResourcesOutput = DiscoverySchema;

export const discoverResourcesActivity = defineActivity("discoverResources", DiscoverResourcesInput, DiscoverResourcesOutput);
