/**
 * A run's outcome documents (the outcomes table, one partition per run): each at its place in the record, the plan's
 * order, whoever writes it (the run's final record, or a lane writing its own: src/contracts/durable/recordLaneOutcomes.ts).
 */
import { ValidationError } from "../errors";
import { parseWith } from "../contracts/parse";
import type { RemediationResult } from "../contracts/remediation";
import type { ResourceOutcome } from "../contracts/outcome";
import { encodeDocument, storedJson, type EncodedDocument } from "./documents";
import { encodeKey } from "./keys";
import { resourceKey } from "../contracts/ids";
import { OutcomeDocSchema, type AuditTableAccess } from "./tables";

/** An outcome's document in the run's partition, at its place in the record. */
export function outcomeDoc(runPartition: string, seq: number, outcome: ResourceOutcome): EncodedDocument {
  return encodeDocument(runPartition, encodeKey(outcome.resourceId), storedJson({ seq, outcome }), {
    outcome: outcome.outcome,
    kind: outcome.kind,
  });
}

/**
 * Each outcome's place in the record: its entry's index in the plan, a resource the plan did not list after the plan's
 * entries in the order given; without a plan, the order given.
 */
export function placesInPlan(result: RemediationResult): (outcome: ResourceOutcome, i: number) => number {
  const entries = result.plan?.entries;
  if (entries === undefined) return (_o, i) => i;
  // Resource ids compared as the run compares them (without case), so an outcome and the lane's place for it agree.
  const at = new Map(entries.map((e, i) => [resourceKey(e.resourceId), i] as const));
  let after = entries.length;
  return (o) => at.get(resourceKey(o.resourceId)) ?? after++;
}

/**
 * The stored text of every outcome of the run, in the record's order, once there are `expected` of them: the final
 * record is not written over outcomes that are missing (a lane's write that never arrived) or that it does not know.
 */
export async function recordedTexts(
  t: AuditTableAccess,
  runPartition: string,
  expected: number,
  lanes: readonly string[],
): Promise<string[]> {
  const docs: { seq: number; key: string; json: string }[] = [];
  const entities = t.outcomes.listEntities<Record<string, unknown>>({
    queryOptions: { filter: `PartitionKey eq '${runPartition}'` },
  });
  for await (const entity of entities) {
    const json = await t.read(t.outcomes, entity);
    const doc = parseWith(OutcomeDocSchema, JSON.parse(json), "stored resource outcome");
    docs.push({ seq: doc.seq, key: String(entity.rowKey), json });
  }
  if (docs.length !== expected) {
    throw new ValidationError("run result for the audit", [
      {
        path: "laneOutcomes.count",
        message: `the record holds ${docs.length} outcome(s) where the run accounts for ${expected}${lanes.length === 0 ? "" : ` (the lanes ${lanes.length <= 3 ? lanes.join(", ") : `${lanes.slice(0, 3).join(", ")} and ${lanes.length - 3} more`} wrote theirs)`}`,
      },
    ]);
  }
  docs.sort((a, b) => a.seq - b.seq || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return docs.map((d) => d.json);
}
