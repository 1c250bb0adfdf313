// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { builtinModules } from "node:module";

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: "./tsconfig.check.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/ban-ts-comment": [
        "error",
        { "ts-ignore": true, "ts-nocheck": true, "ts-expect-error": "allow-with-description" },
      ],
      "no-console": "off",
    },
  },
  {
    // Orchestrations are replayed: they must be deterministic and free of I/O.
    files: ["orchestrations/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: nodeBuiltins.map((name) => ({ name, message: "Orchestrations must not do I/O; call an activity." })),
          patterns: [
            { group: ["@azure/*"], message: "Orchestrations must not touch Azure SDKs; call an activity." },
            {
              group: [
                "**/src/azure/**",
                "**/src/audit/**",
                "**/src/config",
                "**/activities/**",
                "**/src/functions/**",
                "**/src/simulator/**",
                "**/src/durable-host/**",
                "**/src/cli/**",
              ],
              message: "Orchestrations may import only src/contracts and src/domain.",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "Date", message: "Use context.df.currentUtcDateTime." },
        { name: "setTimeout", message: "Use context.df.createTimer." },
        { name: "setInterval", message: "Use context.df.createTimer." },
        { name: "process", message: "Orchestrations must not read the environment." },
        { name: "fetch", message: "Orchestrations must not do I/O." },
        {
          name: "crypto",
          message:
            "Orchestrations must be deterministic: random ids and hashes differ on every replay; use context.df.newGuid or an activity.",
        },
        { name: "performance", message: "Orchestrations must not read a clock; use context.df.currentUtcDateTime." },
        { name: "Intl", message: "Locale data differs between workers; format outside the orchestration." },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Orchestrations must be deterministic." },
        { object: "Date", property: "now", message: "Use context.df.currentUtcDateTime." },
        { object: "process", property: "env", message: "Orchestrations must not read the environment." },
      ],
      // State kept at module scope survives between replays in one worker and is absent on another: an orchestration
      // that reads it behaves differently depending on where it replays. Only replayMemo.ts's documented memo (values
      // that are pure functions of the history) may live there.
      "no-restricted-syntax": [
        "error",
        ...["Program > VariableDeclaration", "Program > ExportNamedDeclaration > VariableDeclaration"].flatMap(
          (decl) => [
            {
              selector: `${decl}[kind!='const']`,
              message: "No module-level let/var in orchestrations: it is state that does not replay.",
            },
            {
              selector: `${decl} > VariableDeclarator > NewExpression[callee.name!='ReplayMemo']`,
              message: "No module-level mutable containers in orchestrations (only the replay memo of replayMemo.ts).",
            },
            {
              selector: `${decl} > VariableDeclarator:not([id.typeAnnotation.typeAnnotation.typeName.name='Readonly']):not([id.typeAnnotation.typeAnnotation.operator='readonly']) > :matches(ObjectExpression, ArrayExpression)`,
              message:
                "A module-level object or array in an orchestration must be read-only (a Readonly<…> or readonly type, or `as const`).",
            },
            {
              selector: `${decl} > VariableDeclarator > :matches(TSSatisfiesExpression, TSAsExpression:not([typeAnnotation.typeName.name='const'])) > :matches(ObjectExpression, ArrayExpression)`,
              message:
                "A module-level object or array in an orchestration must be read-only (`as const`, or a Readonly<…> or readonly type).",
            },
          ],
        ),
        {
          selector: "CallExpression[callee.property.name=/^(toLocale[A-Za-z]*|localeCompare)$/]",
          message: "Locale data differs between workers; compare and format without locales in orchestrations.",
        },
      ],
    },
  },
  {
    // The documented replay memo: values that are pure functions of an instance's history (see the file).
    files: ["orchestrations/replayMemo.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["src/domain/**/*.ts", "src/contracts/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: nodeBuiltins.map((name) => ({ name, message: "Domain and contracts are pure." })),
          patterns: [{ group: ["@azure/*"], message: "Domain and contracts carry no SDK types." }],
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/unbound-method": "off",
    },
  },
);
