/** `port25 simulate` with a VM that cannot be brought back: its own LEFT DOWN line first, and exit code 1. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { simulateCommand } from "../../src/cli/commands/simulate";
import { SimulateOutputSchema } from "../../src/cli/simulateOutput";
import type { FaultSpec } from "../../src/simulator";
import { fleet, scenario } from "../e2e/scenarios";

const work = mkdtempSync(join(tmpdir(), "port25-left-down-"));

function scenarioFile(name: string, faults: FaultSpec[]): string {
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(scenario({ vms: fleet(3), behaviour: { faults } })));
  return file;
}

/** Runs the command in-process and returns its exit code and what it wrote to stdout. */
async function simulate(args: string[]): Promise<{ exitCode: number; stdout: string }> {
  let stdout = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const { exitCode } = await simulateCommand([...args, "--report", join(work, `report-${Date.now()}.html`)]);
    return { exitCode, stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("port25 simulate with a VM left down", () => {
  it("prints the VM on its own LEFT DOWN line, with the manual action, before the rest, and exits 1", async () => {
    const { exitCode, stdout } = await simulate([
      "--scenario",
      scenarioFile("persistent", [{ kind: "allocationFailure", match: { resource: "app-002" } }]),
    ]);
    expect(exitCode).toBe(1);
    const lines = stdout.trim().split("\n");
    const first = lines.findIndex((l) => l.startsWith("LEFT DOWN: 1 resource(s)"));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(lines.findIndex((l) => l.startsWith("Subscription:")));
    expect(lines[first + 1]).toMatch(/^ {2}LEFT DOWN rg-app\/app-002: deallocated \(AllocationFailed\) — /);
    expect(lines[first + 2]).toMatch(/^ {4}manual action: .*resize/);
    expect(stdout).toMatch(/of which LEFT DOWN +1/);
  });

  it("exits 0 and prints no LEFT DOWN line when a failed start was retried and the VM runs", async () => {
    const { exitCode, stdout } = await simulate([
      "--scenario",
      scenarioFile("once", [{ kind: "allocationFailure", match: { resource: "app-002" }, count: 1 }]),
      "--json",
    ]);
    const out = SimulateOutputSchema.parse(JSON.parse(stdout));
    expect(exitCode).toBe(0);
    expect(out.summary.status).toBe("completed");
    expect(out.summary.counts.leftDown).toBe(0);
    expect(out.outcomes.find((o) => o.name === "app-002")).toMatchObject({ outcome: "cycled", stateAfter: "running" });
  });
});
