/**
 * POST /api/remediations/{id}/cancel: graceful cancel. "cancel" goes to the run first (no new VNet or wave starts),
 * then to the wave it lists as active (no new lane starts), then to each lane the wave lists as active (no new VM
 * starts); VMs in flight finish their cycle.
 */
import type { TriggerDefinition } from "./binding";
import type { TriggerRoot } from "./root";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { CANCEL_EVENT } from "../contracts/names";
import { CancelEventSchema, type CancelEvent } from "../contracts/events";
import { ProgressSchema } from "../contracts/remediation";
import { activeLanesOf } from "../contracts/durable/runWave";
import { type Caller, jsonResponse } from "./http";
import { requireLiveInstance, statusUrls } from "./instances";
import { tryGetStatus } from "../durableClient";
import { instanceIdParam } from "./params";
import { actionRequest } from "./request";
import { isLive } from "../domain/campaignMembers";

/**
 * Raises `event` as "cancel" to the live run `instanceId`, then to the wave its status lists as active, then to each
 * lane that wave lists: nothing new starts, work in flight finishes. Returns the waves and lanes signalled.
 */
export async function cancelRunCascade(
  client: df.DurableClient,
  instanceId: string,
  status: df.DurableOrchestrationStatus,
  event: CancelEvent,
): Promise<string[]> {
  await client.raiseEvent(instanceId, CANCEL_EVENT, event);
  const progress = ProgressSchema.safeParse(status.customStatus);
  const waves = progress.success ? (progress.data.activeWaves ?? []) : [];
  const signalled: string[] = [];
  // The run's active wave first, then the lanes it lists: a wave told first starts no lane after this.
  for (const waveId of waves) {
    const wave = await tryGetStatus(client, waveId);
    if (wave && isLive(wave)) {
      await client.raiseEvent(waveId, CANCEL_EVENT, event);
      signalled.push(waveId);
      const again = await tryGetStatus(client, waveId);
      for (const laneId of activeLanesOf(again?.customStatus)) {
        const lane = await tryGetStatus(client, laneId);
        if (lane && isLive(lane)) {
          await client.raiseEvent(laneId, CANCEL_EVENT, event);
          signalled.push(laneId);
        }
      }
    }
  }
  return signalled;
}

/** The cancel event `caller` raises, stamped now. */
export function cancelEventOf(root: TriggerRoot, caller: Caller): CancelEvent {
  return CancelEventSchema.parse({
    cancelledBy: caller.name,
    cancelledById: caller.id,
    cancelledAt: root.clock.now().toISOString(),
    ...(caller.authenticated ? {} : { unverified: true }),
  });
}

export async function cancelRemediation(
  root: TriggerRoot,
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return actionRequest(
    root,
    request,
    context,
    { role: "Port25.Operator", route: instanceIdParam },
    async ({ caller, route }) => {
      const { instanceId, status } = await requireLiveInstance(client, route);
      const event = cancelEventOf(root, caller);
      const signalled = await cancelRunCascade(client, instanceId, status, event);
      return jsonResponse(202, {
        instanceId,
        ...event,
        wavesAndLanesSignalled: signalled,
        ...statusUrls(request, instanceId),
      });
    },
  );
}

export const cancelRemediationTrigger: TriggerDefinition = {
  kind: "clientHttp",
  name: "cancelRemediation",
  route: "remediations/{id}/cancel",
  methods: ["POST"],
  handler: cancelRemediation,
};
