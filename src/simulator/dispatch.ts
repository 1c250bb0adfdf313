/**
 * What the front door (server.ts) serves a parsed request with: authentication, the tenant's routes, and a
 * subscription's routes under its own budgets and faults.
 */
import { ensureError } from "../errors";
import { ArmHttpError } from "./armError";
import type { FaultEngine, OperationName, RequestKind } from "./faults";
import { API_VERSIONS, type SimRequest, type SimResponse } from "./routeKit";
import { matchRoute, unknownPath } from "./routes";
import type { ComputeThrottler } from "./computeThrottle";
import type { Throttler } from "./throttle";
import { listDescendants, matchTenantRoute, type Hierarchy } from "./tenant";
import type { SimClock } from "./world/types";
import type { World } from "./world/world";
import { computeChargeOf } from "./computeCharge";
import type { RequestJournal, RequestLogEntry } from "./recorded";

export interface RequestCounters {
  requests: number;
  throttled: number;
}

/** One subscription as the front door serves it: its resources, its own ARM and Compute budgets and its faults. */
export interface SubscriptionHost {
  world: World;
  throttler: Throttler;
  compute: ComputeThrottler;
  faults: FaultEngine;
  counters: RequestCounters;
}

export interface FrontDoorDeps {
  /** By lower-cased subscription id. */
  subscriptions: ReadonlyMap<string, SubscriptionHost>;
  /** Tenant-level routes (management groups) and the tenant's own budget. */
  tenant: { hierarchy: Hierarchy; throttler: Throttler };
  clock: SimClock;
  token: string;
  endpoint: () => string;
  /** Receives every request once answered (the request log, or only its tally). */
  log: { push(entry: RequestLogEntry): void };
  /** Totals over every subscription and the tenant. */
  counters: RequestCounters;
  /**
   * Where every answer is made durable before it is sent (persist.ts): a simulator whose world is kept on disk
   * answers nothing it could forget, as Azure forgets nothing it answered.
   */
  journal?: RequestJournal | undefined;
  /** Waits a latency spike out; a replay does not wait (persist.ts). */
  sleep?: (ms: number) => Promise<void>;
}

/** The authorization action of an operation a scenario may deny (behaviour.deniedOperations), where it is known. */
const DENIED_ACTIONS: Partial<Record<OperationName, string>> = {
  getEffectiveRouteTable: "Microsoft.Network/networkInterfaces/effectiveRouteTable/action",
  connectivityCheck: "Microsoft.Network/networkWatchers/connectivityCheck/action",
  listRouteTables: "Microsoft.Network/routeTables/read",
  listNics: "Microsoft.Network/networkInterfaces/read",
};

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Incoming {
  method: string;
  url: URL;
  segments: string[];
  apiVersion: string | undefined;
  kind: RequestKind;
  raw: string;
  authorization: string | undefined;
  entry: RequestLogEntry;
  /** Headers every answer to this request carries, whatever it is (Compute's remaining budgets). */
  extra: { computeHeaders?: Record<string, string> };
}

export async function serve(d: FrontDoorDeps, host: SubscriptionHost | undefined, q: Incoming): Promise<SimResponse> {
  // Authentication comes first at ARM's front door: nothing else is disclosed to an unknown caller.
  if (q.authorization === undefined || q.authorization === "")
    throw new ArmHttpError(
      401,
      "AuthenticationFailed",
      "Authentication failed. The 'Authorization' header is missing.",
    );
  if (q.authorization !== `Bearer ${d.token}`)
    throw new ArmHttpError(401, "InvalidAuthenticationToken", "The access token is invalid.");
  if (q.entry.subscriptionId === undefined) return serveTenant(d, q);
  if (host === undefined) {
    if (q.segments.length === 2)
      throw new ArmHttpError(
        404,
        "SubscriptionNotFound",
        `The subscription '${q.segments[1] ?? ""}' could not be found.`,
      );
    throw new ArmHttpError(
      403,
      "AuthorizationFailed",
      `The client does not have authorization to perform action over scope '${q.url.pathname}' or the scope is invalid.`,
    );
  }
  return serveSubscription(d, host, q);
}

/** A path outside any subscription: the tenant's budget, then the tenant-level routes (management groups). */
function serveTenant(d: FrontDoorDeps, q: Incoming): SimResponse {
  if (q.apiVersion === undefined)
    throw new ArmHttpError(
      400,
      "MissingApiVersionParameter",
      "The api-version query parameter (?api-version=) is required for all requests.",
    );
  const budget = d.tenant.throttler.take(q.kind, d.clock.now());
  if (!budget.ok) {
    d.counters.throttled += 1;
    q.entry.throttledBy = "tenant";
    throw new ArmHttpError(
      429,
      "TenantRequestsThrottled",
      `Number of '${q.kind}' requests for the tenant exceeded. Please try again after '${budget.retryAfterSeconds}' seconds.`,
      { "retry-after": String(budget.retryAfterSeconds) },
    );
  }
  const matched = matchTenantRoute(q.method, q.segments);
  if (matched === undefined) throw unknownPath(undefined, q.segments);
  q.entry.operation = matched.operation;
  return listDescendants(d.tenant.hierarchy, matched.groupId, {
    method: q.method,
    segments: q.segments,
    query: q.url.searchParams,
    pathname: q.url.pathname,
    apiVersion: q.apiVersion,
    endpoint: d.endpoint(),
  });
}

