/** Shared pieces of the HTTP triggers: JSON errors, bounded body reading, caller identity and roles. */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { authRequired, platformAuthOn } from "../config";
import { ensureError, isPort25Error, isValidationError, type FieldIssue } from "../errors";
import { zodIssues } from "../contracts/parse";
import { unprintableIn } from "../contracts/text";
import { AUDIT_TRACE_PREFIX } from "../contracts/audit";
import { RefusalRecordSchema, type RefusalRecord } from "../contracts/refusal";
import type { TriggerRoot } from "./root";
import { clip, clippedMessage, TEXT_LIMITS } from "../contracts/textLimits";

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { "content-type": "application/json; charset=utf-8", ...headers } };
}

export function htmlResponse(body: string): HttpResponseInit {
  return { status: 200, body, headers: { "content-type": "text/html; charset=utf-8" } };
}

export function errorResponse(status: number, code: string, message: string, details?: unknown): HttpResponseInit {
  const body: ApiErrorBody = { error: { code, message, details } };
  return jsonResponse(status, body);
}

export function validationResponse(what: string, issues: readonly FieldIssue[]): HttpResponseInit {
  const fields = issues.map((i) => i.path || "(body)");
  return errorResponse(
    400,
    "ValidationFailed",
    `Invalid ${what}: ${issues.map((i) => `${i.path || "(body)"}: ${i.message}`).join("; ")}`,
    { fields, issues },
  );
}

/** A failure that already has its HTTP response. */
export class HttpProblem extends Error {
  override readonly name = "HttpProblem";
  constructor(readonly response: HttpResponseInit) {
    super(typeof response.jsonBody === "object" ? JSON.stringify(response.jsonBody) : "HTTP problem");
  }
}

/** Reads a JSON body of at most `maxBytes`; 413 when larger, 400 when not JSON or not an object. */
export async function readJsonBody(request: HttpRequest, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpProblem(errorResponse(413, "PayloadTooLarge", `Request body exceeds ${maxBytes} bytes`));
  }
  const text = await request.text();
  if (Buffer.byteLength(text, "utf8") > maxBytes) {
    throw new HttpProblem(errorResponse(413, "PayloadTooLarge", `Request body exceeds ${maxBytes} bytes`));
  }
  if (text.trim() === "")
    throw new HttpProblem(
      errorResponse(400, "ValidationFailed", "Request body is empty: a JSON object is required", {
        fields: ["(body)"],
      }),
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpProblem(
      errorResponse(400, "ValidationFailed", `Request body is not valid JSON: ${ensureError(e).message}`, {
        fields: ["(body)"],
      }),
    );
  }
}

/** Parses with a schema, turning failures into a 400 naming each bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpProblem(validationResponse(what, zodIssues(r.error)));
  return r.data;
}

/** Query string as a plain object (repeated keys → 400: each filter takes one value). */
export function queryObject(request: HttpRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of request.query.entries()) {
    if (k === "code") continue; // the function key, when passed in the query string
    if (k in out)
      throw new HttpProblem(
        errorResponse(400, "ValidationFailed", `Query parameter ${k} is repeated`, { fields: [k] }),
      );
    out[k] = v;
  }
  return out;
}

export type Role = "Port25.Operator" | "Port25.Auditor";

/**
 * App Service authentication's `x-ms-client-principal` (base64 JSON): the validated token's claims, with the claim
 * types that carry the name and the roles. The Static Web Apps shape (userId, userDetails, userRoles) is read too.
 */
const ClientPrincipalSchema = z.object({
  auth_typ: z.string().max(64).optional(),
  name_typ: z.string().max(256).optional(),
  role_typ: z.string().max(256).optional(),
  claims: z
    .array(z.object({ typ: z.string().max(256), val: z.string().max(4096) }))
    .max(500)
    .default([]),
  userId: z.string().max(256).optional(),
  userDetails: z.string().max(256).optional(),
  userRoles: z.array(z.string().max(256)).max(500).optional(),
});
type ClientPrincipal = z.output<typeof ClientPrincipalSchema>;

/** A header App Service authentication sets: one trimmed, printable value of bounded length, or absent. */
const PrincipalHeaderSchema = z
  .string()
  .trim()
  .max(256)
  .regex(/^[\x20-\x7e\u00a0-\uffff]*$/, "must be printable")
  .transform((v) => (v === "" ? undefined : v))
  .optional();

/** Bounded: a principal is a few KB; anything far larger is not the platform's header. */
const MAX_PRINCIPAL_HEADER = 64 * 1024;

const OBJECT_ID_CLAIMS = ["http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"];
const NAME_CLAIMS = [
  "preferred_username",
  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
  "upn",
  "name",
  "appid",
  "azp",
];
const ROLE_CLAIMS = ["roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"];

function header(request: HttpRequest, name: string): string | undefined {
  const parsed = PrincipalHeaderSchema.safeParse(request.headers.get(name) ?? undefined);
  if (!parsed.success)
    throw new HttpProblem(errorResponse(400, "ValidationFailed", `Header ${name} is malformed`, { fields: [name] }));
  return parsed.data;
}

