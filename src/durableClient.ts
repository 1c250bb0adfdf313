/**
 * Reading an instance through the durable client, shared by the triggers and the activities that start and follow a
 * run (startRun, readRun): what the client says of an id that was never used or was purged is "not there", not an
 * error.
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

/** The instance's status while it may still act (Pending, Running, Suspended), else undefined. */
export async function findLiveInstance(
  client: df.DurableClient,
  instanceId: string,
  showInput = false,
): Promise<df.DurableOrchestrationStatus | undefined> {
  const status = await tryGetStatus(client, instanceId, showInput);
  return status && isLive(status) ? status : undefined;
}
