/**
 * The reads of a scheduled re-verification (orchestrations/reverifySubscription.ts): classification, discovery, the
 * Activity Log's power events and the tagged canary's probe, each waiting out throttling and answering with a reason
 * instead of failing the whole re-verification.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { activityTask, callActivity } from "./toolkit/calls";
import type { ActivityDefinition } from "../src/contracts/define";
import { classifySubscriptionActivity } from "../src/contracts/durable/classifySubscription";
import { discoverSubscription } from "./discovery";
import type { Classification } from "../src/contracts/classification";
import type { Discovery, VmInfo } from "../src/contracts/discovery";
import { RemediationOptionsSchema } from "../src/contracts/options";
import type { CanaryResult } from "../src/contracts/remediation";
import type { Straggler } from "../src/contracts/reverify";
import { hasCanaryTag } from "../src/domain/planRules";
import { readPowerEventsActivity } from "../src/contracts/durable/readPowerEvents";
import { activityLogWindow, type ActivityLogView } from "../src/domain/stragglers";
import { clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";
import { probeSmtp } from "./probeSmtp";
import { classifyWithWaits, MAX_READ_ATTEMPTS, sleep, transientRetry } from "./shared";
import { watcherIn } from "./subscriptionCanary";
import { retryWhileBusy } from "./toolkit/retry";

/** Classifies the subscription as a remediation does (orchestrations/shared.ts). */
export function classify(
  context: OrchestrationContext,
  subscriptionId: string,
): Generator<Task, Classification, unknown> {
  return classifyWithWaits(
    () => callActivity(context, classifySubscriptionActivity, { subscriptionId }, transientRetry()),
    (seconds) => sleep(context, seconds),
  );
}

/** Lists the subscription's resources (orchestrations/discovery.ts), waiting out throttling; a message when it cannot. */
export function* discover(
  context: OrchestrationContext,
  subscriptionId: string,
): Generator<Task, Discovery | string, unknown> {
  try {
    const { discovery } = yield* discoverSubscription(
      {
        call: (def, input) => callRaw(context, def, input),
        sleep: (seconds) => sleep(context, seconds),
        nowMs: () => context.df.currentUtcDateTime.getTime(),
        cancelled: () => false,
      },
      subscriptionId,
      RemediationOptionsSchema.parse({}),
      DISCOVERY_BUDGET_SECONDS,
    );
    return discovery;
  } catch (e) {
    return clippedMessage(e, TEXT_LIMITS.detail);
  }
}

/** How long discovery keeps waiting out throttling and conflicts without progress. */
const DISCOVERY_BUDGET_SECONDS = 30 * 60;

function* callRaw(
  context: OrchestrationContext,
  def: ActivityDefinition,
  input: unknown,
): Generator<Task, unknown, unknown> {
  const raw: unknown = yield activityTask(context, def, input, transientRetry());
  return raw;
}

/**
 * The Activity Log's deallocate and start events over its whole retention, waiting out throttling; the reason
 * instead when it cannot be read (every start not otherwise established is then reported startUnknown).
 */
export function* readActivityLog(
  context: OrchestrationContext,
  subscriptionId: string,
  at: string,
  exemptionEffectiveAt: string,
): Generator<Task, ActivityLogView | string, unknown> {
  const { from, to } = activityLogWindow(at);
  try {
    const { last: out } = yield* retryWhileBusy(
      () =>
        callActivity(
          context,
          readPowerEventsActivity,
          { subscriptionId, from, to, exemptionEffectiveAt },
          transientRetry(),
        ),
      (seconds) => sleep(context, seconds),
      { maxAttempts: MAX_READ_ATTEMPTS },
    );
    return out.status === "ok" ? { from: out.from, to: out.to, events: out.events } : `${out.code}: ${out.message}`;
  } catch (e) {
    return clippedMessage(e, TEXT_LIMITS.detail);
  }
}

/**
 * Probes TCP 25 from a tagged canary, when one is configured: a running VM tagged port25-canary=true with the
 * Network Watcher agent, started since the exemption took effect (one started earlier is expected to fail).
 */
export function* probeCanary(
  context: OrchestrationContext,
  discovery: Discovery,
  stragglers: readonly Straggler[],
  probeHost: string,
): Generator<Task, CanaryResult, unknown> {
  const base = { probeHost, verification: "canaryProbe" as const };
  const tagged = discovery.vms.filter((vm) => hasCanaryTag(vm.tags));
  if (tagged.length === 0) {
    return {
      ...base,
      vmIds: [],
      result: "skipped",
      detail:
        "no canary configured: tag a VM port25-canary=true (with the Network Watcher agent) to have re-verification probe TCP 25 from it",
    };
  }
  const stale = new Set(stragglers.map((s) => s.resourceId.toLowerCase()));
  const eligible: VmInfo | undefined = tagged.find(
    (vm) => vm.powerState === "running" && vm.networkWatcherAgent && !stale.has(vm.id.toLowerCase()),
  );
  if (eligible === undefined) {
    return {
      ...base,
      vmIds: tagged.map((vm) => vm.id),
      result: "unavailable",
      detail: `no tagged canary can be probed: each is not running, lacks the Network Watcher agent, or was not started since the exemption (${tagged.map((vm) => vm.name).join(", ")})`,
    };
  }
  const vmIds = [eligible.id];
  const watcher = watcherIn(discovery, eligible.location);
  if (watcher === undefined) {
    return {
      ...base,
      vmIds,
      result: "unavailable",
      detail: `no Network Watcher in region ${eligible.location} to probe from ${eligible.name}`,
    };
  }
  const verdict = yield* probeSmtp(context, {
    vmId: eligible.id,
    vmName: eligible.name,
    watcher,
    host: probeHost,
    unreachableMeans: "port 25 may be blocked again",
  });
  return { ...base, vmIds, result: verdict.result, detail: verdict.detail, ...verdict.facts };
}
