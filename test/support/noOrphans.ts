/**
 * Vitest global setup: proves that no process a test started outlives the test run.
 *
 * Every process of the run carries a marker in its environment (set here, before the workers start, and inherited
 * by every worker and everything they spawn: Azurite, the CLI, npm, shells). A child whose parent died is adopted by
 * init, so its parent chain no longer leads to the run; its environment still says where it came from. At teardown,
 * after a grace period for processes that are on their way out, any process still carrying the marker is listed,
 * killed (so none accumulates on a developer's machine) and fails the run.
 *
 * Linux only: it reads /proc/<pid>/environ (readable for the user's own processes). Elsewhere the check is skipped.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";

export const RUN_MARKER = "PORT25_TEST_RUN";

const GRACE_MS = 10_000;

interface Proc {
  pid: number;
  command: string;
}

function marked(token: string): Proc[] {
  const needle = `${RUN_MARKER}=${token}`;
  const out: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (!environ.includes(needle)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      // A zombie has no command line: it has ended and only waits for its parent to collect it.
      if (command !== "") out.push({ pid, command });
    } catch {
      // The process ended while it was read, or is another user's.
    }
  }
  return out;
}

/**
 * The processes carrying `token` that are still alive after `graceMs` (those in `spare` aside), each killed: the
 * orphans of a test run.
 */
export async function reapOrphans(
  token: string,
  graceMs: number,
  spare: ReadonlySet<number> = new Set(),
): Promise<Proc[]> {
  const left = (): Proc[] => marked(token).filter((p) => !spare.has(p.pid));
  const deadline = Date.now() + graceMs;
  let alive = left();
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    alive = left();
  }
  for (const p of alive) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return alive;
}

export default function setup(): (() => Promise<void>) | undefined {
  if (!existsSync("/proc/self/environ")) return undefined;
  const token = randomBytes(8).toString("hex");
  process.env[RUN_MARKER] = token;
  return async () => {
    // Vitest's own workers, if any are still closing, are not orphans of the tests.
    const workers = new Set(
      marked(token)
        .filter((p) => /vitest/.test(p.command))
        .map((p) => p.pid),
    );
    const alive = await reapOrphans(token, GRACE_MS, workers);
    if (alive.length === 0) return;
    throw new Error(
      `${alive.length} process(es) started by the tests outlived them (now killed):\n${alive.map((p) => `  ${p.pid} ${p.command.slice(0, 200)}`).join("\n")}`,
    );
  };
}
