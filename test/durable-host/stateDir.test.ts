/**
 * The durable host's state directory: a process killed with SIGKILL at many points resumes on the same directory to
 * the outcome of an uninterrupted run, re-running only activities whose result was not recorded; corrupt files and
 * a second holder are refused without touching anything.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { hostname, tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createDurableHost,
  EventType,
  instanceFileName,
  SpillArchive,
  type DurableHost,
  type HistoryEvent,
} from "../../src/durable-host";
import { rejection } from "../support/rejections";

const CHILD = path.join(__dirname, "crash", "child.ts");
const FLOW_IDS = ["flow/1", "flow:2"];

interface ChildRun {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the crash-test process; `onLine` may kill it when it prints a line (it pauses there, so no race). */
function runChild(
  stateDir: string,
  effects: string,
  killAt = "",
  onLine?: (line: string, kill: () => void) => void,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, stateDir, effects, killAt], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let pending = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push(line);
        onLine?.(line, () => child.kill("SIGKILL"));
        nl = pending.indexOf("\n");
      }
    });
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ lines, code, signal }));
  });
}

function resultOf(run: ChildRun): unknown {
  const line = run.lines.find((l) => l.startsWith("RESULT "));
  if (!line)
    throw new Error(
      `the process printed no result: ${run.lines.join("\n")} (exit ${String(run.code)}, ${String(run.signal)})`,
    );
  return JSON.parse(line.slice("RESULT ".length)) as unknown;
}

function effectsIn(file: string): string[] {
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

/** The labels of activities whose result the state directory holds (in history or in an inbox). */
function recordedResults(stateDir: string): string[] {
  const labels: string[] = [];
  const dir = path.join(stateDir, "instances");
  for (const name of fs.readdirSync(dir)) {
    const { record } = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as {
      record: { history: HistoryEvent[]; inbox: HistoryEvent[] };
    };
    const scheduled = new Map<number, string>();
    for (const e of record.history)
      if (e.EventType === EventType.TaskScheduled) scheduled.set(e.EventId, JSON.parse(e.Input ?? "null") as string);
    for (const e of [...record.history, ...record.inbox]) {
      if (e.EventType === EventType.TaskCompleted && e.TaskScheduledId !== undefined) {
        const label = scheduled.get(e.TaskScheduledId);
        if (label !== undefined) labels.push(label);
      }
    }
  }
  return labels;
}

let scratch: string;
let baseline: { result: unknown; effects: string[]; stateDir: string };

function freshDir(name: string): string {
  return fs.mkdtempSync(path.join(scratch, `${name.replace(/[^a-z0-9]/gi, "-")}-`));
}

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(tmpdir(), "port25-state-"));
  const dir = freshDir("baseline");
  const run = await runChild(path.join(dir, "state"), path.join(dir, "effects"));
  baseline = {
    result: resultOf(run),
    effects: effectsIn(path.join(dir, "effects")),
    stateDir: path.join(dir, "state"),
  };
}, 60_000);

