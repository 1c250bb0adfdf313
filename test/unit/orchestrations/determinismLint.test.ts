/**
 * The orchestration lint is what keeps replay deterministic until orchestrations run in a sandbox: every source of
 * difference between two replays (randomness, clocks, locale data, state kept at module scope) must be refused.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { Linter } from "eslint";
import tseslint from "typescript-eslint";

type FlatConfig = { files?: string[]; rules?: Linter.RulesRecord };
let config: FlatConfig[] = [];

beforeAll(async () => {
  // The project's own eslint.config.mjs, so that the test checks the rules the lint runs.
  const mod = (await import(pathToFileURL(resolve(__dirname, "../../../eslint.config.mjs")).href)) as {
    default: FlatConfig[];
  };
  config = mod.default;
});

function orchestrationRules(file: string): Linter.RulesRecord {
  const rules: Linter.RulesRecord = {};
  for (const c of config) {
    const files = c.files ?? [];
    if (files.includes("orchestrations/**/*.ts") || files.includes(file)) Object.assign(rules, c.rules);
  }
  return rules;
}

function lint(code: string, file = "orchestrations/probe.ts"): string[] {
  const linter = new Linter({ configType: "flat" });
  const messages = linter.verify(
    code,
    [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser }, rules: orchestrationRules(file) }],
    file,
  );
  return messages.map((m) => `${m.ruleId ?? "parse"}: ${m.message}`);
}

describe("the orchestration lint", () => {
  it.each([
    ["crypto.randomUUID()", "export const f = (): string => crypto.randomUUID();"],
    [
      "an import of node:crypto",
      'import { randomUUID } from "node:crypto";\nexport const f = (): string => randomUUID();',
    ],
    ["performance.now()", "export const f = (): number => performance.now();"],
    ["Intl", "export const f = (n: number): string => new Intl.NumberFormat().format(n);"],
    ["toLocaleString", "export const f = (n: number): string => n.toLocaleString();"],
    ["localeCompare", "export const f = (a: string, b: string): number => a.localeCompare(b);"],
    ["a module-level let", "let runs = 0;\nexport const f = (): number => ++runs;"],
    ["an exported module-level let", "export let runs = 0;"],
    ["a module-level var", "var runs = 0;\nexport const f = (): number => ++runs;"],
    [
      "a module-level Map",
      "const seen = new Map<string, number>();\nexport const f = (k: string): number | undefined => seen.get(k);",
    ],
    ["a module-level Set", "export const seen = new Set<string>();"],
    ["a module-level array", "const seen: string[] = [];\nexport const f = (k: string): number => seen.push(k);"],
    [
      "a module-level object",
      "const counts: Record<string, number> = {};\nexport const f = (k: string): number => (counts[k] = (counts[k] ?? 0) + 1);",
    ],
    [
      "a module-level array cast to a mutable type",
      "const seen = [] as string[];\nexport const f = (k: string): number => seen.push(k);",
    ],
    [
      "a module-level object that only satisfies a type",
      "const counts = {} satisfies Record<string, number>;\nexport const f = (): object => counts;",
    ],
    ["Math.random()", "export const f = (): number => Math.random();"],
    ["Date.now()", "export const f = (): number => Date.now();"],
  ])("refuses %s in an orchestration", (_what, code) => {
    expect(lint(code)).not.toEqual([]);
  });

  it.each([
    ["constants", "const POLL_SECONDS = 10;\nexport const f = (): number => POLL_SECONDS;"],
    [
      "a read-only table",
      'const FIRST: Readonly<Record<string, number>> = { start: 60 };\nexport const f = (): number | undefined => FIRST["start"];',
    ],
    [
      "a readonly array",
      'const CODES: readonly string[] = ["RetryableError"];\nexport const f = (c: string): boolean => CODES.includes(c);',
    ],
    [
      "an `as const` literal",
      'const CODES = ["RetryableError"] as const;\nexport const f = (): number => CODES.length;',
    ],
    [
      "the replay memo",
      'import { ReplayMemo } from "./replayMemo";\nconst memo = new ReplayMemo<number>(16);\nexport const f = (): number => memo.get("s", "k", () => 1);',
    ],
    [
      "state inside a function",
      "export function f(): number {\n  let n = 0;\n  const m = new Map<string, number>();\n  m.set('a', ++n);\n  return m.size;\n}",
    ],
  ])("accepts %s", (_what, code) => {
    expect(lint(code)).toEqual([]);
  });

  it("leaves replayMemo.ts, the documented memo, its module state", () => {
    expect(
      lint(
        "const all = new Set<object>();\nexport const f = (o: object): void => void all.add(o);",
        "orchestrations/replayMemo.ts",
      ),
    ).toEqual([]);
  });
});
