/** Orchestration contract: add and remove the temporary subnet of one VNet with a delegated subnet. */
import { z } from "zod";
import { defineOrchestration } from "../define";
import { PlanEntrySchema } from "../plan";
import { ResourceOutcomeSchema } from "../outcome";

export const RefreshVnetSubnetInput = z.object({
  entry: PlanEntrySchema,
  /** Deadline for the subnet to be created, and again for it to be deleted. */
  transitionTimeoutMinutes: z.number().int().min(1),
});
export type RefreshVnetSubnetInput = z.output<typeof RefreshVnetSubnetInput>;

export const refreshVnetSubnetOrchestration = defineOrchestration(
  "refreshVnetSubnet",
  RefreshVnetSubnetInput,
  ResourceOutcomeSchema,
);
