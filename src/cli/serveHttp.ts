/**
 * The HTTP front of `port25 serve`: the function app's own HTTP triggers served on 127.0.0.1 as the Functions host
 * serves them. Routes, methods and auth levels come from the triggers' registrations (`app.http`, `df.app.client.http`)
 * and the route prefix from host.json; function keys are checked as the host checks them (`x-functions-key` header,
 * else `?code=`; a missing or wrong key is a 401 with an empty body); an unknown route or method is a 404. The
 * request reaches the trigger as a real HttpRequest through the local durable host, so a trigger's durable client is
 * the real `df.getClient`. The host's admin API is served for non-HTTP triggers: `POST /admin/functions/{name}` with
 * the master key runs a timer trigger now (202), as `func start` and the Functions host do.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { HttpRequest, type HttpResponse } from "@azure/functions";
import { z } from "zod";
import type { DurableHost } from "../durable-host";
import { registeredFunctions, type Registration } from "../durable-host/functionsCore";
import { ensureError } from "../errors";
import { BodyTooLarge, readRequestBody } from "../httpBody";

/** Bodies larger than this are refused before reaching a trigger (the triggers' own limit is far lower). */
const MAX_FRONT_BODY_BYTES = 1024 * 1024;

interface FunctionKeys {
  /** Accepted by every function-level trigger (as the host's "default" key). */
  functionKey: string;
  /** Accepted everywhere, and the only key the admin API accepts. */
  masterKey: string;
}

/** Keys shaped like the Functions host's: 32 random bytes, URL-safe base64. */
export function generateKeys(): FunctionKeys {
  return { functionKey: newKey(), masterKey: newKey() };
}

/**
 * 256 random bits, base64url, never starting with "-": the printed commands pass the key as `--key KEY`, and a
 * value starting with a dash would read as another flag.
 */
function newKey(): string {
  for (;;) {
    const key = randomBytes(32).toString("base64url");
    if (!key.startsWith("-")) return key;
  }
}

type AuthLevel = "anonymous" | "function" | "admin";

const HttpTriggerBindingSchema = z.looseObject({
  type: z.literal("httpTrigger"),
  authLevel: z.enum(["anonymous", "function", "admin"]).default("anonymous"),
  methods: z.array(z.string().min(1)).default(["GET", "POST"]),
  route: z.string().optional(),
});

type Segment = { kind: "literal"; text: string } | { kind: "param"; name: string; optional: boolean };

export interface HttpRoute {
  functionName: string;
  /** The route as registered, without the prefix. */
  template: string;
  methods: readonly string[];
  authLevel: AuthLevel;
  segments: readonly Segment[];
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}$/;

/** Parses a route template; only literal segments and `{name}` / `{name?}` parameters are served. */
export function parseRouteTemplate(template: string): Segment[] {
  const parts = template.split("/").filter((p) => p !== "");
  return parts.map((part, i) => {
    const m = PARAM.exec(part);
    if (m) {
      const optional = m[2] === "?";
      if (optional && i !== parts.length - 1)
        throw new Error(`route "${template}": only the last parameter may be optional`);
      return { kind: "param", name: m[1] ?? "", optional };
    }
    if (/[{}]/.test(part))
      throw new Error(
        `route "${template}": segment "${part}" is not served locally (constraints and catch-alls are not supported)`,
      );
    return { kind: "literal", text: part.toLowerCase() };
  });
}

/** Every HTTP trigger registered in this process, as the host routes them (literal routes before parameterized ones). */
export function httpRoutes(registrations: Iterable<Registration> = registeredFunctions().values()): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const r of registrations) {
    if (r.kind !== "http") continue;
    const binding = Object.values(r.metadata.bindings).find((b) => b.type === "httpTrigger");
    const parsed = HttpTriggerBindingSchema.parse(binding);
    const template = parsed.route ?? r.name;
    routes.push({
      functionName: r.name,
      template,
      methods: parsed.methods.map((m) => m.toUpperCase()),
      authLevel: parsed.authLevel,
      segments: parseRouteTemplate(template),
    });
  }
  const literals = (route: HttpRoute): number => route.segments.filter((s) => s.kind === "literal").length;
  return routes.sort((a, b) => literals(b) - literals(a) || b.segments.length - a.segments.length);
}

