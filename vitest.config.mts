import { defineConfig } from "vitest/config";

// Files that register functions of their own test apps in the process-wide function registry
// (src/durable-host/functionsCore.ts): another file sharing their worker would see those functions beside the
// product's (an anonymous HTTP starter among them; a stand-in remediateSubscription that never ends), so each runs in
// a process of its own.
const OWN_PROCESS = ["test/durable-host/**/*.test.ts", "test/unit/orchestrations/runStart.test.ts"];

export default defineConfig({
  test: {
    // Fails the run when a process a test started outlives it (test/support/noOrphans.ts).
    globalSetup: ["test/support/noOrphans.ts"],
    // Kills what a file's tests spawned and left running (test/support/spawn.ts).
    setupFiles: ["test/support/teardown.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: process.env.CI ? ["default"] : ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: OWN_PROCESS,
          // A worker runs file after file in one module graph: loading the product, tsx's transforms and the Azure
          // SDKs once per worker rather than once per file is most of the run's CPU (docs/testing.md). Each file
          // restores what it changes in the process (mocks, environment, signal listeners) in its own hooks.
          isolate: false,
        },
      },
      { extends: true, test: { name: "own-process", include: OWN_PROCESS, isolate: true } },
    ],
  },
});