describe("a host killed with SIGKILL resumes from its state directory", () => {
  const points = [
    ["during an activity", "activity:flow/1#first"],
    ["during an activity of a sub-orchestration", "activity:flow:2#child-b"],
    ["mid-fan-out, after some activities of the round ran and before their results were written", "completed:5"],
    ["with a timer pending, as the clock jumps to it", "clock:1"],
    ["after a timer fired and before the round was written", "timer:2"],
    ["between two episodes of one round", "episode:3"],
    ["between two episodes of a later round", "episode:13"],
    ["during the last activity", "activity:flow:2#last"],
  ] as const;

  it.each(points)(
    "%s (%s): the restarted run ends as an uninterrupted one and re-runs only unrecorded activities",
    async (_, killAt) => {
      const dir = freshDir(killAt);
      const stateDir = path.join(dir, "state");
      const effects = path.join(dir, "effects");
      const killed = await runChild(stateDir, effects, killAt);
      expect(killed.signal).toBe("SIGKILL");
      expect(killed.lines).toContain(`KILL ${killAt}`);
      const recorded = recordedResults(stateDir);
      const before = effectsIn(effects).length;

      const resumed = await runChild(stateDir, effects);
      expect(resumed.code).toBe(0);
      expect(resultOf(resumed)).toEqual(baseline.result);
      // The dead process's lock was taken over, and said so.
      expect(resumed.lines.some((l) => l.startsWith("LOG warn Took over the durable state directory"))).toBe(true);
      const rerun = effectsIn(effects).slice(before);
      for (const label of recorded) expect(rerun).not.toContain(label);
      // Every activity ran at least once, and nothing ran that an uninterrupted run does not run.
      expect(new Set(effectsIn(effects))).toEqual(new Set(baseline.effects));
    },
    60_000,
  );

  it("re-runs the activity killed mid-run, once, and none of those recorded before it", async () => {
    const dir = freshDir("counter");
    const stateDir = path.join(dir, "state");
    const effects = path.join(dir, "effects");
    await runChild(stateDir, effects, "activity:flow/1#last");
    const resumed = await runChild(stateDir, effects);
    expect(resultOf(resumed)).toEqual(baseline.result);
    const count = (label: string): number => effectsIn(effects).filter((l) => l === label).length;
    // At-least-once: the activity whose result never reached the disk runs again with the same input...
    expect(count("flow/1#last")).toBe(2);
    // ...and every activity completed and recorded before the kill ran exactly once.
    for (const label of ["first", "fan-0", "fan-1", "fan-2", "fan-3", "child-a", "child-b"])
      expect(count(`flow/1#${label}`)).toBe(1);
  }, 60_000);

  it("resumes after its parent killed it while it was paused inside a fan-out activity", async () => {
    const dir = freshDir("paused");
    const stateDir = path.join(dir, "state");
    const effects = path.join(dir, "effects");
    const killed = await runChild(stateDir, effects, "pause:flow:2#fan-2", (line, kill) => {
      if (line === "PAUSED flow:2#fan-2") kill();
    });
    expect(killed.signal).toBe("SIGKILL");
    const resumed = await runChild(stateDir, effects);
    expect(resultOf(resumed)).toEqual(baseline.result);
  }, 60_000);

  it("answers getStatus for every stored instance and resumes the pending work with start()", async () => {
    const dir = freshDir("in-process");
    const stateDir = path.join(dir, "state");
    await runChild(stateDir, path.join(dir, "effects"), "clock:1");
    const host = createDurableHost({ stateDir });
    try {
      expect(host.getStatus("flow/1")?.runtimeStatus).toBe("Running");
      await host.importApp([path.join(__dirname, "crash", "app.ts")]);
      host.start();
      const done = await Promise.all(FLOW_IDS.map((id) => host.waitFor(id)));
      expect(
        Object.fromEntries(done.map((s) => [s.instanceId, { status: s.runtimeStatus, output: s.output }])),
      ).toEqual((baseline.result as { result: unknown }).result);
    } finally {
      await host.close();
    }
  }, 60_000);
});

describe("a crash between the files of one write", () => {
  /** The state a kill at `killAt` leaves, in a directory of its own. */
  async function stateAt(killAt: string): Promise<string> {
    const dir = freshDir(killAt);
    await runChild(path.join(dir, "state"), path.join(dir, "effects"), killAt);
    return path.join(dir, "state");
  }
  const parentFile = instanceFileName("flow/1");
  const childFile = instanceFileName("flow/1:child");

  async function finish(stateDir: string): Promise<{ result: unknown; effects: string[]; childNotices: number }> {
    const effects = path.join(path.dirname(stateDir), "effects-after");
    process.env.CRASH_EFFECTS_FILE = effects;
    const host = createDurableHost({ stateDir });
    try {
      await host.importApp([path.join(__dirname, "crash", "app.ts")]);
      await host.runUntilIdle();
      const result = Object.fromEntries(
        FLOW_IDS.map((id) => [id, { status: host.getStatus(id)?.runtimeStatus, output: host.getStatus(id)?.output }]),
      );
      const history = host.getStatus("flow/1")?.history ?? [];
      const childNotices = history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCompleted).length;
      return { result, effects: effectsIn(effects), childNotices };
    } finally {
      delete process.env.CRASH_EFFECTS_FILE;
      await host.close();
    }
  }
  const expected = (): unknown => (baseline.result as { result: unknown }).result;

  it("starts a child again when its parent's file recorded the start and the child's file never was written", async () => {
    const stateDir = await stateAt("activity:flow/1#child-a");
    fs.unlinkSync(path.join(stateDir, "instances", childFile));
    const { result, effects } = await finish(stateDir);
    expect(result).toEqual(expected());
    expect(effects.filter((l) => l.startsWith("flow/1#"))).toEqual(["flow/1#child-a", "flow/1#child-b", "flow/1#last"]);
  }, 60_000);

  it("tells a parent the outcome of a child whose file finished when the parent's file did not hear of it", async () => {
    const waiting = await stateAt("activity:flow/1#child-b");
    // The child finished at the virtual time its result arrived; the parent, told in the same round, waits on its timer.
    const stateDir = await stateAt("clock:3");
    const parentBefore = JSON.parse(fs.readFileSync(path.join(waiting, "instances", parentFile), "utf8")) as {
      record: { history: HistoryEvent[] };
    };
    expect(parentBefore.record.history.some((e) => e.EventType === EventType.SubOrchestrationInstanceCompleted)).toBe(
      false,
    );
    fs.copyFileSync(path.join(waiting, "instances", parentFile), path.join(stateDir, "instances", parentFile));
    const { result, effects, childNotices } = await finish(stateDir);
    expect(result).toEqual(expected());
    expect(childNotices).toBe(1);
    // The finished child did not run again; only the parent's next activity ran.
    expect(effects.filter((l) => l.startsWith("flow/1#"))).toEqual(["flow/1#last"]);
  }, 60_000);

  it("delivers a child's outcome once when the parent's file recorded it and the child's file had not finished", async () => {
    const waiting = await stateAt("activity:flow/1#child-b");
    // The third clock jump is to the parent's timer after the child: the parent recorded the child's outcome and waits.
    const stateDir = await stateAt("clock:3");
    fs.copyFileSync(path.join(waiting, "instances", childFile), path.join(stateDir, "instances", childFile));
    const { result, effects, childNotices } = await finish(stateDir);
    expect(result).toEqual(expected());
    expect(effects.filter((l) => l.startsWith("flow/1#")).sort()).toEqual(["flow/1#child-b", "flow/1#last"]);
    // The child finished a second time; its parent's history holds its outcome once.
    expect(childNotices).toBe(1);
  }, 60_000);
});

