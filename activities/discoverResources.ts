/**
 * Activity: read every resource group, VM, uniform scale set, VNet and Network Watcher of the subscription, and the
 * extensions of the canary candidates (src/azure/discover.ts).
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import {
  discoverResourcesActivity,
  type DiscoverResourcesInput,
  type DiscoverResourcesOutput,
} from "../src/contracts/functions/discoverResources";
import { discoverSubscription } from "../src/azure/discover";
import { RemediationOptionsSchema } from "../src/contracts/options";
import { ensureError } from "../src/errors";
import { toArmFailure } from "./armFailure";
import { gateway } from "./deps";

export async function discoverResources(
  input: z.output<typeof DiscoverResourcesInput>,
): Promise<z.input<typeof DiscoverResourcesOutput>> {
  try {
    const options = input.options ?? RemediationOptionsSchema.parse({});
    const discovery = await discoverSubscription(gateway(), input.subscriptionId, options);
    return { status: "ok", discovery, listingId: randomUUID() };
  } catch (e) {
    return toArmFailure(ensureError(e));
  }
}

registerActivity(discoverResourcesActivity, discoverResources);
