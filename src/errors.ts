/** The project's error hierarchy: one class per failure kind, each with a stable `code` and `retryable`. */

interface Port25ErrorOptions {
  code: string;
  retryable?: boolean;
  cause?: unknown;
  details?: unknown;
}

/** Base of every error the product throws on purpose. */
export class Port25Error extends Error {
  override readonly name: string = "Port25Error";
  readonly code: string;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(message: string, options: Port25ErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** An issue found while parsing input: the path of the offending field and what is wrong with it. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** App settings are missing or malformed; lists every bad key at once. */
export class ConfigError extends Port25Error {
  override readonly name = "ConfigError";
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], cause?: unknown) {
    super(`Invalid configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, {
      code: "InvalidConfiguration",
      cause,
      details: issues,
    });
    this.issues = issues;
  }
}

/** Input (HTTP body, activity input, scenario file, CLI flag) failed validation. */
export class ValidationError extends Port25Error {
  override readonly name = "ValidationError";
  readonly issues: readonly FieldIssue[];
  constructor(what: string, issues: readonly FieldIssue[], cause?: unknown) {
    super(`Invalid ${what}: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`, {
      code: "ValidationFailed",
      cause,
      details: issues,
    });
    this.issues = issues;
  }
}

/** The world is not in the state an operation requires (e.g. a run is already live). */
export class PreconditionError extends Port25Error {
  override readonly name = "PreconditionError";
  constructor(message: string, code = "PreconditionFailed", details?: unknown) {
    super(message, { code, details });
  }
}

/** An Azure Resource Manager call failed; `code` is ARM's error code when it gave one. */
export class AzureOperationError extends Port25Error {
  override readonly name = "AzureOperationError";
  readonly statusCode: number | undefined;
  readonly operation: string;
  /** Seconds ARM asked us to wait (Retry-After), when it said. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    operation: string,
    message: string,
    options: {
      code: string;
      statusCode?: number | undefined;
      retryable: boolean;
      retryAfterSeconds?: number | undefined;
      cause?: unknown;
    },
  ) {
    super(`${operation} failed: ${message}`, {
      code: options.code,
      retryable: options.retryable,
      cause: options.cause,
    });
    this.operation = operation;
    this.statusCode = options.statusCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isPort25Error(e: unknown): e is Port25Error {
  return e instanceof Port25Error;
}
export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}
export function isValidationError(e: unknown): e is ValidationError {
  return e instanceof ValidationError;
}
export function isPreconditionError(e: unknown): e is PreconditionError {
  return e instanceof PreconditionError;
}
export function isAzureOperationError(e: unknown): e is AzureOperationError {
  return e instanceof AzureOperationError;
}

/** What a thrown non-Error value is, by type only: "string", "null", "array", "object (Foo)". */
function describeThrown(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") {
    const ctor: unknown =
      Object.getPrototypeOf(value) === null ? undefined : (value as { constructor?: unknown }).constructor;
    const name = typeof ctor === "function" ? ctor.name : "";
    return name !== "" && name !== "Object" && /^[A-Za-z_$][\w$]{0,63}$/.test(name) ? `object (${name})` : "object";
  }
  return typeof value;
}

/**
 * Turns anything thrown into an Error, so every catch block handles one type. A value that is not an Error (a
 * string, a response body, a settings object) may carry a token or a connection string, and messages travel to
 * callers, logs and audit records: it becomes a generic message that names only its type.
 */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(`A non-Error value was thrown (${describeThrown(value)}); its content is withheld`);
}
