/** An action the API refused, as the audit keeps it: who tried what, when, and the answer. */
import { z } from "zod";
import { ClockKindSchema } from "./clock";

export const RefusalRecordSchema = z.object({
  /** The invocation that refused it (unique; quoted in the app's logs). */
  id: z.string().min(1).max(128),
  at: z.iso.datetime({ offset: true }),
  /** The HTTP answer: 401 (no principal), 403 (a missing role, SelfApprovalRefused), 409 (a conflicting state). */
  status: z.union([z.literal(401), z.literal(403), z.literal(409)]),
  code: z.string().max(100),
  message: z.string().max(2000),
  /** What was tried: the trigger, the method and the path. */
  action: z.object({ function: z.string().max(100), method: z.string().max(10), path: z.string().max(500) }),
  /** Who tried, as the request named them (unverified unless `authenticated`). */
  caller: z.object({ name: z.string().max(256), id: z.string().max(256).optional(), authenticated: z.boolean() }),
  /** The clock that stamped `at`: "simulated" on a local stack; absent means the wall clock. */
  clock: ClockKindSchema.optional(),
});
export type RefusalRecord = z.output<typeof RefusalRecordSchema>;
