/**
 * A local Azurite on disk whose parent is killed (SIGKILL) right after a write: the write is on disk for the next
 * Azurite on the folder, although its table service saves on an interval and would have lost it had it just exited.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnCollected } from "../support/spawn";

const WRITER = join(__dirname, "fixtures", "azuriteWriter.ts");
const location = mkdtempSync(join(tmpdir(), "port25-azurite-kill-"));
afterAll(() => rmSync(location, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const writer = (verb: "write" | "count"): ReturnType<typeof spawnCollected> =>
  spawnCollected(process.execPath, ["--import", "tsx", WRITER, location, verb]);

describe("a local Azurite whose parent is killed", () => {
  it("saves the write made just before the kill, and the next Azurite on the folder reads it", async () => {
    const first = writer("write");
    const azuritePid = Number((await first.line((l) => l.startsWith("WRITTEN "))).split(" ")[1]);
    first.child.kill("SIGKILL");
    await first.ended;
    // The next start on the folder waits for the orphan to end, as src/cli/runState.ts does.
    while (alive(azuritePid)) await new Promise((r) => setTimeout(r, 50));
    const counted = await writer("count").ended;
    expect(counted.stdout.trim(), counted.stderr.slice(-2000)).toBe("ENTITIES 1");
  }, 120_000);
});
