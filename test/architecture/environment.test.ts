/**
 * The product reads its environment in two places only: src/config.ts (the Functions app's settings, parsed once by
 * its entry into the composition root) and the command line's argument layer (src/cli/args.ts, `environment()`).
 * Everything else is handed what it needs, so several local stacks with different settings share one process; a
 * `process.env` anywhere else, read or written, is named here file by line.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const PRODUCT_DIRS = ["src", "activities", "orchestrations"];
const ALLOWED: readonly string[] = ["src/config.ts", "src/cli/args.ts"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** The code of a file without its comments (block comments, and lines that are a comment), lines kept in place. */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .split("\n")
    .map((line) => (/^\s*\/\//.test(line) ? "" : line))
    .join("\n");
}

const ENV_ACCESS = /\bprocess\s*(?:\.\s*env\b|\[\s*["'`]env["'`]\s*\])|\{[^}]*\benv\b[^}]*\}\s*=\s*process\b/;

/** `path:line` of every access to the process's environment in the given files. */
function envAccesses(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [path, text] of files) {
    withoutComments(text)
      .split("\n")
      .forEach((line, i) => {
        if (ENV_ACCESS.test(line)) found.push(`${path}:${i + 1}`);
      });
  }
  return found;
}

describe("the environment", () => {
  it("finds an access in code, in any of its forms, and not in a comment (the check itself)", () => {
    const files = new Map([
      ["a.ts", "const x = process.env.X;"],
      ["b.ts", 'const y = process["env"];'],
      ["c.ts", "const { env } = process;"],
      ["d.ts", "/** parsed once from process.env */\n// process.env is not read here\nconst z = 1;"],
    ]);
    expect(envAccesses(files)).toEqual(["a.ts:1", "b.ts:1", "c.ts:1"]);
  });

  it("is read only by src/config.ts and the command line's argument layer", () => {
    const files = new Map(
      PRODUCT_DIRS.flatMap((d) => sources(join(ROOT, d))).map((path) => [
        relative(ROOT, path).split("\\").join("/"),
        readFileSync(path, "utf8"),
      ]),
    );
    const outside = envAccesses(files).filter((at) => !ALLOWED.includes(at.replace(/:\d+$/, "")));
    expect(outside).toEqual([]);
    // Each allowed place still reads it: an entry that no longer does leaves the list.
    for (const path of ALLOWED) expect(envAccesses(new Map([[path, files.get(path) ?? ""]]))).not.toEqual([]);
  });
});
