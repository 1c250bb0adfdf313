/** Parsing at the edges: a zod schema applied with a ValidationError that names every bad field. */
import type { z } from "zod";
import { ValidationError, type FieldIssue } from "../errors";

export function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path
      .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
      .join(".")
      .replace(/\.\[/g, "["),
    message: friendlyMessage(issue.message),
  }));
}

/** Parses `value` with `schema`; throws ValidationError("<what>: field: message; …") on failure. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(what, zodIssues(result.error), result.error);
  return result.data;
}

/** zod's "Invalid input: expected string, received undefined" reads better as "is required (string)". */
export function friendlyMessage(message: string): string {
  const m = /^Invalid input: expected (.+), received undefined$/.exec(message);
  return m ? `is required (${m[1] ?? "value"})` : message;
}

/**
 * For z.preprocess: reads a record written before one of its fields was renamed, taking `from` as `to` when `to` is
 * absent (a custom status written by an instance that has not run an episode since the app was upgraded).
 */
export function renamedField(from: string, to: string): (raw: unknown) => unknown {
  return (raw) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw) || !(from in raw) || to in raw) return raw;
    const { [from]: value, ...rest } = raw as Record<string, unknown>;
    return { ...rest, [to]: value };
  };
}
