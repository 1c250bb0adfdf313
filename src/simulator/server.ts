/** The HTTPS front door: bearer check, api-version, throttling, request faults, routing, logging. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
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
import { readRequestBody } from "../httpBody";
import { computeChargeOf } from "./computeCharge";
import { authorizationClass, type RequestJournal, type RequestLogEntry } from "./recorded";

export type { AuthorizationClass, RecordedRequest, RequestJournal, RequestLogEntry } from "./recorded";

interface RequestCounters {
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

function kindOf(method: string): RequestKind {
  if (method === "GET" || method === "HEAD") return "read";
  if (method === "DELETE") return "delete";
  return "write";
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function errorCodeOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const inner: unknown = "error" in body ? body.error : body;
  if (typeof inner !== "object" || inner === null || !("code" in inner)) return undefined;
  return typeof inner.code === "string" ? inner.code : undefined;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createHandler(d: FrontDoorDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(d, req, res).catch((e: unknown) => {
      const err = ensureError(e);
      if (d.journal !== undefined) {
        // The answer could not be made durable: none is sent, as when an answer is lost on the way.
        res.destroy(err);
        return;
      }
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: { code: "InternalServerError", message: err.message } }));
      }
    });
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  entry: RequestLogEntry;
}

async function handle(d: FrontDoorDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const realMs = Date.now();
  const reads: number[] = [];
  // Every reading of the clock is kept with the request, so that a replay sees the same times in the same order.
  const clock: SimClock =
    d.journal === undefined
      ? d.clock
      : {
          now: () => {
            const t = d.clock.now();
            reads.push(t);
            return t;
          },
        };
  const at = clock.now();
  const method = (req.method ?? "GET").toUpperCase();
  const raw =
    method === "POST" || method === "PUT" || method === "PATCH" ? (await readRequestBody(req)).toString("utf8") : "";
  const clientRequestId =
    typeof req.headers["x-ms-client-request-id"] === "string" ? req.headers["x-ms-client-request-id"] : undefined;
  const answer = await answerRequest(
    { ...d, clock },
    { method, url: req.url ?? "/", raw, authorization: req.headers.authorization, clientRequestId },
    at,
    realMs,
  );
  d.log.push(answer.entry);
  if (d.journal !== undefined) {
    await d.journal.record({
      method,
      url: req.url ?? "/",
      raw,
      authorization: authorizationClass(req.headers.authorization, d.token),
      reads,
      entry: answer.entry,
    });
  }
  if (answer.body === undefined) {
    res.writeHead(answer.status, { ...answer.headers, "content-length": "0" });
    res.end();
    return;
  }
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...answer.headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** A request taken and answered, without the transport: the live front door and a replay both go through it. */
export async function answerRequest(
  d: FrontDoorDeps,
  input: {
    method: string;
    url: string;
    raw: string;
    authorization: string | undefined;
    clientRequestId: string | undefined;
  },
  at: number,
  realMs: number,
): Promise<Answer> {
  const { method, raw } = input;
  const url = new URL(input.url, "https://127.0.0.1");
  const segments = url.pathname
    .split("/")
    .filter((s) => s !== "")
    .map(safeDecode);
  const apiVersion = url.searchParams.get("api-version") ?? undefined;
  const kind = kindOf(method);
  const entry: RequestLogEntry = { method, path: url.pathname, apiVersion, status: 0, at, realMs, durationMs: 0, kind };
  if (segments[0]?.toLowerCase() === "subscriptions" && segments[1] !== undefined)
    entry.subscriptionId = segments[1].toLowerCase();
  const host = entry.subscriptionId === undefined ? undefined : d.subscriptions.get(entry.subscriptionId);
  d.counters.requests += 1;
  if (host !== undefined) host.counters.requests += 1;

  let response: SimResponse;
  const extra: Incoming["extra"] = {};
  try {
    response = await serve(d, host, {
      method,
      url,
      segments,
      apiVersion,
      kind,
      raw,
      authorization: input.authorization,
      entry,
      extra,
    });
  } catch (e) {
    const err = e instanceof ArmHttpError ? e : new ArmHttpError(500, "InternalServerError", ensureError(e).message);
    response = { status: err.status, body: err.body(), headers: err.headers };
  }
  if (extra.computeHeaders !== undefined)
    response = { ...response, headers: { ...extra.computeHeaders, ...response.headers } };

  const requestId = randomUUID();
  const headers: Record<string, string> = {
    // The server's own clock, as every HTTP server says it (RFC 9110 §6.6.1): the simulated time, so that a client
    // can align its clock to the simulator's (port25 run --time-scale).
    date: new Date(at).toUTCString(),
    "x-ms-request-id": requestId,
    "x-ms-correlation-request-id": input.clientRequestId ?? requestId,
    "x-ms-routing-request-id": `LOCAL:${requestId}`,
    // The budget the request drew on: its subscription's, or the tenant's for a path outside any subscription.
    ...(host !== undefined
      ? host.throttler.headers(d.clock.now())
      : entry.subscriptionId === undefined
        ? d.tenant.throttler.headers(d.clock.now())
        : {}),
    ...response.headers,
  };
  entry.status = response.status;
  if (response.status >= 400) {
    // ARM's {error: {code}} or a service's flat {code} (the Activity Log).
    const code = errorCodeOf(response.body);
    if (code !== undefined) entry.errorCode = code;
  }
  entry.durationMs = Date.now() - realMs;
  return { status: response.status, headers, body: response.body, entry };
}

interface Incoming {
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

async function serve(d: FrontDoorDeps, host: SubscriptionHost | undefined, q: Incoming): Promise<SimResponse> {
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
