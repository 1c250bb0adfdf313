/** Activity: the last completed run as re-verification needs it (exemption time, options, resources it covered). */
import type { z } from "zod";
import { registerActivity } from "../src/functions/registerActivity";
import { readLastRunActivity, type ReadLastRunInput, type ReadLastRunOutput } from "../src/contracts/functions/readLastRun";
import { auditStore } from "./deps";

export async function readLastRun(input: z.output<typeof ReadLastRunInput>): Promise<z.input<typeof ReadLastRunOutput>> {
  const store = auditStore();
  if (store === undefined) {
    return { status: "notConfigured", detail: "no audit table is configured (PORT25_AUDIT_TABLE_CONNECTION or PORT25_AUDIT_TABLE_ENDPOINT)" };
  }
  const audited = await store.getRun(input.runId);
  if (audited === undefined) return { status: "notFound", detail: `the audit store has no run ${input.runId}` };
  const { run, outcomes } = audited;
  return {
    status: "found",
    runId: run.runId,
    subscriptionId: run.subscriptionId,
    attestation: run.attestation,
    options: run.options,
    probeHost: run.probeHost,
    ...(run.classification !== undefined ? { category: run.classification.category } : {}),
    resourceIds: outcomes.map((o) => o.resourceId),
  };
}

registerActivity(readLastRunActivity, readLastRun);
