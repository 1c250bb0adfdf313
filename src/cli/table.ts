/** Plain-text tables for terminal output, fitted to the terminal's width (long cells wrap; --json keeps full text). */

/** Width tables are fitted to: the terminal's columns on a TTY, else 100. */
const DEFAULT_WIDTH = 100;

function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY === true && typeof stream.columns === "number" && stream.columns > 0
    ? stream.columns
    : DEFAULT_WIDTH;
}

const GAP = 2;
/** A column is never narrowed below this (or its header, when shorter). */
const MIN_COLUMN = 12;

/** Splits text into lines of at most `width` characters, at spaces where possible. */
export function wrapText(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const space = rest.lastIndexOf(" ", width);
    const cut = space > width / 3 ? space : width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) lines.push(rest);
  return lines;
}

/** Where the columns of `keep` leave too little room, the others may wrap down to this width. */
const LAST_RESORT_COLUMN = 9;

/**
 * Column widths that fit `maxWidth`: the widest columns give up space first, down to MIN_COLUMN (and, when the
 * columns of `keep` need the room, down to LAST_RESORT_COLUMN); `keep` never do.
 */
function fitWidths(natural: number[], headers: string[], maxWidth: number, keep: readonly number[]): number[] {
  const first = shrink([...natural], natural, maxWidth, keep, (i) => Math.max(MIN_COLUMN, (headers[i] ?? "").length));
  return tableWidth(first) > maxWidth && keep.length > 0
    ? shrink(first, natural, maxWidth, keep, () => LAST_RESORT_COLUMN)
    : first;
}

function tableWidth(widths: readonly number[]): number {
  return widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
}

function shrink(
  widths: number[],
  natural: readonly number[],
  maxWidth: number,
  keep: readonly number[],
  minColumn: (i: number) => number,
): number[] {
  const total = (): number => tableWidth(widths);
  const floor = (i: number): number => (keep.includes(i) ? (natural[i] ?? 0) : Math.min(natural[i] ?? 0, minColumn(i)));
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if ((widths[i] ?? 0) > floor(i) && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))) widest = i;
    }
    if (widest < 0) break;
    const next = Math.max(...widths.filter((_, i) => i !== widest), floor(widest));
    const over = total() - maxWidth;
    widths[widest] = Math.max(
      floor(widest),
      Math.min((widths[widest] ?? 0) - 1, Math.max(next, (widths[widest] ?? 0) - over)),
    );
  }
  return widths;
}

/**
 * A table fitted to `maxWidth`. The columns of `keep` (indexes) are never narrowed: ids a user copies must not be
 * cut over two lines.
 */
export function formatTable(
  headers: string[],
  rows: (string | number)[][],
  maxWidth: number = terminalWidth(),
  keep: readonly number[] = [],
): string {
  const text = rows.map((r) => r.map(String));
  const natural = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const widths = fitWidths(natural, headers, maxWidth, keep);
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
  const render = (cells: string[], header: boolean): string[] => {
    const wrapped = cells.map((c, i) => wrapText(c, widths[i] ?? c.length));
    const height = Math.max(1, ...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, line) =>
      wrapped
        .map((w, i) => {
          const c = w[line] ?? "";
          return numeric[i] === true && !header ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0);
        })
        .join(" ".repeat(GAP))
        .trimEnd(),
    );
  };
  return [
    ...render(headers, true),
    widths.map((w) => "─".repeat(w)).join(" ".repeat(GAP)),
    ...text.flatMap((r) => render(r, false)),
  ].join("\n");
}

/**
 * Wraps every line of prose longer than `width`, continuing it indented by two spaces (tables already fit). Lines
 * `keep` accepts (commands to paste) stay whole whatever their length.
 */
export function fitLines(
  text: string,
  width: number = terminalWidth(),
  keep: (line: string) => boolean = () => false,
): string {
  return text
    .split("\n")
    .flatMap((line) => {
      if (line.length <= width || keep(line)) return [line];
      const indent = /^ */.exec(line)?.[0] ?? "";
      const [first = "", ...rest] = wrapText(line.slice(indent.length), Math.max(20, width - indent.length - 2));
      return [`${indent}${first}`, ...rest.map((l) => `${indent}  ${l}`)];
    })
    .join("\n");
}
