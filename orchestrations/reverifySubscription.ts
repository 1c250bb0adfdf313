/**
 * Scheduled re-verification of a subscription after a completed run: re-classify it (a move away from the run's
 * category means port 25 may be blocked again), find running machines not started since the exemption took
 * effect (the last run's attestation.approvedAt), remove temporary subnets left behind, probe TCP 25 from a tagged
 * canary when one is configured, record the result, and, with auto-remediation on, remediate the stragglers. The
 * probe and the subnet deletion are the remediation's own (probeSmtp.ts, temporarySubnet.ts), so the two cannot
 * drift apart.
 *
 * The stragglers' run takes the remediation's own instance id (remediationInstanceId), the one-live-run-per-subscription
 * lock, so the start endpoint answers 409 while it runs. It is started through the durable client (startRun), which
 * refuses an id that is live, never as a sub-orchestration, whose start under a live id the engine documents no answer
 * for (orchestrations/runStart.ts); startRun is idempotent by run id, so an activity run twice starts it once. This
 * instance then follows the run to its end, with a deadline, so the next timer skips the subscription meanwhile. The
 * record is written before that run starts, so it does not wait for it; it names the run's id, whose own audit record
 * tells how it went.
 *
 * Leaked subnets: the timer starts this only while no run of the subscription is live, so every subnet with the
 * temporary prefix is a leak. A run started over HTTP during the few minutes this takes could see its temporary
 * subnet removed under it; that run then reports the VNet failed and names the subnet, and nothing is left behind.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { callActivity, registerOrchestration } from "./toolkit/calls";
import { parseWith } from "../src/contracts/parse";
import {
  reverifySubscriptionOrchestration,
  type ReverifySubscriptionInput,
  type ReverifySubscriptionOutput,
} from "../src/contracts/durable/reverifySubscription";
import { readLastRunActivity, type ReadLastRunResult } from "../src/contracts/durable/readLastRun";
import { egressChanges, egressPaths } from "../src/domain/egress";
import { recordReverificationActivity } from "../src/contracts/durable/recordReverification";
import type { Classification } from "../src/contracts/classification";
import { MAX_SELECTED_RESOURCES, RemediationOptionsSchema } from "../src/contracts/options";
import {
  RemediationInputSchema,
  remediationInstanceId,
  type CanaryResult,
  type RemediationInput,
} from "../src/contracts/remediation";
import { SYSTEM_REVERIFICATION } from "../src/contracts/events";
import type { ReverificationRecord, Straggler } from "../src/contracts/reverify";
import { buildPlan } from "../src/domain/planWaves";
import { autoRemediable, findStragglers, findTemporarySubnets } from "../src/domain/stragglers";
import { announce } from "./notify";
import { reverificationEvents } from "../src/domain/notifications";
import { nowIso, transientRetry } from "./shared";
import { writeAudit } from "./toolkit/auditWrite";
import { deleteTemporarySubnet, type SubnetStep } from "./temporarySubnet";
import { followRun, runDeadlineMinutes, startRunOf } from "./runStart";
import { classify, discover, probeCanary, readActivityLog } from "./reverifyReads";
import { clip, clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

/** Time each send of a leaked subnet's delete has to take effect. */
const SUBNET_DELETE_DEADLINE_MINUTES = 30;

type Found = Extract<ReadLastRunResult, { status: "found" }>;

function publish(context: OrchestrationContext, phase: string): void {
  context.df.setCustomStatus({ phase });
}

/** Why the stragglers are not remediated automatically, or undefined when they should be. */
function holdBack(
  classification: Classification,
  categoryChanged: boolean,
  canary: CanaryResult | undefined,
  stragglers: readonly Straggler[],
): string | undefined {
  if (stragglers.length === 0) return "no stragglers";
  if (classification.category !== "exemptible")
    return `the subscription is classified ${classification.category}, not exemptible`;
  if (categoryChanged) return "the subscription's category changed since the last run";
  if (canary?.result === "unreachable") return "the canary could not reach TCP 25: cycling would not help";
  return undefined;
}

