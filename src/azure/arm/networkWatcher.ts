/** Network Watcher: the watchers of a subscription and connectivity checks (Microsoft.Network). */
import type { NetworkWatcher } from "@azure/arm-network";
import type { PipelineResponse } from "@azure/core-rest-pipeline";
import { z } from "zod";
import { NetworkWatcherInfoSchema, type NetworkWatcherInfo } from "../../contracts/discovery";
import {
  ConnectivityResultSchema,
  ConnectivityStartSchema,
  OperationHandleSchema,
  type ConnectivityResult,
  type ConnectivityStart,
  type ConnectivityVerdict,
  type OperationHandle,
} from "../../contracts/azure";
import { parseWith } from "../../contracts/parse";
import { AzureOperationError } from "../../errors";
import { errorFromResponse } from "../errors";
import type { NetworkWatcherOperations } from "../gateway";
import {
  armIdentity,
  type ArmRequests,
  collect,
  invalidHandle,
  optional,
  optionalRetryAfter,
  parseJson,
  requireId,
} from "./requests";
import { handleFromResponse } from "./operations";
import { NETWORK_API_VERSION } from "./network";

export class NetworkWatcherOperationsImpl implements NetworkWatcherOperations {
  constructor(private readonly arm: ArmRequests) {}

  listNetworkWatchers(subscriptionId: string): Promise<NetworkWatcherInfo[]> {
    return this.arm.call("listNetworkWatchers", async () => {
      const watchers = await collect<NetworkWatcher>(
        this.arm.clients.network(subscriptionId).networkWatchers.listAll(),
      );
      return watchers.map((w) => {
        return parseWith(
          NetworkWatcherInfoSchema,
          armIdentity(w, "Microsoft.Network/networkWatchers").identity,
          "network watcher",
        );
      });
    });
  }

  /** 200 carries the result at once; 202 gives a handle whose Location serves it once the check has finished. */
  beginConnectivityCheck(
    watcher: NetworkWatcherInfo,
    vmId: string,
    host: string,
    port: number,
  ): Promise<ConnectivityStart> {
    return this.arm.call("connectivityCheck", async () => {
      const w = requireId(watcher.id, "Microsoft.Network/networkWatchers");
      requireId(vmId, "Microsoft.Compute/virtualMachines");
      const path =
        `/subscriptions/${w.subscriptionId}/resourceGroups/${encodeURIComponent(w.resourceGroup)}` +
        `/providers/Microsoft.Network/networkWatchers/${encodeURIComponent(w.name)}/connectivityCheck?api-version=${NETWORK_API_VERSION}`;
      const response = await this.arm.send(this.arm.clients.network(w.subscriptionId), "POST", path, {
        source: { resourceId: vmId },
        destination: { address: host, port },
        protocol: "Tcp",
      });
      if (response.status === 200) {
        return parseWith(
          ConnectivityStartSchema,
          { status: "done", result: connectivityResultFrom(response) },
          "connectivity check",
        );
      }
      const handle = handleFromResponse("connectivityCheck", response, [202]);
      // The result is served at the Location only; a 202 without one leaves nothing to read it from.
      if (handle.locationUrl === undefined)
        throw invalidHandle("connectivityCheck", "ARM accepted the check (202) without a Location URL");
      return parseWith(ConnectivityStartSchema, { status: "started", handle }, "connectivity check");
    });
  }

  getConnectivityResult(handle: OperationHandle): Promise<ConnectivityResult> {
    return this.arm.call("getConnectivityResult", async () => {
      const h = parseWith(OperationHandleSchema, handle, "operation handle");
      if (h.locationUrl === undefined) throw invalidHandle("getConnectivityResult", "it has no Location URL");
      const response = await this.arm.send(
        this.arm.clients.generic(),
        "GET",
        this.arm.onEndpoint(h.locationUrl, "getConnectivityResult"),
      );
      if (response.status === 202) {
        throw new AzureOperationError("getConnectivityResult", "the connectivity check is still running", {
          code: "OperationInProgress",
          statusCode: 202,
          retryable: true,
          ...optionalRetryAfter(response),
        });
      }
      if (response.status !== 200) throw errorFromResponse("getConnectivityResult", response);
      return connectivityResultFrom(response);
    });
  }
}
const ConnectivityBodySchema = z.object({
  connectionStatus: z.string().optional(),
  probesSent: z.number().optional(),
  probesFailed: z.number().optional(),
  hops: z
    .array(
      z.object({
        issues: z.array(z.object({ origin: z.string().optional(), type: z.string().optional() })).optional(),
      }),
    )
    .optional(),
});

/**
 * The connectivity check's verdict on the port. The spec's vocabulary is Connected | Disconnected | Degraded |
 * Unknown; the CLI and PowerShell documentation show Reachable | Unreachable. Degraded means some probes failed: the
 * platform's port-25 block drops every connection, so one probe through is a TCP handshake with the host, and the
 * port is open (the loss is the path's); with every probe failed, or no counts, it is no better than Disconnected.
 * Unknown (and any word the product does not know) is no verdict.
 */
export function connectivityVerdict(
  status: string,
  probesSent: number | undefined,
  probesFailed: number | undefined,
): ConnectivityVerdict {
  switch (status.toLowerCase()) {
    case "connected":
    case "reachable":
      return "reachable";
    case "disconnected":
    case "unreachable":
      return "unreachable";
    case "degraded":
      return probesSent !== undefined && probesFailed !== undefined && probesSent > probesFailed
        ? "reachable"
        : "unreachable";
    default:
      return "inconclusive";
  }
}

function connectivityResultFrom(response: PipelineResponse): ConnectivityResult {
  const body = parseWith(ConnectivityBodySchema, parseJson(response.bodyAsText), "connectivity check response");
  const status = body.connectionStatus ?? "Unknown";
  const verdict = connectivityVerdict(status, body.probesSent, body.probesFailed);
  const issues = (body.hops ?? []).flatMap((hop) =>
    (hop.issues ?? []).map((i) => [i.origin, i.type].filter((part) => part !== undefined).join(": ")),
  );
  return parseWith(
    ConnectivityResultSchema,
    {
      connectionStatus: status,
      verdict,
      reachable: verdict === "reachable",
      issues,
      ...optional("probesSent", body.probesSent),
      ...optional("probesFailed", body.probesFailed),
    },
    "connectivity result",
  );
}
