/**
 * Activity: the last completed run as re-verification needs it (exemption time, options, resources it covered), and
 * what every run of the subscription since the exemption took effect cycled, and when (the audit's own record of
 * starts from deallocated: ARM keeps no "last started" time).
 */
import type { z } from "zod";
import { bindActivity, type BoundActivity } from "./binding";
import {
  readLastRunActivity,
  type ReadLastRunInput,
  type ReadLastRunOutput,
} from "../src/contracts/durable/readLastRun";
import { resourceKey } from "../src/contracts/ids";
import { cycledBy } from "../src/domain/stragglers";
import type { AuditStore } from "../src/audit/store";
import { NO_AUDIT_TABLE, type ActivityDeps } from "./deps";

/** Runs read for their outcomes at most (newest first). */
const MAX_RUNS = 100;
/** Runs requested up to this long before the exemption are read too (a run can outlast its request by hours). */
const LOOKBACK_MS = 86_400_000;

async function otherRuns(store: AuditStore, subscriptionId: string, from: string, except: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.listRuns({ subscriptionId, from, pageSize: MAX_RUNS, continuationToken: token });
    for (const r of page.runs)
      if (r.runId !== except && r.mode === "execute" && ids.length < MAX_RUNS - 1) ids.push(r.runId);
    token = page.continuationToken;
  } while (token !== undefined && ids.length < MAX_RUNS - 1);
  return ids;
}

export function readLastRun({ auditStore }: ActivityDeps): BoundActivity {
  return bindActivity(readLastRunActivity, (input) =>
    auditStore === undefined
      ? Promise.resolve({ status: "notConfigured" as const, detail: NO_AUDIT_TABLE })
      : read(auditStore, input),
  );
}

async function read(
  store: AuditStore,
  input: z.output<typeof ReadLastRunInput>,
): Promise<z.input<typeof ReadLastRunOutput>> {
  const audited = await store.getRun(input.runId);
  if (audited === undefined) return { status: "notFound", detail: `the audit store has no run ${input.runId}` };
  const { run, outcomes } = audited;
  const effectiveAtMs = Date.parse(run.attestation.approvedAt);
  const known = new Map(outcomes.map((o) => [resourceKey(o.resourceId), o.resourceId] as const));
  const cycled = cycledBy(run.runId, outcomes, effectiveAtMs);
  const others = await otherRuns(
    store,
    run.subscriptionId,
    new Date(effectiveAtMs - LOOKBACK_MS).toISOString(),
    run.runId,
  );
  for (const runId of others) {
    const other = await store.getRun(runId);
    if (other === undefined) continue;
    for (const o of other.outcomes)
      if (!known.has(resourceKey(o.resourceId))) known.set(resourceKey(o.resourceId), o.resourceId);
    cycled.push(...cycledBy(other.run.runId, other.outcomes, effectiveAtMs));
  }
  return {
    status: "found",
    runId: run.runId,
    subscriptionId: run.subscriptionId,
    attestation: run.attestation,
    options: run.options,
    probeHost: run.probeHost,
    ...(run.classification !== undefined ? { category: run.classification.category } : {}),
    resourceIds: [...known.values()],
    cycled,
    runsRead: 1 + others.length,
    egress: outcomes.flatMap((o) =>
      o.egress === undefined ? [] : [{ resourceId: o.resourceId, name: o.name, path: o.egress }],
    ),
  };
}
