/**
 * The layers of docs/architecture.md ("Layers, and what each may import"), checked on the imports themselves: each
 * folder imports only the layers below it, with no listed exceptions.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");

/** Shared by every layer: the error types, capped bodies, bounded concurrency. */
const SHARED = ["src/errors", "src/httpBody", "src/concurrency"];

/** What each layer may import, besides itself and SHARED. Layers not listed (src/app.ts, cli, scripts, bench, tests) may import anything. */
const ALLOWED: ReadonlyMap<string, readonly string[]> = new Map([
  ["src/contracts", []],
  ["src/domain", ["src/contracts"]],
  ["orchestrations", ["src/contracts", "src/domain"]],
  ["src/azure", ["src/contracts", "src/domain", "src/config"]],
  ["src/audit", ["src/contracts", "src/domain", "src/config"]],
  ["src/notify", ["src/contracts", "src/domain", "src/config"]],
  ["src/config", ["src/contracts"]],
  ["src/root", ["src/contracts", "src/azure", "src/audit", "src/notify", "src/config"]],
  ["src/durableClient", ["src/contracts", "src/domain"]],
  [
    "activities",
    [
      "src/contracts",
      "src/domain",
      "src/azure",
      "src/audit",
      "src/notify",
      "src/config",
      "src/root",
      "src/durableClient",
    ],
  ],
  ["src/functions", ["src/contracts", "src/domain", "src/audit", "src/config", "src/root", "src/durableClient"]],
  ["src/simulator", ["src/contracts"]],
  ["src/durable-host", []],
]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;

/** The layer of a file: its folder under src/ (or a top-level file of src/, without .ts), else its top folder. */
export function layerOf(path: string): string {
  const parts = path.split("/");
  if (parts[0] !== "src") return parts[0] ?? path;
  const second = parts[1] ?? "";
  return parts.length > 2 ? `src/${second}` : `src/${second.replace(/\.ts$/, "")}`;
}

/** Every import of `files` that leaves its layer for one the layer may not import, as `from → to`. */
export function crossings(files: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [from, targets] of files) {
    const layer = layerOf(from);
    const allowed = ALLOWED.get(layer);
    if (allowed === undefined) continue;
    for (const to of targets) {
      const target = layerOf(to);
      if (target === layer || SHARED.includes(target) || allowed.includes(target)) continue;
      out.push(`${from} → ${to}`);
    }
  }
  return out.sort();
}

function importGraph(): Map<string, string[]> {
  const files = ["src", "activities", "orchestrations"].flatMap((d) => sources(join(ROOT, d)));
  const known = new Set(files);
  return new Map(
    files.map((file) => {
      const targets: string[] = [];
      for (const m of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
        const spec = m[1];
        if (spec === undefined) continue;
        const base = resolve(dirname(file), spec.replace(/\.js$/, ""));
        const target = [`${base}.ts`, join(base, "index.ts")].find((c) => known.has(c));
        if (target !== undefined) targets.push(relative(ROOT, target));
      }
      return [relative(ROOT, file), targets] as const;
    }),
  );
}

describe("layers", () => {
  it("name a file's layer by its folder, and find an import into a layer above (the check itself)", () => {
    expect(layerOf("src/domain/planWaves.ts")).toBe("src/domain");
    expect(layerOf("src/config.ts")).toBe("src/config");
    expect(layerOf("orchestrations/toolkit/retry.ts")).toBe("orchestrations");
    const graph = new Map([
      ["src/domain/a.ts", ["src/contracts/x.ts", "src/errors.ts"]],
      ["src/contracts/x.ts", ["src/domain/a.ts"]],
      ["orchestrations/o.ts", ["src/azure/gateway.ts", "orchestrations/toolkit/calls.ts"]],
      ["src/cli/main.ts", ["src/simulator/server.ts"]],
    ]);
    expect(crossings(graph)).toEqual([
      "orchestrations/o.ts → src/azure/gateway.ts",
      "src/contracts/x.ts → src/domain/a.ts",
    ]);
  });

  it("hold in the product's code, with no exception", () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    expect(crossings(graph)).toEqual([]);
  });
});
