import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reapOrphans, RUN_MARKER } from "./noOrphans";
import { startAzurite } from "../../src/audit/localAzurite";

const linux = existsSync("/proc/self/environ");

describe.runIf(linux)("the check that no process outlives the test run", () => {
  it("finds a process the tests left running, even once init has adopted it, and kills it", async () => {
    const token = `probe-${process.pid}`;
    // Detached and let go, as a leaked child is: it no longer belongs to this worker.
    const child = spawn(process.execPath, ["-e", "setInterval(() => undefined, 1000)"], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, [RUN_MARKER]: token },
    });
    child.unref();
    const gone = new Promise<void>((done) => child.once("exit", () => done()));
    const found = await reapOrphans(token, 0);
    expect(found.map((p) => p.pid)).toEqual([child.pid]);
    await gone;
    expect(await reapOrphans(token, 0)).toEqual([]);
  });

  it("finds no Azurite once the process that started it has ended, however it ended", async () => {
    const token = `azurite-${process.pid}`;
    // A parent that starts Azurite and is then killed outright, as a test worker is when the runner ends it.
    const parent = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `require(${JSON.stringify(join(__dirname, "../../src/audit/localAzurite.ts"))}).startAzurite().then(() => console.log("up"))`,
      ],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, [RUN_MARKER]: token } },
    );
    await new Promise<void>((done) => parent.stdout.on("data", (d: Buffer) => d.toString().includes("up") && done()));
    parent.kill("SIGKILL");
    // Azurite notices its parent's end (its pipe closes) and exits within the check's grace period.
    expect(await reapOrphans(token, 10_000)).toEqual([]);
  });

  it("starts Azurite in the environment of the run, so the check sees it", async () => {
    const azurite = await startAzurite();
    try {
      const environ = readFileSync(`/proc/${azurite.pid}/environ`, "utf8");
      expect(environ.split("\0").some((v) => v.startsWith(`${RUN_MARKER}=`))).toBe(true);
    } finally {
      await azurite.stop();
    }
  });
});
