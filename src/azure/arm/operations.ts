/** Long-running operations: a handle from ARM's first answer, and one poll of its status. */
import type { PipelineResponse } from "@azure/core-rest-pipeline";
import { z } from "zod";
import {
  OperationHandleSchema,
  OperationStatusSchema,
  type OperationHandle,
  type OperationStatus,
} from "../../contracts/azure";
import { parseWith } from "../../contracts/parse";
import {
  armErrorFromBody,
  errorFromResponse,
  isBusyFailure,
  retryAfterSecondsFrom,
  unwrapArmError,
  type ArmErrorDetail,
} from "../errors";
import type { OperationStatusOperations } from "../gateway";
import { type ArmRequests, invalidHandle, optional, optionalRetryAfter, parseJson } from "./requests";

export class OperationStatusReads implements OperationStatusOperations {
  constructor(private readonly arm: ArmRequests) {}

  /**
   * One GET of the Azure-AsyncOperation URL (its body's `status`), or else of the Location URL: 202 = running,
   * 2xx = done, and an error status is the operation's failure (as the SDK's own poller reads it), except the
   * front door's throttling and unavailability, which throw (retryable). When the Location is the deleted
   * resource's own URL, 404 there = done and 200 = still there (its provisioningState says whether still deleting).

   *
   * Polling is ours rather than the SDKs' resumable pollers (`restorePoller` in arm-compute, `resumeFrom` in
   * arm-network), for these reasons:
   * - The handle lives in orchestration history, which a replay reads back, possibly after an upgrade: ours is plain
   *   data under a zod schema (OperationHandleSchema); a serialised poller is core-lro's own opaque state, in two
   *   formats here (compute is on core-lro 3, network on core-lro 2), free to change with any SDK release.
   * - One request per poll, timed by the orchestration: a durable timer between polls, paced from Retry-After and
   *   the rate-limit headers (pacing.ts). A restored poller sleeps inside the activity between requests (holding a
   *   worker), and compute's sends a further GET of the Location URL once the status says done.
   * - The token goes only to the configured ARM origin (onEndpoint): a poller GETs whatever URL the headers name.
   * - ARM's answers are read as ARM sends them: a Location that is the deleted resource itself (404 = done), 204
   *   on a final Location GET (which compute 24's poller rejects), and error statuses as the operation's failure
   *   while the front door's throttling stays retryable.
   */
  getOperationStatus(handle: OperationHandle): Promise<OperationStatus> {
    return this.arm.call("getOperationStatus", async () => {
      const h = parseWith(OperationHandleSchema, handle, "operation handle");
      if (h.completed) return { status: "Succeeded" };
      const url = h.asyncOperationUrl ?? h.locationUrl;
      if (url === undefined)
        throw invalidHandle("getOperationStatus", "it has neither an Azure-AsyncOperation nor a Location URL");
      const response = await this.arm.send(
        this.arm.clients.generic(),
        "GET",
        this.arm.onEndpoint(url, "getOperationStatus"),
      );
      const retryAfterSeconds = retryAfterSecondsFrom(response.headers);
      const wait = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
      if (h.asyncOperationUrl !== undefined) {
        if (response.status !== 200 && response.status !== 202) throw errorFromResponse("getOperationStatus", response);
        const body = parseWith(AsyncOperationBodySchema, parseJson(response.bodyAsText), "async operation response");
        const status = asyncStatus(body.status ?? "InProgress");
        if (status === "Failed" || status === "Canceled") {
          return parseWith(
            OperationStatusSchema,
            {
              status,
              error: operationError(
                body.error?.code ?? (status === "Failed" ? "OperationFailed" : "OperationCanceled"),
                body.error?.message ?? `The operation ended ${status}.`,
                body.error?.details ?? [],
              ),
            },
            "operation status",
          );
        }
        return parseWith(
          OperationStatusSchema,
          { status, ...(status === "InProgress" ? wait : {}) },
          "operation status",
        );
      }
      if (h.locationIsResource === true) return resourceDeleteStatus(response, wait);
      if (response.status === 202)
        return parseWith(OperationStatusSchema, { status: "InProgress", ...wait }, "operation status");
      if (response.status >= 200 && response.status < 300) return { status: "Succeeded" };
      if (LOCATION_POLL_TRANSIENT.has(response.status)) throw errorFromResponse("getOperationStatus", response);
      const body = armErrorFromBody(response.bodyAsText ?? "");
      const failure = errorFromResponse("getOperationStatus", response);
      return parseWith(
        OperationStatusSchema,
        { status: "Failed", error: operationError(failure.code, body.message ?? failure.message, body.details ?? []) },
        "operation status",
      );
    });
  }
}
const ArmErrorDetailSchema = z.object({ code: z.string().optional(), message: z.string().optional() }).loose();

