/** Orchestration contract: cycle one VM or uniform scale set through its plan's power steps. */
import { z } from "zod";
import { defineOrchestration } from "../define";
import { PlanEntrySchema } from "../plan";
import { ResourceOutcomeSchema } from "../outcome";

export const CycleResourceInput = z.object({
  entry: PlanEntrySchema,
  transitionTimeoutMinutes: z.number().int().min(1),
  /** Scale sets: stopped instances are deallocated, and with this on started and stopped again. */
  restoreStoppedVms: z.boolean().default(false),
  wave: z.number().int().min(0).optional(),
  /** How long a resource the run took down is tried to be brought back before it is reported left down. */
  restoreTimeoutMinutes: z.number().int().min(1).default(60),
});
export type CycleResourceInput = z.output<typeof CycleResourceInput>;

export const cycleResourceOrchestration = defineOrchestration(
  "cycleResource",
  CycleResourceInput,
  ResourceOutcomeSchema,
);
