import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run when a process a test started outlives it (test/support/noOrphans.ts).
    globalSetup: ["test/support/noOrphans.ts"],
    // Kills what a file's tests spawned and left running (test/support/spawn.ts).
    setupFiles: ["test/support/teardown.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
