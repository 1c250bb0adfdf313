/** The machine-readable result of `port25 simulate --json` (documented in docs/cli.md). */
import { z } from "zod";
import { ClassificationSchema } from "../contracts/classification";
import { ResourceOutcomeSchema } from "../contracts/outcome";
import { RemediationSummarySchema } from "../contracts/remediation";

export const SimulateOutputSchema = z.object({
  /** Schema version of this document. */
  version: z.literal(1),
  scenario: z.object({
    source: z.string(),
    subscriptionId: z.string(),
    vms: z.number().int(),
    scaleSets: z.number().int(),
    vnets: z.number().int(),
  }),
  summary: RemediationSummarySchema,
  classification: ClassificationSchema,
  outcomes: z.array(ResourceOutcomeSchema),
  timing: z.object({
    simulatedSeconds: z.number(),
    realSeconds: z.number(),
  }),
  arm: z.object({
    requests: z.number().int(),
    throttled: z.number().int(),
    /** 429s from Microsoft.Compute's own policies (the rest are ARM's subscription buckets and injected storms). */
    computeThrottled: z.number().int(),
    writes: z.number().int(),
  }),
  orchestration: z.object({
    instances: z.number().int(),
    maxHistoryEvents: z.number().int(),
    episodes: z.number().int(),
  }),
  /** Path of the HTML report (null when the run wrote no audit record). */
  report: z.string().nullable(),
});
export type SimulateOutput = z.output<typeof SimulateOutputSchema>;

/**
 * Writes the document as one JSON line, the outcomes one at a time: at 20,000 VMs the outcomes are megabytes of
 * text, and building the whole line as one string on top of the run's result was part of the memory peak at the end
 * of a run (docs/performance.md, "Memory of `port25 simulate`"). The line is the same JSON.stringify would give.
 */
export function writeJsonLine(write: (chunk: string) => void, doc: Record<string, unknown>, streamed: string): void {
  let first = true;
  write("{");
  for (const [key, value] of Object.entries(doc)) {
    if (value === undefined) continue;
    write(`${first ? "" : ","}${JSON.stringify(key)}:`);
    first = false;
    if (key === streamed && Array.isArray(value)) {
      write("[");
      value.forEach((item: unknown, i) => write(`${i === 0 ? "" : ","}${JSON.stringify(item) ?? "null"}`));
      write("]");
    } else write(JSON.stringify(value) ?? "null");
  }
  write("}\n");
}
