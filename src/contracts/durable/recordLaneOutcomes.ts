/**
 * Activity contract: a lane's outcomes written to the run's audit record by the lane itself (idempotent by run and
 * resource), so that no history above the lane holds them: the lane hands up their tally instead (OutcomeTally), and
 * the run's final record (recordRunCompleted) counts them in. docs/architecture.md, "The audit record".
 */
import { z } from "zod";
import { defineActivity } from "../define";
import { LeftDownResourceSchema, ResourceOutcomeSchema } from "../outcome";
import { FailureNoteSchema, MAX_NAMED } from "../notification";
import { AuditWriteOutput } from "./recordRunStarted";

/** An outcome with its place in the record: the plan's order (the entry's index in the plan). */
export const SequencedOutcomeSchema = z.object({
  seq: z.number().int().min(0),
  outcome: ResourceOutcomeSchema,
});
export type SequencedOutcome = z.output<typeof SequencedOutcomeSchema>;

export const RecordLaneOutcomesInput = z.object({
  runId: z.string().min(1),
  /** The lane's instance id: the run's record names the lanes whose outcomes it counts in. */
  lane: z.string().min(1),
  outcomes: z.array(SequencedOutcomeSchema),
});
export type RecordLaneOutcomesInput = z.output<typeof RecordLaneOutcomesInput>;

export const recordLaneOutcomesActivity = defineActivity(
  "recordLaneOutcomes",
  RecordLaneOutcomesInput,
  AuditWriteOutput,
);

/**
 * What lanes that recorded their own outcomes hand up in their place: the counts, the reasons, every resource left
 * down, the first failures by name (what the run's summary and its completion message need), and the lanes.
 */
export const OutcomeTallySchema = z.object({
  resources: z.number().int().min(0),
  cycled: z.number().int().min(0),
  skipped: z.number().int().min(0),
  failed: z.number().int().min(0),
  byReason: z.record(z.string(), z.number().int().min(0)),
  leftDown: z.array(LeftDownResourceSchema),
  /** Failed resources not left down, the first MAX_NAMED in plan order. */
  failures: z.array(FailureNoteSchema).max(MAX_NAMED),
  /** Instance ids of the lanes whose outcomes these are, each holding them as its recordLaneOutcomes input. */
  lanes: z.array(z.string().min(1)),
});
export type OutcomeTally = z.output<typeof OutcomeTallySchema>;
