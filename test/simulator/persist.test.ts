/** The simulated world kept on disk: rebuilt as it was left, refused with the file named when it cannot be. */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createVirtualClock } from "../../src/durable-host";
import { startLocalStack } from "../../src/cli/localStack";
import { generateFleet, REQUESTS_FILE, startSimulator, WORLD_FILE, type SimulatorHandle } from "../../src/simulator";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "port25-world-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A run of the product against a kept world, stopped mid-run: the folder, the time and the world as it was left. */
async function leaveWorldMidRun(): Promise<{
  dir: string;
  at: number;
  left: ReturnType<SimulatorHandle["snapshot"]>;
  log: ReturnType<SimulatorHandle["requestLog"]>;
}> {
  const dir = tempDir();
  const stack = await startLocalStack({
    scenario: generateFleet(6, 3),
    seed: 7,
    simulatorPersist: { dir, source: "6 VMs" },
  });
  try {
    stack.start();
    // Far enough for VMs to be mid-cycle: operations in flight, budgets spent.
    await stack.run(stack.startedAt + 4 * 60_000);
    const at = stack.host.clock.now();
    const left = stack.sim.snapshot();
    expect(left.vms.some((v) => v.powerState !== "running")).toBe(true);
    return { dir, at, left, log: stack.sim.requestLog() };
  } finally {
    await stack.close();
  }
}

describe("the simulated world kept in a folder", () => {
  it("is rebuilt as it was left: power states, operations in flight, the request log and the counters", async () => {
    const { dir, at, left, log } = await leaveWorldMidRun();
    const clock = createVirtualClock(at);
    // The scenario given is not the one served: the folder's own is.
    const sim = await startSimulator({ scenario: generateFleet(1, 99), clock, persist: { dir, source: "6 VMs" } });
    try {
      expect(sim.resumed?.requests).toBe(log.length);
      expect(sim.resumed?.lastAt).toBeLessThanOrEqual(at);
      expect(sim.snapshot()).toEqual(left);
      expect(sim.requestLog()).toEqual(log);
      expect(sim.counters().requests).toBe(log.length);
      // One line per answer given, each written before its answer went out.
      expect(readFileSync(join(dir, REQUESTS_FILE), "utf8").split("\n").length - 1).toBe(log.length);
    } finally {
      await sim.close();
    }
  });

  it("drops a last line cut short by a kill (its request was never answered) and resumes", async () => {
    const { dir, at, log } = await leaveWorldMidRun();
    appendFileSync(join(dir, REQUESTS_FILE), '{"method":"POST","url":"/subscr');
    const sim = await startSimulator({
      scenario: generateFleet(1),
      clock: createVirtualClock(at),
      persist: { dir, source: "6 VMs" },
    });
    try {
      expect(sim.resumed?.requests).toBe(log.length);
    } finally {
      await sim.close();
    }
    expect(readFileSync(join(dir, REQUESTS_FILE), "utf8").endsWith("\n")).toBe(true);
  });

  it("refuses a world file that is not JSON, naming the file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, WORLD_FILE), '{"formatVersion":1,"sou');
    await expect(startSimulator({ scenario: generateFleet(1), persist: { dir, source: "x" } })).rejects.toThrow(
      new RegExp(
        `${join(dir, WORLD_FILE).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: the saved simulated world is not valid JSON`,
      ),
    );
  });

  it("refuses a damaged request line, naming the file and the line, and rewrites nothing", async () => {
    const { dir } = await leaveWorldMidRun();
    const file = join(dir, REQUESTS_FILE);
    const lines = readFileSync(file, "utf8").split("\n");
    lines[2] = '{"method":"GET"}';
    writeFileSync(file, lines.join("\n"));
    await expect(startSimulator({ scenario: generateFleet(1), persist: { dir, source: "6 VMs" } })).rejects.toThrow(
      `${file} line 3: not a request this version of port25 recorded`,
    );
    expect(readFileSync(file, "utf8")).toBe(lines.join("\n"));
  });

  it("refuses a world whose requests would be answered otherwise now, naming the request", async () => {
    const { dir } = await leaveWorldMidRun();
    const file = join(dir, REQUESTS_FILE);
    const lines = readFileSync(file, "utf8").split("\n");
    const i = lines.findIndex((l) => l.includes('"method":"POST"') && l.includes('"status":202'));
    expect(i).toBeGreaterThan(0);
    lines[i] = (lines[i] ?? "").replace('"status":202', '"status":200');
    writeFileSync(file, lines.join("\n"));
    await expect(startSimulator({ scenario: generateFleet(1), persist: { dir, source: "6 VMs" } })).rejects.toThrow(
      new RegExp(`line ${i + 1}: POST .* was answered 200 then, and would be answered 202 now`),
    );
  });
});
