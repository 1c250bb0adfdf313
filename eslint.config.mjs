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
      "@typescript-eslint/ban-ts-comment": ["error", { "ts-ignore": true, "ts-nocheck": true, "ts-expect-error": "allow-with-description" }],
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
            { group: ["**/src/azure/**", "**/src/audit/**", "**/src/config", "**/activities/**", "**/src/functions/**", "**/src/simulator/**", "**/src/durable-host/**", "**/src/cli/**"], message: "Orchestrations may import only src/contracts and src/domain." },
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
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Orchestrations must be deterministic." },
        { object: "Date", property: "now", message: "Use context.df.currentUtcDateTime." },
        { object: "process", property: "env", message: "Orchestrations must not read the environment." },
      ],
    },
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
