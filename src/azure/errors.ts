/** Maps whatever an ARM call throws (RestError, socket errors, bad bodies) to AzureOperationError. */
import { isRestError, type PipelineResponse } from "@azure/core-rest-pipeline";
import { AzureOperationError, isAzureOperationError, isValidationError } from "../errors";

/**
 * ARM error codes that mean "the resource is busy; the same request will succeed later". The network RP answers a
 * write on a locked VNet with 429 `RetryableError` carrying `RetryableErrorDueToAnotherOperation` in `details`, and
 * ends an async operation `Failed` with `AnotherOperationInProgress` when another write won the lock.
 */
const BUSY_CODES = new Set(
  [
    "AnotherOperationInProgress",
    "RetryableErrorDueToAnotherOperation",
    "RetryableError",
    "CanceledAndSupersededDueToAnotherOperation",
    "OperationPreempted",
    "TooManyRequests",
  ].map((c) => c.toLowerCase()),
);

/**
 * `OperationNotAllowed` covers both "not now" (another operation, throttling) and "never, as things stand" (quota,
 * policy, an unsupported operation). These markers, in the message or in `details`, make it final: repeating the
 * request until a deadline would only delay the same refusal.
 */
const FINAL_NOT_ALLOWED =
  /quota|exceed|polic|disallow|not supported|unsupported|marked for deletion|not allowed on|cannot be performed on a|spot eviction|ephemeral/i;
const FINAL_DETAIL_CODES = /quota|policy|disallow|notsupported|sku/i;
const BUSY_NOT_ALLOWED = /another operation|in progress|toomanyrequests|too many requests|throttl|try again|retry/i;

/** ARM's `details[]` of an error body, as far as the product reads them. */
export interface ArmErrorDetail {
  code?: string | undefined;
  message?: string | undefined;
}

/** Socket-level failures: the request may never have reached ARM, so repeating it is safe for idempotent calls. */
const NETWORK_ERROR_CODES = new Set([
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "REQUEST_SEND_ERROR",
]);

/** A socket-level failure (no response): the pipeline's retry and the run's retry agree on which these are. */
export function isSocketFailure(code: string | undefined): boolean {
  return code !== undefined && NETWORK_ERROR_CODES.has(code);
}

/** Header access that both core-rest-pipeline's HttpHeaders and plain records satisfy. */
export interface HeaderSource {
  get(name: string): string | undefined;
}

/** Whether ARM's answer (status, code, and for `OperationNotAllowed` its message and details) is worth repeating later. */
export function isRetryableArm(
  statusCode: number | undefined,
  code: string | undefined,
  body: { message?: string | undefined; details?: readonly ArmErrorDetail[] | undefined } = {},
): boolean {
  if (code !== undefined && code.toLowerCase() === "operationnotallowed" && statusCode !== 429) {
    return !isFinalNotAllowed(body.message, body.details);
  }
  if (code !== undefined && BUSY_CODES.has(code.toLowerCase())) return true;
  if (body.details?.some((d) => d.code !== undefined && BUSY_CODES.has(d.code.toLowerCase())) === true) return true;
  if (statusCode === undefined) return isSocketFailure(code);
  return statusCode === 408 || statusCode === 429 || (statusCode >= 500 && statusCode !== 501 && statusCode !== 505);
}

/**
 * Whether an async operation that ended Failed with this error lost to another operation on the same resource, so
 * that sending the request again is expected to succeed. Anything else (InternalExecutionError, AllocationFailed,
 * a quota) is final.
 */
export function isBusyFailure(code: string, message?: string, details: readonly ArmErrorDetail[] = []): boolean {
  const lower = code.toLowerCase();
  if (lower === "operationnotallowed")
    return (
      !isFinalNotAllowed(message, details) &&
      BUSY_NOT_ALLOWED.test(`${message ?? ""} ${details.map((d) => `${d.code ?? ""} ${d.message ?? ""}`).join(" ")}`)
    );
  return BUSY_CODES.has(lower) || details.some((d) => d.code !== undefined && BUSY_CODES.has(d.code.toLowerCase()));
}

/**
 * A final `OperationNotAllowed`: a quota, a policy or an unsupported operation named in the message or details.
 * Without such a marker it is taken as "not now" (the product retries it within its deadline), as before.
 */