/** The timer triggers (what the admin API can run). */
export function timerFunctions(registrations: Iterable<Registration> = registeredFunctions().values()): string[] {
  return [...registrations].filter((r) => r.kind === "timer").map((r) => r.name);
}

/** Route parameters when `path` (segments after the prefix, decoded) matches the route. */
export function matchRoute(route: HttpRoute, path: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const segs = route.segments;
  const last = segs[segs.length - 1];
  const minLength = last?.kind === "param" && last.optional ? segs.length - 1 : segs.length;
  if (path.length < minLength || path.length > segs.length) return undefined;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const value = path[i];
    if (seg === undefined) return undefined;
    if (value === undefined) continue; // only an optional last parameter can be absent
    if (seg.kind === "literal") {
      if (value.toLowerCase() !== seg.text) return undefined;
    } else {
      params[seg.name] = value;
    }
  }
  return params;
}

const HostJsonSchema = z.looseObject({
  extensions: z.looseObject({ http: z.looseObject({ routePrefix: z.string().optional() }).optional() }).optional(),
});

/** host.json's `extensions.http.routePrefix` ("api" when absent), as the Functions host reads it. */
export function routePrefixFrom(packageRoot: string): string {
  const hostJson = HostJsonSchema.parse(JSON.parse(readFileSync(join(packageRoot, "host.json"), "utf8")));
  return (hostJson.extensions?.http?.routePrefix ?? "api").replace(/^\/+|\/+$/g, "");
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The key a request presents: the `x-functions-key` header, else the `code` query parameter. */
function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers["x-functions-key"];
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && value !== "") return value;
  return url.searchParams.get("code") ?? undefined;
}