describe("a state directory of finished instances", () => {
  let host: DurableHost | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  it("answers status, lists and purges from disk, and keeps only summaries in memory", async () => {
    const stateDir = copyOf(baseline.stateDir);
    host = createDurableHost({ stateDir });
    expect(host.store.instances.size).toBe(0);
    const status = host.getStatus("flow/1");
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toEqual(
      (baseline.result as { result: Record<string, { output: unknown }> }).result["flow/1"]?.output,
    );
    expect(status?.history.some((e) => e.EventType === EventType.ExecutionCompleted)).toBe(true);
    expect(
      host
        .listInstances({ name: "crashChild" })
        .map((s) => s.instanceId)
        .sort(),
    ).toEqual(["flow/1:child", "flow:2:child"]);
    expect(host.purge("flow:2:child")).toBe(true);
    expect(fs.existsSync(path.join(stateDir, "instances", instanceFileName("flow:2:child")))).toBe(false);
    await host.close();
    host = createDurableHost({ stateDir });
    expect(host.getStatus("flow:2:child")).toBeUndefined();
    expect(host.getStatus("flow:2")?.runtimeStatus).toBe("Completed");
  });
});

describe("finished instances without a state directory", () => {
  it("leave memory for deflated records that a host given the same store still reads", async () => {
    const first = createDurableHost({ startTime: Date.UTC(2025, 0, 6, 8, 0, 0) });
    await first.importApp([path.join(__dirname, "crash", "app.ts")]);
    first.startOrchestration("crashFlow", undefined, { instanceId: "memory/1" });
    await first.runUntilIdle();
    expect([...first.store.instances.keys()]).toEqual([]);
    await first.close();
    const second = createDurableHost({ store: first.store });
    try {
      const child = second.getStatus("memory/1:child");
      expect(child?.runtimeStatus).toBe("Completed");
      expect(child?.output).toEqual(["done:memory/1#child-a", "done:memory/1#child-b"]);
      expect(second.store.clone().get("memory/1")?.history.length).toBeGreaterThan(0);
    } finally {
      await second.close();
    }
  });
});

describe("finished instances in a scratch file", () => {
  it("leave memory for the file, read back from it, and the file goes at dispose", async () => {
    const spill = new SpillArchive();
    const host = createDurableHost({ startTime: Date.UTC(2025, 0, 6, 8, 0, 0), finishedArchive: spill });
    try {
      await host.importApp([path.join(__dirname, "crash", "app.ts")]);
      host.startOrchestration("crashFlow", undefined, { instanceId: "spill/1" });
      await host.runUntilIdle();
      expect([...host.store.instances.keys()]).toEqual([]);
      expect(host.store.archivedBytesInMemory()).toBe(0);
      expect(spill.size).toBeGreaterThan(1);
      expect(host.getStatus("spill/1:child")?.output).toEqual(["done:spill/1#child-a", "done:spill/1#child-b"]);
    } finally {
      await host.close();
    }
    expect(fs.existsSync(spill.file)).toBe(true);
    spill.dispose();
    expect(fs.existsSync(path.dirname(spill.file))).toBe(false);
    expect(() => spill.load("spill/1")).toThrow(/no archived record/);
  });
});

