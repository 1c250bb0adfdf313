/**
 * Orchestration contract: cycle a few resources of a lane one after the other in one instance (`cycleChain`), each
 * through its plan's power steps (the per-resource input, CycleResourceInput).
 */
import { z } from "zod";
import { SubscriptionVmsSchema } from "./common";
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
  /** See SubscriptionVmsSchema. */
  subscriptionVms: SubscriptionVmsSchema,
});
export type CycleResourceInput = z.output<typeof CycleResourceInput>;

/**
 * Resources a serial lane hands one chain: one instance start and one wake of the lane then serve that many
 * resources, and a chain's history stays a few resources long (docs/performance.md, "Chains").
 */
export const CHAIN_LENGTH = 5;

export const CycleChainInput = CycleResourceInput.omit({ entry: true }).extend({
  /** Cycled in this order, each once the one before has ended. */
  entries: z.array(PlanEntrySchema).min(1).max(CHAIN_LENGTH),
  /**
   * Seconds to wait before the first entry's first request: the lane's round spreads its chains' first writes over
   * ARM's write bucket (src/domain/sendPace.ts). A cancel heard meanwhile skips every entry "cancelled".
   */
  startAfterSeconds: z.number().int().min(1).max(3600).optional(),
});
export type CycleChainInput = z.output<typeof CycleChainInput>;

export const CycleChainOutput = z.object({
  /** One outcome per entry, in the input's order. */
  outcomes: z.array(ResourceOutcomeSchema),
  /** A cancel reached the chain before its last entry started: the entries not started are skipped "cancelled". */
  cancelled: z.boolean(),
});
export type CycleChainOutput = z.output<typeof CycleChainOutput>;

export const cycleChainOrchestration = defineOrchestration("cycleChain", CycleChainInput, CycleChainOutput);

/**
 * What a chain's custom status says of a resource it has finished: enough to count it and name it, never its whole
 * outcome (messages, instance lists), so that the status stays far below the 16 KB a custom status may hold.
 */
export const ChainDoneSchema = ResourceOutcomeSchema.pick({
  resourceId: true,
  kind: true,
  name: true,
  resourceGroup: true,
  outcome: true,
  reasonCode: true,
  stateAfter: true,
}).extend({ leftDown: z.boolean() });
export type ChainDone = z.output<typeof ChainDoneSchema>;

/** Custom status of a chain: the entries it has finished, and the one in flight. */
export const ChainStatusSchema = z.object({
  done: z.array(ChainDoneSchema),
  current: z.string().optional(),
});
export type ChainStatus = z.output<typeof ChainStatusSchema>;

/** `outcome` as a chain's status names it. */
export function chainDone(outcome: z.output<typeof ResourceOutcomeSchema>): ChainDone {
  const { resourceId, kind, name, resourceGroup, reasonCode, stateAfter } = outcome;
  return {
    resourceId,
    kind,
    name,
    resourceGroup,
    outcome: outcome.outcome,
    ...(reasonCode !== undefined ? { reasonCode } : {}),
    ...(stateAfter !== undefined ? { stateAfter } : {}),
    leftDown: outcome.leftDown !== undefined,
  };
}
