/**
 * The answers of long-running operations: the first answer in the shape ARM chose (synchronous, or 202/201 with
 * Azure-AsyncOperation and/or Location), the status URL, and the Location URL with the result or the failure.
 */
import { ArmHttpError } from "./armError";
import { operationStatusBody } from "./bodies";
import type { SimRequest, SimResponse } from "./routeKit";
import type { LroShape } from "./shapes";
import type { Operation } from "./world/types";
import type { World } from "./world/world";

// ------------------------------------------------------------------ long-running operations

export function asyncUrls(r: SimRequest, op: Operation): { azureAsync: string; location: string } {
  const base = `${r.endpoint}/subscriptions/${r.params["sub"] ?? ""}/providers/${op.provider}/locations/${op.location}`;
  const v = encodeURIComponent(op.apiVersion);
  if (op.provider === "Microsoft.Compute")
    return {
      azureAsync: `${base}/operations/${op.id}?p=${op.id.slice(0, 8)}&api-version=${v}`,
      location: `${base}/operations/${op.id}?p=${op.id.slice(0, 8)}&monitor=true&api-version=${v}`,
    };
  return {
    azureAsync: `${base}/operations/${op.id}?api-version=${v}`,
    location: `${base}/operationResults/${op.id}?api-version=${v}`,
  };
}

/**
 * The first answer of a long-running operation in the chosen shape (shapes.ts). `status` and `body` are those of an
 * asynchronous answer (202 unless a PUT's 200/201); a synchronous one is `syncStatus` with `syncBody`.
 */
export function accepted(
  r: SimRequest,
  op: Operation,
  shape: LroShape,
  o: { status?: number; body?: unknown; syncStatus?: number; syncBody?: unknown } = {},
): SimResponse {
  if (shape === "synchronous") {
    const body = o.syncBody ?? o.body;
    return body === undefined ? { status: o.syncStatus ?? 200 } : { status: o.syncStatus ?? 200, body };
  }
  const u = asyncUrls(r, op);
  const headers: Record<string, string> = {};
  if (shape === "azureAsyncOperation" || shape === "azureAsyncOperationAndLocation")
    headers["azure-asyncoperation"] = u.azureAsync;
  if (shape === "location" || shape === "azureAsyncOperationAndLocation") headers["location"] = u.location;
  // The resource's own URL, as the request named it (a GET there reads it; 404 once it is gone).
  if (shape === "resourceLocation")
    headers["location"] = `${r.endpoint}${r.pathname}?api-version=${encodeURIComponent(r.apiVersion)}`;
  const status = o.status ?? 202;
  return o.body === undefined ? { status, headers } : { status, headers, body: o.body };
}

function operationOr404(w: World, r: SimRequest, provider: Operation["provider"]): Operation {
  const op = w.operations.get(r.params["op"] ?? "");
  if (op === undefined || op.provider.toLowerCase() !== provider.toLowerCase())
    throw new ArmHttpError(404, "OperationNotFound", `The operation '${r.params["op"] ?? ""}' was not found.`);
  return op;
}

export function operationStatus(w: World, r: SimRequest, provider: Operation["provider"]): SimResponse {
  const op = operationOr404(w, r, provider);
  return { status: 200, body: operationStatusBody(op, w.settleOperation(op, r.now)) };
}

/**
 * The Location URL: 202 while running, then 200 (never 204: the modular compute poller rejects it) with the result,
 * or the operation's failure as an error status: 409 for a conflict it lost (allocation, another operation), else 500.
 */
export function operationResult(w: World, r: SimRequest, provider: Operation["provider"]): SimResponse {
  const op = operationOr404(w, r, provider);
  const status = w.settleOperation(op, r.now);
  if (status === "InProgress")
    return { status: 202, headers: { location: `${r.endpoint}${r.pathname}?${r.query.toString()}` } };
  if (status === "Failed") {
    const f = op.failure ?? { code: "InternalExecutionError", message: "The operation failed." };
    const codes = [f.code, ...(f.details ?? []).map((d) => d.code)].join(" ");
    return { status: /allocation|anotheroperation|retryable/i.test(codes) ? 409 : 500, body: { error: f } };
  }
  return op.result === undefined ? { status: 200 } : { status: 200, body: op.result };
}
