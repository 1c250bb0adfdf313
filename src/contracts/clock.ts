/** Which clock stamped a record's times: the host's wall clock on Azure, a simulation's virtual clock locally. */
import { z } from "zod";

/**
 * "simulated": the times come from a virtual clock (`port25 serve`, `port25 simulate`) that runs faster than the wall
 * clock and starts where the scenario says; they are consistent with each other, not with the calendar. Absent on
 * records written before the marker existed, which were all stamped by the wall clock.
 */
export const ClockKindSchema = z.enum(["simulated", "wall"]);
export type ClockKind = z.output<typeof ClockKindSchema>;