/** The decoded `x-ms-client-principal`, undefined when absent; a header that is there but malformed is a 401. */
function decodePrincipal(request: HttpRequest): ClientPrincipal | undefined {
  const raw = request.headers.get("x-ms-client-principal");
  if (raw === null || raw.trim() === "") return undefined;
  const malformed = (): HttpProblem =>
    new HttpProblem(
      errorResponse(401, "Unauthenticated", "The client principal sent by App Service authentication is malformed"),
    );
  if (raw.length > MAX_PRINCIPAL_HEADER) throw malformed();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw, "base64").toString("utf8"));
  } catch {
    throw malformed();
  }
  const parsed = ClientPrincipalSchema.safeParse(json);
  if (!parsed.success) throw malformed();
  return parsed.data;
}

/** Who is calling, as the run and the audit record it. */
export interface Caller {
  /** Display name (UPN, preferred_username, or the app id of an application caller). */
  readonly name: string;
  /** Stable principal id (Entra object id) when the platform gives one; the four-eyes rule compares it. */
  readonly id: string | undefined;
  /** Roles held, from the principal's role claims. */
  readonly roles: readonly string[];
  /** True when App Service authentication vouched for the caller (PORT25_AUTH_ENABLED). */
  readonly authenticated: boolean;
}

/** The caller when nothing names them: whoever holds a function key. */
export const FUNCTION_KEY_HOLDER = "function-key-holder";

function claim(principal: ClientPrincipal | undefined, types: readonly string[]): string | undefined {
  for (const typ of types) {
    const found = principal?.claims.find((c) => c.typ === typ && c.val.trim() !== "");
    if (found) return clip(found.val.trim(), TEXT_LIMITS.name);
  }
  return undefined;
}

/**
 * The caller, from App Service authentication's headers (never from the request body). With PORT25_AUTH_ENABLED the
 * platform sets these headers from the validated token and removes any the client sent; a request without them did
 * not come through authentication, and is a 401. Without it (function keys only, the documented opt-out), the headers
 * are whatever the key holder sends: recorded as given, `function-key-holder` when absent.
 */
export function callerPrincipal(root: TriggerRoot, request: HttpRequest): Caller {
  const config = root.config;
  const authEnabled = authRequired(config);
  if (authEnabled && !platformAuthOn(config)) {
    // Without the platform's front end, x-ms-client-principal is whatever a function-key holder sends: refuse rather
    // than let anyone claim any identity and role.
    throw new HttpProblem(
      errorResponse(
        503,
        "AuthenticationMisconfigured",
        "The app enforces sign-in (PORT25_AUTH_ENABLED, or unset on App Service) but App Service authentication is off for it " +
          "(the platform does not set WEBSITE_AUTH_ENABLED=True), so caller identities cannot be trusted. Turn App Service " +
          "authentication on for the function app (Authentication: require authentication), or set PORT25_AUTH_ENABLED=false " +
          "to rely on function keys alone (docs/deploy.md).",
      ),
    );
  }
  const principal = decodePrincipal(request);
  const headerName = header(request, "x-ms-client-principal-name");
  const headerId = header(request, "x-ms-client-principal-id");
  const id = headerId ?? claim(principal, OBJECT_ID_CLAIMS) ?? clip(principal?.userId?.trim(), TEXT_LIMITS.name);
  const name =
    headerName ??
    claim(principal, principal?.name_typ ? [principal.name_typ, ...NAME_CLAIMS] : NAME_CLAIMS) ??
    clip(principal?.userDetails?.trim(), TEXT_LIMITS.name) ??
    id;
  // A name or id echoed into logs, the audit and reports: control characters would forge lines there.
  for (const [field, value] of [
    ["x-ms-client-principal-name", name],
    ["x-ms-client-principal-id", id],
  ] as const) {
    const bad = value === undefined ? undefined : unprintableIn(value);
    if (bad !== undefined) {
      throw new HttpProblem(
        errorResponse(
          400,
          "ValidationFailed",
          `The caller's ${field} must not contain control or bidirectional-override characters (found ${bad})`,
          { fields: [field] },
        ),
      );
    }
  }
  const roleTypes = principal?.role_typ ? [principal.role_typ, ...ROLE_CLAIMS] : ROLE_CLAIMS;
  const roles = [
    ...(principal?.claims.filter((c) => roleTypes.includes(c.typ)).map((c) => c.val) ?? []),
    ...(principal?.userRoles ?? []),
  ];
  if (authEnabled) {
    if (principal === undefined || name === undefined || name === "") {
      throw new HttpProblem(
        errorResponse(
          401,
          "Unauthenticated",
          "Sign-in is required: the request carries no principal from App Service authentication",
        ),
      );
    }
    return { name, id, roles, authenticated: true };
  }
  return { name: name && name !== "" ? name : FUNCTION_KEY_HOLDER, id, roles, authenticated: false };
}