function compactStamp(iso: string): string {
  return iso.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export function* reverifySubscription(
  context: OrchestrationContext,
  input: ReverifySubscriptionInput,
): Generator<Task, ReverifySubscriptionOutput, unknown> {
  const at = nowIso(context);
  const sub = input.subscriptionId;
  const warnings: string[] = [];

  publish(context, "reading the last run");
  const last = yield* callActivity(context, readLastRunActivity, { runId: input.lastRunId }, transientRetry());
  if (last.status !== "found")
    warnings.push(`the last run ${input.lastRunId} could not be read (${last.detail}); stragglers were not looked for`);
  const found: Found | undefined = last.status === "found" ? last : undefined;

  publish(context, "classifying");
  const classification = yield* classify(context, sub);
  const previousCategory = found?.category;
  const categoryChanged = previousCategory !== undefined && classification.category !== previousCategory;
  if (categoryChanged) {
    warnings.push(
      `the subscription is now ${classification.category} (the last run was made under ${previousCategory}): ${classification.reason}; port 25 may be blocked again`,
    );
  }
  if (classification.warning !== undefined) warnings.push(classification.warning);

  publish(context, "discovering");
  const listed = yield* discover(context, sub);
  const discovery = typeof listed === "string" ? undefined : listed;
  if (typeof listed === "string")
    warnings.push(`the resources could not be listed (${listed}); stragglers and leaked subnets were not looked for`);

  let stragglers: Straggler[] = [];
  if (discovery !== undefined && found !== undefined) {
    publish(context, "reading the Activity Log");
    const log = yield* readActivityLog(context, sub, at, found.attestation.approvedAt);
    if (typeof log === "string")
      warnings.push(`the Activity Log could not be read (${log}); starts not recorded by a run are reported unknown`);
    stragglers = findStragglers(discovery, {
      exemptionEffectiveAt: found.attestation.approvedAt,
      resourceIds: found.resourceIds,
      cycled: found.cycled,
      ...(typeof log === "string" ? { activityLogUnreadable: log } : { activityLog: log }),
    });
    const unknown = stragglers.filter((st) => st.reason === "startUnknown").length;
    if (unknown > 0) {
      warnings.push(
        `${unknown} running resource(s) whose start since the exemption cannot be established (startUnknown)` +
          (input.autoRemediateUnknownStarts
            ? ""
            : ": not remediated automatically; check them, or allow it with PORT25_AUTO_REMEDIATE_UNKNOWN"),
      );
    }
  }

  // Egress paths moved since the run (a route table added or edited): what each move means for port 25.
  const egressMoves =
    discovery !== undefined && found !== undefined ? egressChanges(found.egress, egressPaths(discovery)) : [];
  for (const move of egressMoves) warnings.push(`egress path of ${move.name} changed since the run: ${move.meaning}`);

  publish(context, "removing leaked subnets");
  const leaked = discovery !== undefined ? findTemporarySubnets(discovery) : [];
  const removed: string[] = [];
  const failed: { subnetId: string; message: string }[] = [];
  for (const subnet of leaked) {
    let outcome: SubnetStep;
    try {
      outcome = yield* deleteTemporarySubnet(
        context,
        { vnetId: subnet.vnetId, subnetName: subnet.subnetName },
        SUBNET_DELETE_DEADLINE_MINUTES,
      );
    } catch (e) {
      outcome = { ok: false, reasonCode: "unexpected", message: clippedMessage(e, TEXT_LIMITS.reason) };
    }
    if (outcome.ok) removed.push(subnet.subnetId);
    else failed.push({ subnetId: subnet.subnetId, message: outcome.message });
  }

  let canaryProbe: CanaryResult | undefined;
  if (discovery !== undefined) {
    publish(context, "probing the canary");
    canaryProbe = yield* probeCanary(context, discovery, stragglers, found?.probeHost ?? input.probeHost);
    if (canaryProbe.result === "unreachable" || canaryProbe.result === "unavailable")
      warnings.push(`canary: ${canaryProbe.detail ?? canaryProbe.result}`);
  }

  // The stragglers' run, decided before the record so the record can name it.
  let child: { instanceId: string; input: RemediationInput } | undefined;
  if (input.autoRemediate && found !== undefined && discovery !== undefined) {
    // Only established stale starts by default: an unknown start is not proof that a VM needs taking down.
    const remediable = autoRemediable(stragglers, input.autoRemediateUnknownStarts);
    const why = holdBack(classification, categoryChanged, canaryProbe, remediable);
    if (why !== undefined && remediable.length > 0) warnings.push(`auto-remediation held back: ${why}`);
    if (why === undefined) {
      if (remediable.length > MAX_SELECTED_RESOURCES)
        warnings.push(`auto-remediation covers the first ${MAX_SELECTED_RESOURCES} of ${remediable.length} stragglers`);
      // The last run completed, so its proof (canary or attestation) stands: the stragglers are not probed again.
      const options = RemediationOptionsSchema.parse({
        ...found.options,
        verification: "attestationOnly",
        onlyResourceIds: remediable.slice(0, MAX_SELECTED_RESOURCES).map((s) => s.resourceId),
      });
      const plan = buildPlan(discovery, options);
      if (plan.counts.toCycle === 0) {
        warnings.push(
          "auto-remediation not started: the plan would skip every straggler (see each one's skip reason in a plan-only run)",
        );
      } else {
        const runId = `${compactStamp(at)}-${context.df.newGuid(`${context.df.instanceId}:stragglers`).slice(0, 8)}`;
        const childInput = parseWith(
          RemediationInputSchema,
          {
            subscriptionId: sub,
            attestation: found.attestation,
            mode: "execute",
            requireApproval: false,
            options,
            // The system starts this run, never a person: no one can approve or be blamed for it as theirs.
            requestedBy: SYSTEM_REVERIFICATION,
            requestedById: clip(`${SYSTEM_REVERIFICATION}/${context.df.instanceId}`, TEXT_LIMITS.name),
            requestedAt: at,
            probeHost: found.probeHost,
            runId,
          },
          "stragglers' run",
        );
        child = { instanceId: remediationInstanceId(sub), input: childInput };
      }
    }
  }

  const record: ReverificationRecord = {
    subscriptionId: sub,
    at,
    lastRunId: input.lastRunId,
    classification,
    previousCategory,
    categoryChanged,
    stragglers,
    leakedSubnets: { found: leaked.map((s) => s.subnetId), removed, failed },
    canaryProbe,
    ...(child !== undefined ? { autoRemediationRunId: child.input.runId } : {}),
    ...(egressMoves.length > 0 ? { egressChanges: egressMoves } : {}),
    warnings,
  };

  publish(context, "recording");
  const { recorded, detail: recordDetail } = yield* writeAudit(
    () => callActivity(context, recordReverificationActivity, record, transientRetry()),
    "the re-verification",
  );

  for (const event of reverificationEvents(
    record,
    child !== undefined ? { runId: child.input.runId, instanceId: child.instanceId } : undefined,
  )) {
    yield* announce(context, event);
  }

  let autoRemediation: ReverifySubscriptionOutput["autoRemediation"];
  if (child !== undefined) {
    publish(context, "remediating the stragglers");
    // The live check and the start in one activity, the engine refusing a start under a live id; then the run is
    // followed to its end with a deadline (orchestrations/runStart.ts).
    const start = yield* startRunOf(context, child.instanceId, child.input);
    if (start.status === "alreadyRunning") {
      autoRemediation = {
        instanceId: child.instanceId,
        runId: child.input.runId,
        status: "notStarted",
        detail: `a run of this subscription${start.runId !== undefined ? ` (${start.runId})` : ""} is ${start.runtimeStatus}: it covers the stragglers`,
      };
    } else {
      const followed = yield* followRun(context, {
        instanceId: child.instanceId,
        runId: child.input.runId,
        deadlineMinutes: runDeadlineMinutes(child.input),
      });
      autoRemediation =
        followed.kind === "completed"
          ? {
              instanceId: child.instanceId,
              runId: child.input.runId,
              status: followed.output.summary.status,
              detail: followed.output.summary.message,
            }
          : followed.kind === "ended"
            ? {
                instanceId: child.instanceId,
                runId: child.input.runId,
                status: "failed",
                detail: clip(followed.message, TEXT_LIMITS.detail),
              }
            : {
                instanceId: child.instanceId,
                runId: child.input.runId,
                status: "stillRunning",
                detail: `still ${followed.runtimeStatus} after ${Math.round(followed.minutes / 60)} hours: follow it at /api/remediations/${child.instanceId}; its audit record tells how it ended`,
              };
    }
  }

  publish(context, "done");
  return {
    record,
    recorded,
    recordDetail,
    autoRemediation,
  };
}

registerOrchestration(reverifySubscriptionOrchestration, reverifySubscription);
