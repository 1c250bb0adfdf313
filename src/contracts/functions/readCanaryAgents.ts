/** Activity contract: whether canary candidates have the Network Watcher agent, read in order until enough do. */
import { z } from "zod";
import { defineActivity } from "../define";
import { ArmResourceIdSchema } from "../ids";
import { ArmFailureSchema } from "./common";

export const ReadCanaryAgentsInput = z.object({
  /** Candidates in the order they are preferred (canaryCandidates), already cut to the reads allowed. */
  vmIds: z.array(ArmResourceIdSchema).max(200),
  /** Stop once this many have the agent. */
  wanted: z.number().int().min(0),
});

export const ReadCanaryAgentsOutput = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    /** Every VM read, with whether it has the agent (a VM deleted since it was listed has not). */
    agents: z.array(z.object({ id: z.string().min(1), agent: z.boolean() })),
  }),
  ArmFailureSchema,
]);

export const readCanaryAgentsActivity = defineActivity("readCanaryAgents", ReadCanaryAgentsInput, ReadCanaryAgentsOutput);