/**
 * The caller, who must hold `role` (or one of the roles given) when PORT25_AUTH_ENABLED (app role claim from App
 * Service authentication): 401 without a principal, 403 without the role. Without authentication every key holder
 * may call.
 */
export function requireRole(root: TriggerRoot, request: HttpRequest, role: Role | readonly [Role, ...Role[]]): Caller {
  const caller = callerPrincipal(root, request);
  const accepted: readonly Role[] = typeof role === "string" ? [role] : role;
  if (caller.authenticated && !accepted.some((r) => caller.roles.includes(r))) {
    const named = accepted.join(" or ");
    throw new HttpProblem(
      errorResponse(403, "Forbidden", `The caller ${caller.name} lacks the app role ${named}`, {
        requiredRole: typeof role === "string" ? role : named,
      }),
    );
  }
  return caller;
}

/** Same principal: by id when both have one, else by name (case-insensitive, as UPNs compare). */
export function samePrincipal(
  a: { name: string; id: string | undefined },
  b: { name: string; id: string | undefined },
): boolean {
  if (a.id !== undefined && b.id !== undefined) return a.id.toLowerCase() === b.id.toLowerCase();
  return a.name.toLowerCase() === b.name.toLowerCase();
}

/**
 * Runs a handler body, mapping thrown problems to JSON error responses. A failure nobody anticipated is answered
 * 500 (503 when retryable) with the invocation id only: the error's own text may hold ARM's wording, a URL with a
 * token or a connection string, so it goes to the function's log under that id, never to the caller.
 *
 * With `attempt` (the request of an action: start, approve, cancel), a refusal — 401, 403 or 409 — is recorded in the
 * audit with who tried what (src/audit/ledger.ts chains it), and logged as an audit trace line.
 */
export async function handleErrors(
  root: TriggerRoot,
  context: InvocationContext,
  body: () => Promise<HttpResponseInit>,
  attempt?: HttpRequest,
): Promise<HttpResponseInit> {
  const response = await answer(context, body);
  if (attempt !== undefined && REFUSALS.includes(response.status ?? 200))
    await recordRefused(root, context, attempt, response);
  return response;
}

async function answer(context: InvocationContext, body: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof HttpProblem) return e.response;
    if (isValidationError(e)) return validationResponse("input", e.issues);
    const err = ensureError(e);
    const retryable = isPort25Error(e) && e.retryable;
    const code = isPort25Error(e) ? e.code : "InternalError";
    const invocationId = context.invocationId;
    context.error(
      `${context.functionName} invocation ${invocationId} failed: ${err.name}: ${err.message}`,
      err.stack ?? "",
    );
    return errorResponse(
      retryable ? 503 : 500,
      code,
      `${retryable ? "A service the app depends on is unavailable; try again." : "The request failed inside the app."} Quote invocation id ${invocationId} to find it in the app's logs.`,
      { invocationId },
    );
  }
}

/** The answers that refuse an action and go on the record. */
const REFUSALS: readonly number[] = [401, 403, 409];

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Who tried, as far as the request says: the caller when it can be read, else the name it declared (unverified). */
function refusalCaller(root: TriggerRoot, request: HttpRequest): RefusalRecord["caller"] {
  try {
    const c = callerPrincipal(root, request);
    return {
      name: clip(c.name, TEXT_LIMITS.name),
      ...(c.id === undefined ? {} : { id: clip(c.id, TEXT_LIMITS.name) }),
      authenticated: c.authenticated,
    };
  } catch {
    const declared = header(request, "x-ms-client-principal-name");
    return {
      name:
        declared !== undefined && unprintableIn(declared) === undefined
          ? clip(declared, TEXT_LIMITS.name)
          : "anonymous",
      authenticated: false,
    };
  }
}

/** Best effort: a refusal the audit cannot take is logged as a warning, never turned into a different answer. */
async function recordRefused(
  root: TriggerRoot,
  context: InvocationContext,
  request: HttpRequest,
  response: HttpResponseInit,
): Promise<void> {
  try {
    const error = ErrorBodySchema.safeParse(response.jsonBody);
    const clock = root.clock;
    const record = RefusalRecordSchema.parse({
      id: context.invocationId,
      at: clock.now().toISOString(),
      clock: clock.kind,
      status: response.status,
      code: error.success ? clip(error.data.error.code, TEXT_LIMITS.code) : "Refused",
      message: error.success ? clip(error.data.error.message, TEXT_LIMITS.message) : "",
      action: {
        function: clip(context.functionName, TEXT_LIMITS.code),
        method: clip(request.method, TEXT_LIMITS.method),
        path: clip(new URL(request.url).pathname, TEXT_LIMITS.path),
      },
      caller: refusalCaller(root, request),
    });
    const store = root.auditStore;
    const link = store === undefined ? undefined : await store.recordRefusal(record);
    context.log(`${AUDIT_TRACE_PREFIX}${JSON.stringify(link ?? { refusal: record })}`);
  } catch (e) {
    context.warn(
      `${context.functionName}: the refused action could not be recorded in the audit: ${clippedMessage(e, TEXT_LIMITS.detail)}`,
    );
  }
}