describe("a corrupt state file", () => {
  const cases = [
    [
      "a truncated file",
      (text: string) => text.slice(0, Math.floor(text.length / 2)),
      /JSON ends early \(truncated at byte \d+\)/,
    ],
    ["a garbage file", () => "\u0000\u0001 this is not a state file", /not valid JSON/],
    [
      "a file of the wrong shape",
      () => JSON.stringify({ formatVersion: 1, record: { instanceId: 42 } }),
      /at record\.instanceId/,
    ],
  ] as const;

  it.each(cases)(
    "stops the open with StateCorrupt naming %s and what is wrong, and leaves it as it was",
    async (_, damage, what) => {
      const stateDir = copyOf(baseline.stateDir);
      const file = path.join(stateDir, "instances", instanceFileName("flow:2"));
      fs.writeFileSync(file, damage(fs.readFileSync(file, "utf8")));
      const damaged = fs.readFileSync(file);
      const files = fs.readdirSync(path.join(stateDir, "instances")).sort();

      const error = await rejection(Promise.resolve().then(() => createDurableHost({ stateDir })));
      expect(error).toMatchObject({ name: "DurableHostError", code: "StateCorrupt" });
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toMatch(what);
      expect(fs.readFileSync(file)).toEqual(damaged);
      expect(fs.readdirSync(path.join(stateDir, "instances")).sort()).toEqual(files);
      // The refused open left no lock behind: once the file is put right, the directory opens.
      fs.copyFileSync(path.join(baseline.stateDir, "instances", instanceFileName("flow:2")), file);
      const host = createDurableHost({ stateDir });
      expect(host.getStatus("flow:2")?.runtimeStatus).toBe("Completed");
      await host.close();
    },
  );
});

describe("the state directory's lock", () => {
  it("refuses a second host in the same process with StateInUse naming the directory, pid and start time", async () => {
    const stateDir = freshDir("two-hosts");
    const first = createDurableHost({ stateDir });
    try {
      const error = await rejection(Promise.resolve().then(() => createDurableHost({ stateDir })));
      expect(error).toMatchObject({ name: "DurableHostError", code: "StateInUse", statusCode: 409 });
      expect((error as Error).message).toContain(path.resolve(stateDir));
      expect((error as Error).message).toContain(`process ${process.pid}`);
      expect((error as Error).message).toMatch(/started at \d{4}-\d\d-\d\dT/);
    } finally {
      await first.close();
    }
    // close() released the lock.
    const again = createDurableHost({ stateDir });
    await again.close();
  });

  it("refuses a second process on a directory this process holds", async () => {
    const dir = freshDir("two-processes");
    const stateDir = path.join(dir, "state");
    const holder = createDurableHost({ stateDir });
    try {
      const run = await runChild(stateDir, path.join(dir, "effects"));
      expect(run.code).toBe(3);
      expect(run.lines.find((l) => l.startsWith("ERROR "))).toMatch(
        new RegExp(`^ERROR StateInUse .*in use by process ${process.pid}`),
      );
    } finally {
      await holder.close();
    }
  }, 60_000);

  it("takes over a lock left by a process that no longer runs, and says so", async () => {
    const stateDir = freshDir("stale-lock");
    const dead = await deadPid();
    fs.writeFileSync(
      path.join(stateDir, "lock.json"),
      JSON.stringify({
        pid: dead,
        startedAt: "2025-01-06T07:00:00.000Z",
        hostname: hostname(),
        dir: path.resolve(stateDir),
      }),
    );
    const logged: string[] = [];
    const host = createDurableHost({
      stateDir,
      log: (_level, _fn, ...args) => logged.push(args.map(String).join(" ")),
    });
    try {
      expect(logged.join("\n")).toContain(
        `held by process ${dead} (started at 2025-01-06T07:00:00.000Z), which no longer runs`,
      );
      const lock = JSON.parse(fs.readFileSync(path.join(stateDir, "lock.json"), "utf8")) as { pid: number };
      expect(lock.pid).toBe(process.pid);
    } finally {
      await host.close();
    }
    expect(fs.existsSync(path.join(stateDir, "lock.json"))).toBe(false);
  });
});

function copyOf(stateDir: string): string {
  const copy = path.join(freshDir("copy"), "state");
  fs.cpSync(stateDir, copy, { recursive: true });
  return copy;
}

/** The pid of a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => (child.pid === undefined ? reject(new Error("no pid")) : resolve(child.pid)));
  });
}
