/**
 * Texts cut to fit an orchestration's custom status, which the Durable Functions extension caps at 16 KB of UTF-16
 * JSON text (about 8,700 characters) and fails the orchestration above it. The full texts stay in the outputs.
 */

/** The longest start of `text` whose JSON form (quotes and escapes included) takes at most `max` characters. */
export function fitJson(text: string, max: number): string {
  if (JSON.stringify(text).length <= max) return text;
  let lo = 0;
  let hi = text.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (JSON.stringify(text.slice(0, mid)).length <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo);
}

/** `text` whole if its JSON form fits in `max` characters, else cut to fit with "…" at the end. */
export function shortenForStatus(text: string, max: number): string {
  return JSON.stringify(text).length <= max ? text : `${fitJson(text, max - 1)}…`;
}