function isFinalNotAllowed(message: string | undefined, details: readonly ArmErrorDetail[] = []): boolean {
  const text = [message ?? "", ...details.map((d) => d.message ?? "")].join(" ");
  if (details.some((d) => d.code !== undefined && FINAL_DETAIL_CODES.test(d.code))) return true;
  if (BUSY_NOT_ALLOWED.test(text) && !/quota|polic/i.test(text)) return false;
  return FINAL_NOT_ALLOWED.test(text);
}

/**
 * Seconds ARM asked us to wait: `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds) win over `Retry-After`
 * (delta-seconds or an HTTP date, the latter measured against `nowMs`). Rounded up, never negative.
 */
export function retryAfterSecondsFrom(
  headers: HeaderSource | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const ms = Number.parseFloat(headers.get(name) ?? "");
    if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  }
  const value = headers.get("retry-after")?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number.parseFloat(value));
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/**
 * The assignment and definition an Azure Policy deny names in `additionalInfo[]` (type `PolicyViolation`; Learn
 * "Azure Policy effects: deny", and the field names real answers carry: policyAssignmentName, …DisplayName, …Id,
 * policyDefinitionDisplayName, …Id).
 */
export interface PolicyViolation {
  assignmentName?: string | undefined;
  assignmentDisplayName?: string | undefined;
  assignmentId?: string | undefined;
  definitionDisplayName?: string | undefined;
  definitionId?: string | undefined;
}

function policyViolationsOf(additionalInfo: unknown): PolicyViolation[] {
  if (!Array.isArray(additionalInfo)) return [];
  return additionalInfo.filter(isRecord).flatMap((entry) => {
    const info = entry["info"];
    const type = entry["type"];
    if (typeof type !== "string" || type.toLowerCase() !== "policyviolation" || !isRecord(info)) return [];
    const text = (k: string): Record<string, string> =>
      typeof info[k] === "string" && info[k] !== "" ? { [k]: info[k] } : {};
    const v = {
      ...text("policyAssignmentName"),
      ...text("policyAssignmentDisplayName"),
      ...text("policyAssignmentId"),
      ...text("policyDefinitionDisplayName"),
      ...text("policyDefinitionId"),
    };
    return [
      {
        assignmentName: v["policyAssignmentName"],
        assignmentDisplayName: v["policyAssignmentDisplayName"],
        assignmentId: v["policyAssignmentId"],
        definitionDisplayName: v["policyDefinitionDisplayName"],
        definitionId: v["policyDefinitionId"],
      },
    ];
  });
}

/**
 * A policy deny said plainly: the assignment (display name, name, id) and definition from `additionalInfo`, which
 * an operator needs to ask for an exemption; ARM's own message (a JSON list) when the body carries none.
 */
export function policyDenialMessage(
  message: string | undefined,
  violations: readonly PolicyViolation[],
): string | undefined {
  if (violations.length === 0) return message;
  const named = violations.map((v) => {
    const assignment = `'${v.assignmentDisplayName ?? v.assignmentName ?? "?"}'${v.assignmentName !== undefined && v.assignmentName !== v.assignmentDisplayName ? ` (${v.assignmentName})` : ""}`;
    const definition =
      v.definitionDisplayName !== undefined || v.definitionId !== undefined
        ? `, definition '${v.definitionDisplayName ?? v.definitionId ?? ""}'`
        : "";
    return `policy assignment ${assignment}${v.assignmentId !== undefined ? ` [${v.assignmentId}]` : ""}${definition}`;
  });
  return `denied by Azure Policy: ${named.join("; ")}`;
}

/**
 * Codes that only wrap the real one, which ARM then gives in `details` (an allocation failure arrives as
 * `ResourceOperationFailure` or `ResourceDeploymentFailure` with `AllocationFailed`, `ZonalAllocationFailed`,
 * `OverconstrainedAllocationRequest` … inside: Azure/azure-cli#2401, MicrosoftDocs/azure-docs#41402).
 */
const WRAPPER_CODES = new Set(["resourceoperationfailure", "resourcedeploymentfailure", "deploymentfailed"]);
const ALLOCATION_DETAIL = /allocation|overconstrained/i;

/**
 * The error as its real code: a wrapper is replaced by the code in its details (an allocation code first), the
 * message then says both. Anything else is returned as it is.
 */
