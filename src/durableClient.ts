/**
 * Reading an instance and raising events to it through the durable client, shared by the triggers and the activities
 * that start, follow and signal runs (startRun, readRun, signalRunEnded, relayCancel): what the client says of an id
 * that was never used or was purged is "not there", not an error.
 */
import type * as df from "durable-functions";
import { ensureError } from "./errors";
import { isLive } from "./domain/campaignMembers";

/** The instance's status, or undefined when it does not exist. */
export async function tryGetStatus(
  client: df.DurableClient,
  instanceId: string,
  showInput = false,
): Promise<df.DurableOrchestrationStatus | undefined> {
  try {
    const status = await client.getStatus(instanceId, { showInput });
    return status.instanceId ? status : undefined;
  } catch (e) {
    const message = ensureError(e).message;
    if (/404|not found/i.test(message)) return undefined;
    throw e;
  }
}

/**
 * Raises `name` to `instanceId`; false when there is no such instance (404: never created, or purged). An instance
 * that has ended takes the event and ignores it (the extension answers 410, which the client treats as delivered).
 */
export async function tryRaiseEvent(
  client: df.DurableClient,
  instanceId: string,
  name: string,
  payload: unknown,
): Promise<{ delivered: true } | { delivered: false; detail: string }> {
  try {
    await client.raiseEvent(instanceId, name, payload);
    return { delivered: true };
  } catch (e) {
    const message = ensureError(e).message;
    if (/No instance with ID|\b404\b/i.test(message)) return { delivered: false, detail: message };
    throw e;
  }
}

/** The instance's status while it may still act (Pending, Running, Suspended), else undefined. */
export async function findLiveInstance(
  client: df.DurableClient,
  instanceId: string,
  showInput = false,
): Promise<df.DurableOrchestrationStatus | undefined> {
  const status = await tryGetStatus(client, instanceId, showInput);
  return status && isLive(status) ? status : undefined;
}
