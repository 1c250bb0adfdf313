/** Shared pieces of the HTTP triggers: JSON errors, bounded body reading, caller identity and roles. */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { getConfig } from "../config";
import { ensureError, isPort25Error, isValidationError, type FieldIssue } from "../errors";
import { zodIssues } from "../contracts/parse";

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { "content-type": "application/json; charset=utf-8", ...headers } };
}

export function errorResponse(status: number, code: string, message: string, details?: unknown): HttpResponseInit {
  const body: ApiErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
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
  if (text.trim() === "") throw new HttpProblem(errorResponse(400, "ValidationFailed", "Request body is empty: a JSON object is required", { fields: ["(body)"] }));
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpProblem(
      errorResponse(400, "ValidationFailed", `Request body is not valid JSON: ${ensureError(e).message}`, { fields: ["(body)"] }),
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
    if (k in out) throw new HttpProblem(errorResponse(400, "ValidationFailed", `Query parameter ${k} is repeated`, { fields: [k] }));
    out[k] = v;
  }
  return out;
}

export type Role = "Port25.Operator" | "Port25.Auditor";

const ClientPrincipalSchema = z.object({
  claims: z.array(z.object({ typ: z.string().optional(), val: z.string().optional() })).optional(),
  userDetails: z.string().optional(),
});
type ClientPrincipal = z.output<typeof ClientPrincipalSchema>;

/** App Service authentication's x-ms-client-principal header (base64 JSON), when present and well-formed. */
function decodePrincipal(request: HttpRequest): ClientPrincipal | undefined {
  const raw = request.headers.get("x-ms-client-principal");
  if (!raw) return undefined;
  try {
    const parsed = ClientPrincipalSchema.safeParse(JSON.parse(Buffer.from(raw, "base64").toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The caller as App Service authentication names them, else "anonymous-key-holder". */
export function callerIdentity(request: HttpRequest): string {
  const name = request.headers.get("x-ms-client-principal-name");
  if (name && name.trim() !== "") return name.trim().slice(0, 256);
  const principal = decodePrincipal(request);
  return principal?.userDetails?.slice(0, 256) ?? "function-key-holder";
}

/** With PORT25_AUTH_ENABLED, the caller must hold `role` (app role claim from App Service authentication). */
export function requireRole(request: HttpRequest, role: Role): void {
  if (!getConfig().PORT25_AUTH_ENABLED) return;
  const principal = decodePrincipal(request);
  if (!principal) throw new HttpProblem(errorResponse(401, "Unauthenticated", "Sign-in is required"));
  const roles = (principal.claims ?? []).filter((c) => c.typ === "roles" || c.typ?.endsWith("/role")).map((c) => c.val);
  if (!roles.includes(role)) throw new HttpProblem(errorResponse(403, "Forbidden", `The caller lacks the app role ${role}`));
}

/**
 * Runs a handler body, mapping thrown problems to JSON error responses. A failure nobody anticipated is answered
 * 500 (503 when retryable) with the invocation id only: the error's own text may hold ARM's wording, a URL with a
 * token or a connection string, so it goes to the function's log under that id, never to the caller.
 */
export async function handleErrors(context: InvocationContext, body: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof HttpProblem) return e.response;
    if (isValidationError(e)) return validationResponse("input", e.issues);
    const err = ensureError(e);
    const retryable = isPort25Error(e) && e.retryable;
    const code = isPort25Error(e) ? e.code : "InternalError";
    const invocationId = context.invocationId;
    context.error(`${context.functionName} invocation ${invocationId} failed: ${err.name}: ${err.message}`, err.stack ?? "");
    return errorResponse(
      retryable ? 503 : 500,
      code,
      `${retryable ? "A service the app depends on is unavailable; try again." : "The request failed inside the app."} Quote invocation id ${invocationId} to find it in the app's logs.`,
      { invocationId },
    );
  }
}
