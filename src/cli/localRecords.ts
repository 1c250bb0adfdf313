/**
 * What a local stack reads back from its durable host and stamps its own starts with: a run's progress (with its
 * wave's and lanes' counts), the outcomes of a run stopped part-way, a finished run's full record, and the
 * attestation and run ids of simulated starts.
 */
import { randomBytes } from "node:crypto";
import { EventType, type DurableHost, type InstanceStatus } from "../durable-host";
import { rootGroup, type Estate, type SimulatorHandle } from "../simulator";
import { parseWith } from "../contracts/parse";
import { RemediationOutputSchema, RemediationResultSchema, type RemediationResult } from "../contracts/remediation";
import { recordRunCompletedActivity } from "../contracts/durable/recordRunCompleted";
import {
  RecordLaneOutcomesInput,
  recordLaneOutcomesActivity,
  type SequencedOutcome,
} from "../contracts/durable/recordLaneOutcomes";
import type { CampaignTarget } from "../contracts/campaign";
import { CycleBatchOutput, cycleBatchOrchestration } from "../contracts/durable/cycleBatch";
import {
  type ChainDone,
  ChainStatusSchema,
  CycleChainInput,
  CycleChainOutput,
  cycleChainOrchestration,
} from "../contracts/durable/cycleResource";
import type { ResourceOutcome } from "../contracts/outcome";
import { resourceKey } from "../contracts/ids";
import { placesInPlan } from "../audit/runOutcomes";

/**
 * Attestation used for simulated runs and campaigns: dated at the exemption (for an estate the latest, so that every
 * one is in effect), or a day before the simulation when nothing is exempted.
 */
export function simulatedAttestation(
  exemptedAt: string | undefined,
  now: number,
): { reference: string; approvedBy: string; approvedAt: string } {
  return {
    reference: "SIMULATED-EXEMPTION",
    approvedBy: "port25 simulate",
    approvedAt: exemptedAt ?? new Date(now - 24 * 3600 * 1000).toISOString(),
  };
}

/** What a simulated campaign covers by default: the estate's root group, else every subscription it serves. */
export function estateTarget(estate: Estate, sim: SimulatorHandle): CampaignTarget {
  const root = rootGroup(estate.managementGroups);
  return root !== undefined
    ? { kind: "managementGroup", managementGroupId: root.id }
    : { kind: "subscriptions", subscriptionIds: sim.subscriptionIds };
}

/**
 * A run id unique to this run: the simulated start time (which repeats: every simulation starts at the scenario's
 * clock) and random hex, so a second run never reuses the first one's audit record or report file.
 */
export function simulatedRunId(startMs: number): string {
  return `sim-${new Date(startMs).toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
}

/**
 * What a run has finished so far, for a run stopped before its end: the outcomes of its finished lanes and of every
 * resource whose cycle has ended, and the names of the resources whose cycle was still under way.
 */
export function partialOutcomes(host: DurableHost): { finished: ResourceOutcome[]; inFlight: string[] } {
  const byKey = new Map<string, ResourceOutcome>();
  const inFlight: string[] = [];
  const keep = (o: ResourceOutcome): void => {
    if (!byKey.has(resourceKey(o.resourceId))) byKey.set(resourceKey(o.resourceId), o);
  };
  for (const lane of host.listInstances({ name: cycleBatchOrchestration.name, runtimeStatus: ["Completed"] })) {
    const out = CycleBatchOutput.safeParse(lane.output);
    if (out.success) out.data.outcomes.forEach(keep);
    laneRecord(lane)?.outcomes.forEach((o) => keep(o.outcome));
  }
  for (const chain of host.listInstances({ name: cycleChainOrchestration.name })) {
    if (chain.runtimeStatus === "Completed") {
      const out = CycleChainOutput.safeParse(chain.output);
      if (out.success) out.data.outcomes.forEach(keep);
    } else if (chain.runtimeStatus === "Running" || chain.runtimeStatus === "Pending") {
      // A chain's finished resources are named in its status (their whole outcomes come with the chain's result);
      // the one it cycles now, or its first before it has begun, is mid-cycle.
      const status = ChainStatusSchema.safeParse(chain.customStatus);
      if (status.success) status.data.done.forEach((d) => keep(fromChainStatus(d)));
      const i = CycleChainInput.safeParse(chain.input);
      inFlight.push(
        status.success && status.data.current !== undefined
          ? status.data.current
          : i.success
            ? (i.data.entries[0]?.name ?? chain.instanceId)
            : chain.instanceId,
      );
    }
  }
  return { finished: [...byKey.values()], inFlight };
}

/** A resource a running chain finished, as its status names it: what it ended as, without the chain's details. */
function fromChainStatus(done: ChainDone): ResourceOutcome {
  const { leftDown, ...named } = done;
  return {
    ...named,
    actions: [],
    message: leftDown
      ? "LEFT DOWN: finished before the stop, not brought back; its reason and manual action were in the chain's result, which the stop cut off"
      : "finished before the stop; its details were in the chain's result, which the stop cut off",
  };
}

/**
 * A completed run's full record: recordRunCompleted's input in its history, with the summary the run returned, and the
 * outcomes its lanes recorded themselves (each lane's recordLaneOutcomes input, read from `instance(laneId)`), every
 * outcome in the plan's order.
 */
export function fullRecord(
  status: InstanceStatus,
  instance: (instanceId: string) => InstanceStatus | undefined,
): RemediationResult {
  const output = parseWith(RemediationOutputSchema, status.output, "run output");
  const input = scheduledInput(status, recordRunCompletedActivity.name);
  if (input === undefined)
    throw new Error(
      `run ${status.instanceId} has no record of its result: ${recordRunCompletedActivity.name} was never scheduled`,
    );
  const { laneOutcomes, ...record } = parseWith(
    RemediationResultSchema,
    JSON.parse(input) as unknown,
    `input of ${recordRunCompletedActivity.name}`,
  );
  if (laneOutcomes === undefined) return { ...record, summary: output.summary };
  const seqOf = placesInPlan(record);
  const placed: SequencedOutcome[] = record.outcomes.map((o, i) => ({ seq: seqOf(o, i), outcome: o }));
  for (const id of laneOutcomes.lanes) {
    const lane = instance(id);
    const written = lane === undefined ? undefined : laneRecord(lane);
    if (written === undefined)
      throw new Error(
        `run ${status.instanceId}: the outcomes of its lane ${id} cannot be read from that lane's history`,
      );
    placed.push(...written.outcomes);
  }
  if (placed.length !== record.outcomes.length + laneOutcomes.count)
    throw new Error(
      `run ${status.instanceId}: ${placed.length} outcome(s) found where its record accounts for ${record.outcomes.length + laneOutcomes.count}`,
    );
  placed.sort((a, b) => a.seq - b.seq);
  return { ...record, outcomes: placed.map((p) => p.outcome), summary: output.summary };
}

/** The text an activity of this name was first scheduled with, in the instance's history. */
function scheduledInput(status: InstanceStatus, name: string): string | undefined {
  return status.history.find((e) => e.EventType === EventType.TaskScheduled && e.Name === name)?.Input;
}

/** The outcomes a lane wrote to its run's record itself, from its history; undefined when it wrote none. */
function laneRecord(lane: InstanceStatus): RecordLaneOutcomesInput | undefined {
  const input = scheduledInput(lane, recordLaneOutcomesActivity.name);
  if (input === undefined) return undefined;
  return parseWith(
    RecordLaneOutcomesInput,
    JSON.parse(input) as unknown,
    `input of ${recordLaneOutcomesActivity.name}`,
  );
}