const AsyncOperationBodySchema = z.object({
  status: z.string().optional(),
  error: z
    .object({
      code: z.string().optional(),
      message: z.string().optional(),
      details: z.array(ArmErrorDetailSchema).optional(),
    })
    .optional(),
});

/** Statuses at a Location URL that are the front door's (throttled, unavailable), not the operation's failure. */
const LOCATION_POLL_TRANSIENT = new Set([408, 429, 502, 503, 504]);

/** An operation's failure, flagged retryable when it lost to another operation on the same resource. */
function operationError(
  wrapped: string,
  wrappedMessage: string,
  details: readonly ArmErrorDetail[],
): OperationStatus["error"] {
  // A wrapper (ResourceOperationFailure) is read as the code it wraps, so an allocation failure is one.
  const { code, message } = unwrapArmError({ code: wrapped, message: wrappedMessage, details });
  return { code, message, ...(isBusyFailure(code, message, details) ? { retryable: true } : {}) };
}

const ResourceBodySchema = z
  .object({ properties: z.object({ provisioningState: z.string().optional() }).loose().optional() })
  .loose();

/**
 * A poll of a resource being deleted, at its own URL: 404 = deleted; 200 = still there, still deleting unless its
 * provisioningState says the delete is over (Failed, or back to Succeeded: the delete did not happen, send it again).
 */
function resourceDeleteStatus(response: PipelineResponse, wait: { retryAfterSeconds?: number }): OperationStatus {
  if (response.status === 404) return { status: "Succeeded" };
  if (response.status === 200 || response.status === 202) {
    const state = parseWith(
      ResourceBodySchema,
      parseJson(response.bodyAsText),
      "resource",
    ).properties?.provisioningState?.toLowerCase();
    if (state === "failed")
      return {
        status: "Failed",
        error: {
          code: "DeleteFailed",
          message: "The resource ended in provisioning state Failed while being deleted.",
        },
      };
    if (state === "succeeded") {
      return {
        status: "Failed",
        error: {
          code: "DeleteNotApplied",
          message: "The resource is still present and no longer being deleted.",
          retryable: true,
        },
      };
    }
    return parseWith(OperationStatusSchema, { status: "InProgress", ...wait }, "operation status");
  }
  throw errorFromResponse("getOperationStatus", response);
}

/** A handle from ARM's answer to an LRO's initial request. */
export function handleFromResponse(operation: string, response: PipelineResponse, accepted: number[]): OperationHandle {
  if (!accepted.includes(response.status)) throw errorFromResponse(operation, response);
  const asyncOperationUrl = response.headers.get("azure-asyncoperation") ?? response.headers.get("operation-location");
  const locationUrl = response.headers.get("location");
  return parseWith(
    OperationHandleSchema,
    {
      ...optional("asyncOperationUrl", asyncOperationUrl),
      ...optional("locationUrl", locationUrl),
      ...optionalRetryAfter(response),
      // 200/201/204 without anything to poll means ARM finished synchronously.
      completed: response.status !== 202 && asyncOperationUrl === undefined,
    },
    "operation handle",
  );
}

function asyncStatus(status: string): OperationStatus["status"] {
  const s = status.toLowerCase();
  if (s === "succeeded") return "Succeeded";
  if (s === "failed") return "Failed";
  if (s === "canceled" || s === "cancelled") return "Canceled";
  return "InProgress";
}
