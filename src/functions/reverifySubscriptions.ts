/**
 * Timer (schedule from the app setting PORT25_REVERIFY_SCHEDULE): starts reverifySubscription for every subscription
 * whose latest run cycled the fleet, unless its re-verification or a remediation of it is live.
 */
import type { TriggerDefinition } from "./binding";
import type { InvocationContext, Timer } from "@azure/functions";
import type * as df from "durable-functions";
import type { TriggerRoot } from "./root";
import { SYSTEM_REVERIFICATION } from "../contracts/events";
import { REVERIFY_SUBSCRIPTION } from "../contracts/names";
import { parseWith } from "../contracts/parse";
import { remediationInstanceId } from "../contracts/remediation";
import { ReverifySubscriptionInput, reverifyInstanceId } from "../contracts/durable/reverifySubscription";
import { findLiveInstance } from "../durableClient";
import { clippedMessage, TEXT_LIMITS } from "../contracts/textLimits";

export interface ReverifySweep {
  started: { subscriptionId: string; instanceId: string; lastRunId: string }[];
  skipped: { subscriptionId: string; reason: "reverificationLive" | "remediationLive"; instanceId: string }[];
  failed: { subscriptionId: string; message: string }[];
  /** Set when nothing could be looked at (no audit store). */
  note?: string;
}

export async function reverifySubscriptions(
  root: TriggerRoot,
  _timer: Timer,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<ReverifySweep> {
  const sweep: ReverifySweep = { started: [], skipped: [], failed: [] };
  const store = root.auditStore;
  if (store === undefined) {
    sweep.note = "no audit table is configured: there is no record of completed runs to re-verify";
    context.warn(sweep.note);
    return sweep;
  }
  const config = root.config;
  for (const due of await store.listCompletedSubscriptions()) {
    const sub = due.subscriptionId;
    try {
      const instanceId = reverifyInstanceId(sub);
      if (await findLiveInstance(client, instanceId)) {
        sweep.skipped.push({ subscriptionId: sub, reason: "reverificationLive", instanceId });
        continue;
      }
      const remediation = remediationInstanceId(sub);
      if (await findLiveInstance(client, remediation)) {
        sweep.skipped.push({ subscriptionId: sub, reason: "remediationLive", instanceId: remediation });
        continue;
      }
      const input = parseWith(
        ReverifySubscriptionInput,
        {
          subscriptionId: sub,
          lastRunId: due.runId,
          autoRemediate: config.PORT25_AUTO_REMEDIATE,
          autoRemediateUnknownStarts: config.PORT25_AUTO_REMEDIATE_UNKNOWN,
          probeHost: config.PORT25_PROBE_HOST,
          // The timer acts as the system, never as a person: a stragglers' run it starts is recorded as this identity.
          requestedBy: SYSTEM_REVERIFICATION,
        },
        "re-verification input",
      );
      await client.startNew(REVERIFY_SUBSCRIPTION, { instanceId, input });
      sweep.started.push({ subscriptionId: sub, instanceId, lastRunId: due.runId });
    } catch (e) {
      // One subscription's failure must not keep the others from being checked.
      sweep.failed.push({ subscriptionId: sub, message: clippedMessage(e, TEXT_LIMITS.detail) });
    }
  }
  context.log(
    `re-verification: ${sweep.started.length} started, ${sweep.skipped.length} skipped, ${sweep.failed.length} failed`,
  );
  return sweep;
}

export const reverifySubscriptionsTrigger: TriggerDefinition = {
  kind: "clientTimer",
  name: "reverifySubscriptions",
  // An app-setting expression: the Functions host resolves it, so nothing is read at import time.
  schedule: "%PORT25_REVERIFY_SCHEDULE%",
  handler: reverifySubscriptions,
};
