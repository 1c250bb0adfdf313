/** Durable-client helpers shared by the remediation triggers. */
import type { HttpRequest } from "@azure/functions";
import type * as df from "durable-functions";
import { ensureError } from "../errors";
import { errorResponse, HttpProblem } from "./http";
import { isLive } from "../domain/campaignMembers";

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

export async function findLiveInstance(
  client: df.DurableClient,
  instanceId: string,
  showInput = false,
): Promise<df.DurableOrchestrationStatus | undefined> {
  const status = await tryGetStatus(client, instanceId, showInput);
  return status && isLive(status) ? status : undefined;
}

/** Our own API's URLs for an instance (status, approve, cancel), relative to the request's origin. */
export function statusUrls(
  request: HttpRequest,
  instanceId: string,
): { statusUrl: string; approveUrl: string; cancelUrl: string } {
  const origin = new URL(request.url).origin;
  const base = `${origin}/api/remediations/${encodeURIComponent(instanceId)}`;
  return { statusUrl: base, approveUrl: `${base}/approve`, cancelUrl: `${base}/cancel` };
}

/**
 * The live remediation `instanceId` (the route's {id}) and its status. Throws the HTTP problem to answer otherwise
 * (404 unknown, 409 no longer running).
 */
export async function requireLiveInstance(
  client: df.DurableClient,
  instanceId: string,
  showInput = false,
): Promise<{ instanceId: string; status: df.DurableOrchestrationStatus }> {
  const status = await tryGetStatus(client, instanceId, showInput);
  if (!status) throw new HttpProblem(errorResponse(404, "NotFound", `No remediation instance ${instanceId}`));
  if (!isLive(status))
    throw new HttpProblem(errorResponse(409, "NotRunning", `Remediation ${instanceId} is ${status.runtimeStatus}`));
  return { instanceId, status };
}
