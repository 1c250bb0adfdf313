/**
 * The crash-test process: opens a durable host on the state directory in argv, starts the two flows unless the
 * directory already holds them, and runs until idle. `argv[4]` names where it kills itself with SIGKILL: inside an
 * activity (`activity:<label>`, `pause:<label>` for the parent to kill it), or at the n-th progress event of a kind
 * (`episode:n`, `completed:n` after an activity ran and before its result is written, `timer:n`, `clock:n`).
 */
import { writeSync } from "node:fs";
import * as path from "node:path";
import { createDurableHost, isDurableHostError } from "../../../src/durable-host";

export const FLOW_IDS = ["flow/1", "flow:2"];
const START = Date.UTC(2025, 0, 6, 8, 0, 0);

const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

function killHere(point: string): void {
  say(`KILL ${point}`);
  process.kill(process.pid, "SIGKILL");
}

async function main(): Promise<void> {
  const [stateDir = "", effectsFile = "", killAt = ""] = process.argv.slice(2);
  process.env.CRASH_EFFECTS_FILE = effectsFile;
  process.env.CRASH_KILL_AT = killAt;
  let host;
  try {
    host = createDurableHost({
      stateDir,
      startTime: START,
      log: (level, functionName, ...args) => {
        if (functionName === "durable-host") say(`LOG ${level} ${args.map(String).join(" ")}`);
      },
    });
  } catch (e) {
    if (isDurableHostError(e)) {
      say(`ERROR ${e.code} ${e.message}`);
      process.exit(3);
    }
    throw e;
  }
  await host.importApp([path.join(__dirname, "app.ts")]);
  for (const id of FLOW_IDS)
    if (!host.getStatus(id)) host.startOrchestration("crashFlow", undefined, { instanceId: id });
  const [kind, nth] = killAt.split(":");
  const counts = new Map<string, number>();
  const kinds: Record<string, string> = {
    episode: "episode",
    completed: "activityCompleted",
    timer: "timerFired",
    clock: "clockAdvanced",
  };
  host.on((event) => {
    const n = (counts.get(event.type) ?? 0) + 1;
    counts.set(event.type, n);
    if (kind !== undefined && kinds[kind] === event.type && String(n) === nth) killHere(killAt);
  });
  say("READY");
  const report = await host.runUntilIdle();
  const result = Object.fromEntries(
    FLOW_IDS.map((id) => [id, { status: host.getStatus(id)?.runtimeStatus, output: host.getStatus(id)?.output }]),
  );
  say(`RESULT ${JSON.stringify({ result, stoppedBy: report.stoppedBy, virtualTime: report.virtualTime })}`);
  await host.close();
}

void main();