async function serveSubscription(d: FrontDoorDeps, host: SubscriptionHost, q: Incoming): Promise<SimResponse> {
  const w = host.world;
  const throttled = (): void => {
    d.counters.throttled += 1;
    host.counters.throttled += 1;
  };
  if (q.apiVersion === undefined)
    throw new ArmHttpError(
      400,
      "MissingApiVersionParameter",
      "The api-version query parameter (?api-version=) is required for all requests.",
    );
  const now = d.clock.now();
  // Other actors' events due by now take effect first, each at its own time (actors.ts).
  w.settleActors(now);
  const budget = host.throttler.take(q.kind, now);
  if (!budget.ok) {
    throttled();
    q.entry.throttledBy = "subscription";
    throw new ArmHttpError(
      429,
      "SubscriptionRequestsThrottled",
      `Number of '${q.kind}' requests for subscription '${w.subscriptionId}' exceeded. Please try again after '${budget.retryAfterSeconds}' seconds.`,
      { "retry-after": String(budget.retryAfterSeconds) },
    );
  }
  const matched = matchRoute(q.method, q.segments);
  if (matched === undefined) throw unknownPath(w, q.segments);
  const { route, params } = matched;
  q.entry.operation = route.operation;
  if (!API_VERSIONS[route.family].includes(q.apiVersion))
    throw new ArmHttpError(
      400,
      "InvalidApiVersionParameter",
      `The api-version '${q.apiVersion}' is invalid. The supported versions are '${API_VERSIONS[route.family].join(",")}'.`,
    );
  // The product's first write on a VM: events scripted for that moment land just before it is handled
  // (a lock put then already refuses it).
  if (q.method !== "GET" && params["vm"] !== undefined && params["rg"] !== undefined)
    w.touch(
      `/subscriptions/${w.subscriptionId}/resourcegroups/${params["rg"]}/providers/microsoft.compute/virtualmachines/${params["vm"]}`,
      now,
    );
  // Management locks are ARM's own check, before any resource provider (and its buckets) sees the request.
  // ARM's role check: an operation the scenario's role is not granted is refused before any resource provider sees it.
  if (w.scenario.behaviour.deniedOperations.includes(route.operation)) {
    const action = DENIED_ACTIONS[route.operation];
    throw new ArmHttpError(
      403,
      "AuthorizationFailed",
      `The client does not have authorization to perform action '${action ?? route.operation}' over scope '${q.url.pathname}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }
  w.governance.enforce(q.method, q.url.pathname);
  // Microsoft.Compute's own buckets, behind ARM's: the route's operation tells the policy.
  const charge = host.compute.enabled ? computeChargeOf(w, route.operation, route.family, params) : undefined;
  if (charge !== undefined) {
    const verdict = host.compute.take(charge, now);
    q.extra.computeHeaders = verdict.headers;
    if (!verdict.ok) {
      throttled();
      q.entry.throttledBy = "compute";
      const detail = {
        operationGroup: verdict.operationGroup,
        startTime: verdict.startTime,
        endTime: verdict.endTime,
        allowedRequestCount: verdict.allowedRequestCount,
        measuredRequestCount: verdict.measuredRequestCount,
      };
      throw new ArmHttpError(
        429,
        "OperationNotAllowed",
        "The server rejected the request because too many requests have been received for this subscription.",
        { "retry-after": String(verdict.retryAfterSeconds) },
        [{ code: "TooManyRequests", target: verdict.operationGroup, message: JSON.stringify(detail) }],
      );
    }
  }
  const ctx = {
    operation: route.operation,
    kind: q.kind,
    path: q.url.pathname.toLowerCase(),
    apiVersion: q.apiVersion,
  };
  const faults = host.faults;
  const spike = faults.take("latencySpike", ctx);
  if (spike !== undefined && spike.responseDelayMs > 0) await (d.sleep ?? delay)(spike.responseDelayMs);
  const storm = faults.take("throttleStorm", ctx);
  if (storm !== undefined) {
    throttled();
    throw new ArmHttpError(
      429,
      "SubscriptionRequestsThrottled",
      `Number of '${q.kind}' requests for subscription '${w.subscriptionId}' exceeded.`,
      storm.retryAfterSeconds === null ? {} : { "retry-after": String(storm.retryAfterSeconds) },
    );
  }
  const fiveXx = faults.take("http5xx", ctx);
  if (fiveXx !== undefined)
    throw new ArmHttpError(
      fiveXx.status,
      fiveXx.code ?? (fiveXx.status === 503 ? "ServiceUnavailable" : "InternalServerError"),
      "The server encountered a transient error. Retry the request.",
    );
  const conflict = faults.take("conflict", ctx);
  if (conflict !== undefined) {
    if (conflict.status === 429)
      throw new ArmHttpError(
        429,
        conflict.code ?? "RetryableErrorDueToAnotherOperation",
        conflict.message ?? "Another operation on this or a dependent resource is in progress. Retry later.",
        { "retry-after": "1" },
      );
    throw new ArmHttpError(
      409,
      conflict.code ?? "AnotherOperationInProgress",
      conflict.message ?? "Another operation on this or dependent resource is in progress.",
    );
  }
  let body: unknown = undefined;
  if (q.raw.trim() !== "") {
    try {
      body = JSON.parse(q.raw);
    } catch (e) {
      throw new ArmHttpError(
        400,
        "InvalidRequestContent",
        `The request content was invalid and could not be deserialized: ${ensureError(e).message}`,
      );
    }
  }
  const request: SimRequest = {
    method: q.method,
    params,
    query: q.url.searchParams,
    pathname: q.url.pathname,
    body,
    apiVersion: q.apiVersion,
    ctx: spike === undefined ? ctx : { ...ctx, spike },
    now,
    endpoint: d.endpoint(),
  };
  return route.handle(w, request);
}