export function authorized(level: AuthLevel, key: string | undefined, keys: FunctionKeys): boolean {
  if (level === "anonymous") return true;
  if (key === undefined) return false;
  if (sameSecret(key, keys.masterKey)) return true;
  return level === "function" && sameSecret(key, keys.functionKey);
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** The request line for the log, with the key in the query string masked. */
function loggedPath(url: URL): string {
  const shown = new URL(url.href);
  if (shown.searchParams.has("code")) shown.searchParams.set("code", "***");
  return `${shown.pathname}${shown.search}`;
}

interface HttpFrontOptions {
  host: DurableHost;
  keys: FunctionKeys;
  /** 0 lets the system pick a free port. */
  port: number;
  routePrefix: string;
  /** One line per request, and what the admin API ran. */
  log(line: string): void;
}

export interface HttpFront {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  routes: readonly HttpRoute[];
  close(): Promise<void>;
}

const TimerSweepSchema = z.looseObject({
  started: z.array(z.looseObject({ instanceId: z.string() })).optional(),
  skipped: z.array(z.unknown()).optional(),
  failed: z.array(z.unknown()).optional(),
  note: z.string().optional(),
});

function describeTimerResult(result: unknown): string {
  const r = TimerSweepSchema.safeParse(result);
  if (!r.success) return "ran";
  const started = r.data.started ?? [];
  return [
    `${started.length} started${started.length > 0 ? ` (${started.map((s) => s.instanceId).join(", ")})` : ""}`,
    `${r.data.skipped?.length ?? 0} skipped`,
    `${r.data.failed?.length ?? 0} failed`,
    ...(r.data.note !== undefined ? [r.data.note] : []),
  ].join(", ");
}

/** Starts the front on 127.0.0.1; rejects when the port cannot be bound. */
export async function startHttpFront(opts: HttpFrontOptions): Promise<HttpFront> {
  const routes = httpRoutes();
  const timers = timerFunctions();
  const prefix = opts.routePrefix === "" ? [] : opts.routePrefix.split("/").map((s) => s.toLowerCase());
  let port = opts.port;

  const send = async (
    res: ServerResponse,
    status: number,
    headers: Record<string, string> = {},
    body?: Uint8Array | string,
  ): Promise<void> => {
    res.writeHead(status, headers);
    await new Promise<void>((resolve) => res.end(body ?? "", () => resolve()));
  };

  const writeResponse = async (res: ServerResponse, response: HttpResponse): Promise<void> => {
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = Buffer.from(await response.arrayBuffer());
    headers["content-length"] = String(body.length);
    await send(res, response.status, headers, body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<{ status: number; fn?: string }> => {
    const method = (req.method ?? "GET").toUpperCase();
    const hostHeader = z
      .string()
      .regex(/^[A-Za-z0-9.[\]:-]+$/)
      .safeParse(req.headers.host);
    const url = new URL(req.url ?? "/", `http://${hostHeader.success ? hostHeader.data : `127.0.0.1:${port}`}`);
    let segments: string[];
    try {
      segments = url.pathname
        .split("/")
        .filter((s) => s !== "")
        .map((s) => decodeURIComponent(s));
    } catch {
      await send(res, 400);
      return { status: 400 };
    }
    const key = presentedKey(req, url);

    // Admin API: run a non-HTTP trigger now.
    if (segments.length === 3 && segments[0]?.toLowerCase() === "admin" && segments[1]?.toLowerCase() === "functions") {
      const name = timers.find((t) => t.toLowerCase() === segments[2]?.toLowerCase());
      if (method !== "POST" || name === undefined) {
        await send(res, 404);
        return { status: 404 };
      }
      if (!authorized("admin", key, opts.keys)) {
        await send(res, 401);
        return { status: 401, fn: name };
      }
      try {
        await readRequestBody(req, MAX_FRONT_BODY_BYTES);
        const result = await opts.host.invokeTimer(name);
        opts.log(`${name}: ${describeTimerResult(result)}`);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          await send(res, 413);
          return { status: 413, fn: name };
        }
        opts.log(`${name} failed: ${ensureError(e).message}`);
        await send(res, 500);
        return { status: 500, fn: name };
      }
      await send(res, 202);
      return { status: 202, fn: name };
    }

    const prefixed = prefix.every((p, i) => segments[i]?.toLowerCase() === p);
    const path = prefixed ? segments.slice(prefix.length) : undefined;
    const found =
      path === undefined
        ? undefined
        : routes
            .filter((r) => r.methods.includes(method))
            .map((r) => ({ route: r, params: matchRoute(r, path) }))
            .find((m) => m.params !== undefined);
    if (found === undefined || found.params === undefined) {
      await send(res, 404);
      return { status: 404 };
    }
    const fn = found.route.functionName;
    if (!authorized(found.route.authLevel, key, opts.keys)) {
      await send(res, 401);
      return { status: 401, fn };
    }
    let body: Buffer;
    try {
      body = await readRequestBody(req, MAX_FRONT_BODY_BYTES);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      const message = JSON.stringify({
        error: { code: "PayloadTooLarge", message: `Request body exceeds ${MAX_FRONT_BODY_BYTES} bytes` },
      });
      await send(res, 413, { "content-type": "application/json; charset=utf-8", connection: "close" }, message);
      return { status: 413, fn };
    }
    const request = new HttpRequest({
      method,
      url: url.href,
      headers: headerRecord(req),
      params: found.params,
      ...(body.length > 0 ? { body: { bytes: new Uint8Array(body) } } : {}),
    });
    let response: HttpResponse;
    try {
      response = await opts.host.invokeHttp(fn, request);
    } catch (e) {
      // An exception escaping a trigger is a 500 with no body, as on the Functions host.
      opts.log(`${fn} threw: ${ensureError(e).message}`);
      await send(res, 500);
      return { status: 500, fn };
    }
    await writeResponse(res, response);
    return { status: response.status, fn };
  };

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const line = `${(req.method ?? "GET").toUpperCase()} ${loggedPath(new URL(req.url ?? "/", "http://127.0.0.1"))}`;
    handle(req, res).then(
      ({ status, fn }) =>
        opts.log(`${line} → ${status}${fn ? ` ${fn}` : ""} (${Math.round(performance.now() - started)} ms)`),
      (e: unknown) => {
        opts.log(`${line} failed: ${ensureError(e).message}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      },
    );
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => {
      server.removeListener("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    routes,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
