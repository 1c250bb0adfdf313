/**
 * Free text people type (an approval reference, a name): printable characters only. Control characters (NUL, ESC,
 * CR/LF, DEL, the C1 range), line and paragraph separators and Unicode bidirectional overrides are refused: echoed
 * into logs, reports and terminals they forge lines, colour or reorder what a reader sees.
 */
import type { z } from "zod";

// eslint-disable-next-line no-control-regex -- the point is to find them
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** The first unprintable character of `text`, as U+XXXX, or undefined. */
export function unprintableIn(text: string): string | undefined {
  const found = UNPRINTABLE.exec(text)?.[0];
  return found === undefined
    ? undefined
    : `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A string of printable characters; the message names the first character refused. */
export function printable(schema: z.ZodString): z.ZodType<string, string> {
  return schema.superRefine((text, ctx) => {
    const bad = unprintableIn(text);
    if (bad !== undefined)
      ctx.addIssue({
        code: "custom",
        message: `must not contain control or bidirectional-override characters (found ${bad})`,
      });
  });
}
