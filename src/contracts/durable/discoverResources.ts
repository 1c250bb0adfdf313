/** Activity contract: every resource group, VM, uniform scale set, VNet and Network Watcher of a subscription. */
import { z } from "zod";
import { defineActivity } from "../define";
import { DiscoverySchema } from "../discovery";
import { SubscriptionIdSchema } from "../ids";
import { RemediationOptionsSchema } from "../options";
import { ArmFailureSchema } from "./common";

const DiscoverResourcesInput = z.object({
  subscriptionId: SubscriptionIdSchema,
  /** The run's options: which VMs are canary candidates, and how many canaries are wanted (defaults when absent). */
  options: RemediationOptionsSchema.optional(),
  /**
   * `separately`: leave the VMs out (`vms` is empty): the orchestration lists them page by page (listVmPages)
   * and reads the canaries' extensions after (readCanaryAgents). `listed`: all in this one call.
   */
  vms: z.enum(["listed", "separately"]).default("listed"),
});
/** Throttling comes back as data so the orchestration can wait Retry-After on a durable timer and list again. */
const DiscoverResourcesOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    discovery: DiscoverySchema,
    /**
     * A random id of this listing. Stored in the run's history with it, it tells one run's listing from another's
     * even where their instance and run ids coincide, so what a run derives from it can be kept between replays.
     */
    listingId: z.string().min(1).optional(),
  }),
  ArmFailureSchema,
]);

export const discoverResourcesActivity = defineActivity(
  "discoverResources",
  DiscoverResourcesInput,
  DiscoverResourcesOutput,
);