export function unwrapArmError<E extends { code: string; message: string; details?: readonly ArmErrorDetail[] }>(
  error: E,
): E {
  if (!WRAPPER_CODES.has(error.code.toLowerCase())) return error;
  const withCode = (error.details ?? []).filter(
    (d): d is ArmErrorDetail & { code: string } => d.code !== undefined && d.code !== "",
  );
  const inner = withCode.find((d) => ALLOCATION_DETAIL.test(d.code)) ?? withCode[0];
  if (inner === undefined) return error;
  return { ...error, code: inner.code, message: `${inner.message ?? inner.code} (${error.code}: ${error.message})` };
}

/** ARM's `{ error: { code, message, details } }` (or a bare `{ code, message }`) from a body, if it has one; a wrapper code read as the one it wraps. */
export function armErrorFromBody(body: unknown): {
  code?: string | undefined;
  message?: string | undefined;
  details?: ArmErrorDetail[];
  policy?: PolicyViolation[];
} {
  const parsed = typeof body === "string" ? safeJson(body) : body;
  if (!isRecord(parsed)) return {};
  const inner = isRecord(parsed["error"]) ? parsed["error"] : parsed;
  const code = typeof inner["code"] === "string" ? inner["code"] : undefined;
  const message = typeof inner["message"] === "string" ? inner["message"] : undefined;
  const rawDetails = inner["details"];
  const details = Array.isArray(rawDetails) ? rawDetails.filter(isRecord).map(detailOf) : [];
  const policy = policyViolationsOf(inner["additionalInfo"]);
  const read = {
    code,
    message,
    ...(details.length === 0 ? {} : { details }),
    ...(policy.length === 0 ? {} : { policy }),
  };
  if (code === undefined) return read;
  const unwrapped = unwrapArmError({ ...read, code, message: message ?? code });
  return unwrapped === read ? read : unwrapped;
}

function detailOf(d: Record<string, unknown>): ArmErrorDetail {
  const code = d["code"];
  const message = d["message"];
  return { ...(typeof code === "string" ? { code } : {}), ...(typeof message === "string" ? { message } : {}) };
}

/** An error for an HTTP response the caller did not expect (used where the pipeline does not throw). */
export function errorFromResponse(operation: string, response: PipelineResponse): AzureOperationError {
  const body = armErrorFromBody(response.bodyAsText ?? "");
  const code = body.code ?? httpCode(response.status);
  const retryAfterSeconds = retryAfterSecondsFrom(response.headers);
  return new AzureOperationError(
    operation,
    policyDenialMessage(body.message, body.policy ?? []) ?? `HTTP ${response.status}`,
    {
      code,
      statusCode: response.status,
      retryable: isRetryableArm(response.status, code, body),
      retryAfterSeconds,
    },
  );
}

/** Maps anything thrown while calling ARM to AzureOperationError (an AzureOperationError passes through). */
export function toAzureOperationError(operation: string, error: unknown): AzureOperationError {
  if (isAzureOperationError(error)) return error;
  if (isRestError(error)) {
    const statusCode = error.statusCode;
    const fromBody = armErrorFromBody(error.response?.bodyAsText ?? undefined);
    // RestError.code is ARM's error.code when the SDK parsed one; for socket errors it is the errno code.
    const code = fromBody.code ?? error.code ?? (statusCode === undefined ? "RequestFailed" : httpCode(statusCode));
    const retryAfterSeconds = retryAfterSecondsFrom(error.response?.headers);
    return new AzureOperationError(
      operation,
      policyDenialMessage(fromBody.message, fromBody.policy ?? []) ?? error.message,
      {
        code,
        statusCode,
        retryable: isRetryableArm(statusCode, code, {
          message: fromBody.message ?? error.message,
          details: fromBody.details ?? [],
        }),
        retryAfterSeconds,
        cause: error,
      },
    );
  }
  if (isValidationError(error)) {
    return new AzureOperationError(operation, `unexpected response from ARM: ${error.message}`, {
      code: "UnexpectedResponse",
      retryable: false,
      cause: error,
    });
  }
  if (error instanceof Error) {
    const errno = (error as Error & { code?: unknown }).code;
    const code = typeof errno === "string" ? errno : error.name === "AbortError" ? "Aborted" : "Unknown";
    return new AzureOperationError(operation, error.message, {
      code,
      retryable: isRetryableArm(undefined, code),
      cause: error,
    });
  }
  return new AzureOperationError(operation, String(error), { code: "Unknown", retryable: false, cause: error });
}

function httpCode(status: number): string {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 408:
      return "RequestTimeout";
    case 409:
      return "Conflict";
    case 429:
      return "TooManyRequests";
    default:
      return `Http${status}`;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
