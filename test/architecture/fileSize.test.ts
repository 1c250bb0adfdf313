/**
 * No product file is longer than 400 lines: a module holds one responsibility, small enough to read whole. There is
 * no list of exceptions: a file that grows past the limit is split by responsibility.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const DIRS = ["src", "activities", "orchestrations", "scripts"];
const MAX_LINES = 400;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** Lines of text: a final newline ends the last line rather than starting another. */
function lineCount(text: string): number {
  if (text === "") return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

const files = new Map(
  DIRS.flatMap((d) => sources(join(ROOT, d))).map((path) => [
    relative(ROOT, path).split("\\").join("/"),
    lineCount(readFileSync(path, "utf8")),
  ]),
);

describe("file size", () => {
  it(`keeps every product file to ${MAX_LINES} lines`, () => {
    const over = [...files].filter(([, lines]) => lines > MAX_LINES).map(([path, lines]) => `${path}: ${lines} lines`);
    expect(over).toEqual([]);
  });

  it("counts lines of text, a final newline starting no line", () => {
    expect(lineCount("a\nb\n")).toBe(2);
    expect(lineCount("a\nb")).toBe(2);
    expect(lineCount("")).toBe(0);
  });
});
