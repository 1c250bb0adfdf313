/** A remediation instance on a local durable host: its progress, its end, and the events the app's endpoints raise. */
import type { DurableHost } from "../durable-host";
import { ProgressSchema, type Progress } from "../contracts/remediation";
import { activeLanesOf, liveProgressOn } from "../contracts/durable/runWave";
import { ApproveEventSchema, CancelEventSchema } from "../contracts/events";
import { APPROVE_EVENT, CANCEL_EVENT } from "../contracts/names";

/**
 * The run's progress as its status shows it, with what its running wave, lanes and chains have finished so far (as
 * the status endpoint counts them), so progress moves as each resource finishes.
 */
export function progressOf(host: DurableHost, instanceId: string): Progress | undefined {
  const s = host.getStatus(instanceId);
  if (s?.customStatus === undefined || s.customStatus === null) return undefined;
  const p = ProgressSchema.safeParse(s.customStatus);
  if (!p.success) return undefined;
  return liveProgressOn(p.data, (id) => host.getStatus(id)?.customStatus);
}

export function isLiveOn(host: DurableHost, instanceId: string): boolean {
  const s = host.getStatus(instanceId);
  return s !== undefined && (s.runtimeStatus === "Running" || s.runtimeStatus === "Pending");
}

/** Raises "cancel" as the cancel endpoint does: the run, then its active wave and every lane that wave lists. */
export function raiseCancel(host: DurableHost, instanceId: string, by: string): void {
  const event = CancelEventSchema.parse({ cancelledBy: by, cancelledAt: new Date(host.clock.now()).toISOString() });
  host.raiseEvent(instanceId, CANCEL_EVENT, event);
  for (const id of progressOf(host, instanceId)?.activeWaves ?? []) {
    if (!isLiveOn(host, id)) continue;
    host.raiseEvent(id, CANCEL_EVENT, event);
    for (const lane of activeLanesOf(host.getStatus(id)?.customStatus))
      if (isLiveOn(host, lane)) host.raiseEvent(lane, CANCEL_EVENT, event);
  }
}

export function raiseApprove(host: DurableHost, instanceId: string, by: string): void {
  host.raiseEvent(
    instanceId,
    APPROVE_EVENT,
    ApproveEventSchema.parse({ approvedBy: by, approvedAt: new Date(host.clock.now()).toISOString() }),
  );
}
