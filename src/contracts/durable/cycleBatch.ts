/** Orchestration contract: cycle one batch of a wave (at most batchSize resources) within its share of the caps. */
import { z } from "zod";
import { SubscriptionVmsSchema } from "./common";
import { defineOrchestration } from "../define";
import { CapsSchema, PlanEntrySchema } from "../plan";
import { ResourceOutcomeSchema } from "../outcome";
import { OutcomeTallySchema } from "./recordLaneOutcomes";

/** A lane's part of the run's pace of first writes: how many of a round's chains start at once, then how many a second. */
export const SendPaceSchema = z.object({
  burst: z.number().int().min(1),
  perSecond: z.number().positive(),
});
export type SendPace = z.output<typeof SendPaceSchema>;

export const CycleBatchInput = z.object({
  runId: z.string().min(1),
  wave: z.number().int().min(0),
  batchId: z.string().min(1),
  /** The batch's entries, in plan order. */
  entries: z.array(PlanEntrySchema),
  /** This lane's share of the global cap (the plan's `share`), and the per-group caps it enforces within the lane. */
  caps: CapsSchema,
  transitionTimeoutMinutes: z.number().int().min(1),
  restoreStoppedVms: z.boolean().default(false),
  /** Restore deadline of each resource (options.restoreTimeoutMinutes); cycleResource's default when absent. */
  restoreTimeoutMinutes: z.number().int().min(1).optional(),
  /**
   * Unique to the run's execution (its listing id): lets the batch keep its parsed outcomes between replays
   * without mistaking another execution's for its own. Without it the batch parses them on every replay.
   */
  replayScope: z.string().min(1).optional(),
  /**
   * Each entry's place in the run's record (its index in the plan): given, the lane writes its outcomes to the audit
   * record itself (recordLaneOutcomes) and hands up their tally.
   */
  seqs: z.array(z.number().int().min(0)).optional(),
  /** See SubscriptionVmsSchema. */
  subscriptionVms: SubscriptionVmsSchema,
  /** The lane's part of the run's pace of first writes (src/domain/sendPace.ts); without it, rounds start at once. */
  sendPace: SendPaceSchema.optional(),
});
export type CycleBatchInput = z.output<typeof CycleBatchInput>;

export const CycleBatchOutput = z.object({
  /**
   * One outcome per entry (cycled, failed, or skipped "cancelled" when a cancel stopped it from starting), or none
   * when the lane recorded them itself: then `recorded` is their tally.
   */
  outcomes: z.array(ResourceOutcomeSchema),
  recorded: OutcomeTallySchema.optional(),
  cancelled: z.boolean(),
});
export type CycleBatchOutput = z.output<typeof CycleBatchOutput>;

export const cycleBatchOrchestration = defineOrchestration("cycleBatch", CycleBatchInput, CycleBatchOutput);

/**
 * Custom status of a lane: how far it is, with its finished resources counted by outcome, so that the status
 * readers count resources as they finish rather than only when the lane (or its wave) ends.
 */
export const LaneStatusSchema = z.object({
  batchId: z.string(),
  total: z.number().int().min(0),
  done: z.number().int().min(0),
  counts: z
    .object({
      cycled: z.number().int(),
      skipped: z.number().int(),
      failed: z.number().int(),
      leftDown: z.number().int(),
    })
    .optional(),
  cancelRequested: z.boolean(),
  /** Its chains in flight with more than one resource: each counts its finished resources in its own status. */
  activeChains: z.array(z.string()).optional(),
});
export type LaneStatus = z.output<typeof LaneStatusSchema>;

/** The chains a lane lists as in flight, from its custom status (none when it lists nothing readable). */
export function activeChainsOf(laneStatus: unknown): string[] {
  const l = LaneStatusSchema.safeParse(laneStatus);
  return l.success ? (l.data.activeChains ?? []) : [];
}

/**
 * Instance id of a batch: derived from the run so the cancel endpoint can address it. The wave running it lists
 * the lanes in flight in its custom status (`activeLanes`); a cancel is raised to the run first, then to its
 * wave, then to each of those (see remediateSubscription and runWave).
 */
export function batchInstanceId(parentInstanceId: string, runId: string, batchId: string): string {
  return `${parentInstanceId}:${runId}:${batchId}`;
}
