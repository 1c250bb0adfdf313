/**
 * Activity contract: whether canary candidates have the Network Watcher agent, read in order until enough do; or,
 * with `readiness`, whether the canaries' agents report ready after their start.
 */
import { z } from "zod";
import { defineActivity } from "../define";
import { ArmResourceIdSchema } from "../ids";
import { ArmFailureSchema, PaceSecondsSchema } from "./common";

const ReadCanaryAgentsInput = z.object({
  /** Candidates in the order they are preferred (canaryCandidates), already cut to the reads allowed. */
  vmIds: z.array(ArmResourceIdSchema).max(200),
  /** Stop once this many have the agent. */
  wanted: z.number().int().min(0),
  /**
   * Read each VM's instance view instead of its extensions list: whether its VM agent and Network Watcher agent
   * report ready (a canary just started is running minutes before they are). Every VM listed is read.
   */
  readiness: z.boolean().optional(),
});

const ReadCanaryAgentsOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    /** Every VM read, with whether it has the agent (a VM deleted since it was listed has not). */
    agents: z.array(
      z.object({
        id: z.string().min(1),
        agent: z.boolean(),
        /** With `readiness`: the VM runs and its VM agent and Network Watcher agent both report ready. */
        ready: z.boolean().optional(),
        /** With `readiness`: what the instance view said, for the verdict's words. */
        detail: z.string().max(500).optional(),
      }),
    ),
    /** With `readiness`: wait this long before reading the same VM again (its rate-limit budget is nearly spent). */
    paceSeconds: PaceSecondsSchema,
  }),
  ArmFailureSchema,
]);

export const readCanaryAgentsActivity = defineActivity(
  "readCanaryAgents",
  ReadCanaryAgentsInput,
  ReadCanaryAgentsOutput,
);
