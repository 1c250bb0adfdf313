/** The HTTPS front door: bearer check, api-version, throttling, request faults, routing, logging. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ensureError } from "../errors";
import { ArmHttpError } from "./armError";
import type { RequestKind } from "./faults";
import type { SimResponse } from "./routeKit";
import type { SimClock } from "./world/types";
import { readRequestBody } from "../httpBody";
import { authorizationClass, type RequestLogEntry } from "./recorded";

export type { AuthorizationClass, RecordedRequest, RequestJournal, RequestLogEntry } from "./recorded";

export type { FrontDoorDeps, SubscriptionHost } from "./dispatch";
import { serve, type FrontDoorDeps, type Incoming } from "./dispatch";

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
      ? host.throttler.headers(d.clock.now(), entry.kind)
      : entry.subscriptionId === undefined
        ? d.tenant.throttler.headers(d.clock.now(), entry.kind)
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
