/**
 * Activity contract: a few pages of the subscription's VM listing, from its start or from where the last call
 * stopped. A 429 ends the call with what was read, where to go on (`nextLink`) and ARM's Retry-After, so the
 * orchestration waits on a durable timer and continues from there, never from the first page again.
 */
import { z } from "zod";
import { defineActivity } from "../define";
import { VmPowerStatusSchema } from "../azure";
import { VmInfoSchema } from "../discovery";
import { SubscriptionIdSchema } from "../ids";
import { ArmFailureSchema } from "./common";

/** Pages one call reads at most: ARM's VM listings hold up to 50 VMs a page. */
const VM_PAGES_PER_CALL = 20;

const ListVmPagesInput = z.object({
  subscriptionId: SubscriptionIdSchema,
  /** `model`: each VM's model (its power state left "unknown"); `status`: `statusOnly=true`, power and provisioning state. */
  view: z.enum(["model", "status"]),
  /** Where to continue: a nextLink an earlier call returned. Absent = the first page. */
  nextLink: z.string().url().optional(),
  maxPages: z.number().int().min(1).max(1000).default(VM_PAGES_PER_CALL),
  /**
   * View `status`: read on its own each VM the listing gave no power state (ARM does, "in some rare situations").
   * False when only the VMs' ids matter: their states then stay "unknown".
   */
  rereadUnknown: z.boolean().default(true),
});

const ListVmPagesOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    /** The VMs of the pages read (view `model`). */
    vms: z.array(VmInfoSchema).default([]),
    /** The statuses of the pages read (view `status`). */
    statuses: z.array(VmPowerStatusSchema).default([]),
    pages: z.number().int().min(0),
    /** The next page to read; absent when the listing is complete. */
    nextLink: z.string().url().optional(),
    /** Present when ARM throttled the next page: wait this long before reading it. */
    retryAfterSeconds: z.number().min(0).optional(),
  }),
  ArmFailureSchema,
]);

export const listVmPagesActivity = defineActivity("listVmPages", ListVmPagesInput, ListVmPagesOutput);
