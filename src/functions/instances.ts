/** The remediation triggers' own answers about an instance: its URLs, and the live run a route names. */
import type { HttpRequest } from "@azure/functions";
import type * as df from "durable-functions";
import { errorResponse, HttpProblem } from "./http";
import { isLive } from "../domain/campaignMembers";
import { tryGetStatus } from "../durableClient";

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
