/**
 * Closing a subscription's run (orchestrations/remediateSubscription.ts): the outcome of each resource the run did not
 * reach, the run's one-line status, and the VMs created after the plan.
 */
import type { Task } from "durable-functions";
import { listVmPagesActivity } from "../src/contracts/durable/listVmPages";
import { resourceKey } from "../src/contracts/ids";
import type { Classification } from "../src/contracts/classification";
import type { Plan, PlanEntry } from "../src/contracts/plan";
import type { ReasonCode, ResourceOutcome } from "../src/contracts/outcome";
import type { CanaryResult, RunStatus } from "../src/contracts/remediation";
import type { VmPowerStatus } from "../src/contracts/azure";
import { pathsNotOut } from "../src/domain/canaryPaths";
import { nowIso } from "./shared";
import type { Run } from "./subscriptionRun";
import { retryWhileBusy } from "./toolkit/retry";
import { clip, TEXT_LIMITS } from "../src/contracts/textLimits";

/** The outcome with the resource's egress path from the plan, so that the record says where its port 25 goes. */
export function withEgress(entry: PlanEntry, outcome: ResourceOutcome): ResourceOutcome {
  return entry.egress === undefined ? outcome : { ...outcome, egress: entry.egress };
}

export const UNTOUCHED_REASON: Readonly<Partial<Record<RunStatus, ReasonCode>>> = {
  planned: "planOnly",
  refused: "notExemptible",
  nothingToDo: "notBlocked",
  halted: "haltedByCanary",
  cancelled: "cancelled",
  approvalTimedOut: "approvalTimedOut",
};

export function untouchedMessage(status: RunStatus, entry: PlanEntry): string {
  switch (status) {
    case "planned":
      return entry.action === "refreshSubnet"
        ? `plan only: would add and remove ${entry.tempSubnetName ?? "a temporary subnet"} (${entry.tempSubnetPrefix ?? "?"})`
        : `plan only: would ${entry.steps.join(" → ")}`;
    case "refused":
      return "the subscription is not exemptible; nothing was changed";
    case "nothingToDo":
      return "port 25 is not blocked on this subscription; nothing to do";
    case "halted":
      return "the canary proof failed; the run halted before this resource";
    case "approvalTimedOut":
      return "the run was not approved in time; nothing was changed";
    default:
      return "the run was cancelled before this resource was started";
  }
}

export function statusMessage(
  status: RunStatus,
  classification: Classification,
  canary: CanaryResult | undefined,
  failed: number,
  haltReason: string | undefined,
): string {
  switch (status) {
    case "refused":
      return `Refused: ${classification.reason}.${classification.advice !== undefined ? ` ${classification.advice}` : ""}`;
    case "nothingToDo":
      return `Nothing to do: ${classification.reason}.`;
    case "planned":
      return "Plan only: nothing was changed.";
    case "halted":
      return haltReason !== undefined
        ? `Halted before changing anything: ${haltReason}.`
        : `Halted by the canary proof: ${canary?.detail ?? "no verdict"}. The rest of the fleet was not touched.`;
    case "cancelled":
      return "Cancelled: work in flight finished; nothing else was started.";
    case "approvalTimedOut":
      return "The run was not approved in time; nothing was changed.";
    case "completedWithFailures":
      return `Completed with ${failed} failure(s); see the per-resource outcomes.${pathsNotOut(canary?.paths)}`;
    default:
      return `Completed: every resource was cycled or skipped with a reason.${pathsNotOut(canary?.paths)}`;
  }
}

/** The waits on throttling or a conflict each page of the closing VM listing may spend before the run gives up on it. */
const LATE_LISTING_MAX_WAITS = 5;

/**
 * The VMs the subscription holds at the end of the run that the plan did not list: created after the plan, so
 * started under the new network policy (the exemption is in place). One statusOnly listing, followed page by page;
 * when ARM keeps refusing it, the run says so in a warning rather than wait on.
 */
export function* createdAfterPlan(
  run: Run,
  subscriptionId: string,
  plan: Plan,
): Generator<Task, ResourceOutcome[], unknown> {
  const planned = new Set(plan.entries.map((e) => resourceKey(e.resourceId)));
  const found: VmPowerStatus[] = [];
  let nextLink: string | undefined;
  for (;;) {
    const link = nextLink;
    const { last: page } = yield* retryWhileBusy(
      () =>
        run.activity(listVmPagesActivity, {
          subscriptionId,
          view: "status",
          // Only the VMs the plan did not list matter: the others' missing states are not read again.
          rereadUnknown: false,
          ...(link !== undefined ? { nextLink: link } : {}),
        }),
      (seconds) => run.sleep(seconds),
      { maxAttempts: 1 + LATE_LISTING_MAX_WAITS },
    );
    if (page.status !== "ok") {
      run.warnings.push(
        `VMs created after the plan could not be listed (${page.code}: ${clip(page.message, TEXT_LIMITS.note)})`,
      );
      break;
    }
    found.push(...page.statuses);
    nextLink = page.nextLink;
    if (nextLink === undefined) break;
    if (page.retryAfterSeconds !== undefined) yield* run.sleep(page.retryAfterSeconds);
  }
  const at = nowIso(run.context);
  return found
    .filter((s) => !planned.has(resourceKey(s.id)))
    .map((s) => {
      const name = /\/virtualMachines\/([^/]+)$/i.exec(s.id)?.[1] ?? s.id;
      const resourceGroup = /\/resourceGroups\/([^/]+)/i.exec(s.id)?.[1] ?? "";
      return {
        resourceId: s.id,
        kind: "vm" as const,
        name,
        resourceGroup,
        outcome: "skipped" as const,
        reasonCode: "createdAfterPlan" as const,
        message: `${name} was created after the plan: it started under the new network policy already (the exemption is in place); nothing was sent${s.powerState === "unknown" ? " (the listing gave no power state for it)" : ""}`,
        actions: [],
        stateAfter: s.powerState,
        endedAt: at,
      };
    });
}
