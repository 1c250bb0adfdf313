/** Command-line parsing: node's parseArgs for the shape, zod for the values; every mistake names the flag. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { z } from "zod";
import { ensureError } from "../errors";
import { friendlyMessage } from "../contracts/parse";

/** Bad usage or input: exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseFlags(argv: string[], options: OptionSpec, allowPositionals = false): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    const flat: Record<string, string | boolean | undefined> = {};
    for (const [k, v] of Object.entries(values)) {
      flat[k] = Array.isArray(v) ? v.join(",") : v;
    }
    return { values: flat, positionals };
  } catch (e) {
    const message = ensureError(e).message;
    // A value that starts with a dash (--vms -5) reads as another flag: say so in one line, naming the flag.
    const dashed = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    if (dashed?.[1] !== undefined) {
      throw new UsageError(
        `${dashed[1]}: its value starts with a dash, so it reads as another flag; write ${dashed[1]}=VALUE if that is the value you mean`,
      );
    }
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

/**
 * zod's words for a bad number, bound or choice ("Invalid input: expected number, received NaN", "Too small: expected
 * number to be >=1") said as what the flag takes, with the value typed.
 */
function flagMessage(message: string, raw: unknown): string {
  const got = typeof raw === "string" ? ` (got "${raw}")` : "";
  const rules: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^Invalid input: expected number, received NaN$/, () => "must be a number"],
    [/^Invalid input: expected int, received number$/, () => "must be a whole number"],
    [/^Too small: expected number to be >=(\S+)$/, (m) => `must be at least ${m[1] ?? ""}`],
    [/^Too small: expected number to be >(\S+)$/, (m) => `must be more than ${m[1] ?? ""}`],
    [/^Too big: expected number to be <=(\S+)$/, (m) => `must be at most ${m[1] ?? ""}`],
    [/^Too big: expected number to be <(\S+)$/, (m) => `must be less than ${m[1] ?? ""}`],
    [/^Too small: expected string to have >=(\d+) characters$/, (m) => `must be at least ${m[1] ?? ""} characters`],
    [
      /^Invalid option: expected one of (.+)$/,
      (m) => `must be one of ${(m[1] ?? "").replaceAll('"', "").split("|").join(", ")}`,
    ],
    [/^Invalid ISO datetime$/, () => "must be an ISO 8601 time, such as 2026-03-01T09:00:00Z"],
  ];
  for (const [pattern, say] of rules) {
    const m = pattern.exec(message);
    if (m) return `${say(m)}${got}`;
  }
  return friendlyMessage(message);
}

/** Applies a zod schema to flag values; the error names each bad flag as --flag-name. */
export function parseFlagValues<S extends z.ZodType>(schema: S, values: Record<string, unknown>): z.output<S> {
  const r = schema.safeParse(values);
  if (!r.success) {
    const text = r.error.issues
      .map((i) => {
        const key = i.path[0];
        const flag =
          typeof key === "string" ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : "(arguments)";
        // A list flag (--subscriptions a,b,c) names the item at fault, counted from 1.
        const item = i.path.slice(1).find((p) => typeof p === "number");
        const raw = typeof key === "string" && i.path.length === 1 ? values[key] : undefined;
        return `${flag}${typeof item === "number" ? ` (item ${item + 1})` : ""}: ${flagMessage(i.message, raw)}`;
      })
      .join("; ");
    throw new UsageError(text);
  }
  return r.data;
}

/** camelCase view of kebab-case flag names (parseArgs keeps them as written). */
export function camelKeys(
  values: Record<string, string | boolean | undefined>,
): Record<string, string | boolean | undefined> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );
}

/**
 * The environment the command was started with, read as its arguments are: with src/config.ts, the only place the
 * product reads process.env. Commands hand what they take from it on (app settings to a stack's root, a key to the
 * API client); nothing below them reads or writes the process's environment.
 */
export function environment(): Readonly<Record<string, string | undefined>> {
  return { ...process.env };
}
