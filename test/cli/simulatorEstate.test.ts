/** `port25 simulator` serving an estate: what it prints, the flags that generate one, and file errors. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/args";
import { loadEstateFlag, simulatorCommand } from "../../src/cli/commands/simulator";

const ESTATE = resolve(__dirname, "../../scenarios/estate.json");
const work = mkdtempSync(join(tmpdir(), "port25-estate-cli-"));

/** Runs the command until it has printed its instructions, then stops it; returns everything it printed. */
async function run(argv: string[]): Promise<string> {
  let out = "";
  let stop = (): void => undefined;
  const until = new Promise<void>((r) => (stop = r));
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (out.includes("Press Ctrl+C")) stop();
    return true;
  });
  try {
    const result = await simulatorCommand(argv, until);
    expect(result.exitCode).toBe(0);
  } finally {
    write.mockRestore();
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe("port25 simulator with an estate", () => {
  it("prints the tenant, the group tree with each group's subscriptions, and a plan command", async () => {
    const out = await run(["--scenario", ESTATE, "--port", "0"]);
    const lines = out.split("\n");
    expect(lines).toContain("  tenant id:       5e8a1c3b-9d2f-4e6a-8b7c-1d0e2f3a4b5c");
    expect(lines).toContain("  3 management groups, 4 subscriptions:");
    const tree = lines.slice(lines.indexOf("  3 management groups, 4 subscriptions:") + 1, lines.indexOf(""));
    expect(tree).toEqual([
      "    mg-contoso (Contoso)",
      "      7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c52  Contoso Data Dev/Test",
      "      7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c53  Contoso Production",
      "      mg-contoso-devtest (Contoso Dev/Test)",
      "        7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c51  Contoso Web Dev/Test",
      "        mg-contoso-sandbox (Contoso Sandbox)",
      "          7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c54  Contoso Sandbox",
    ]);
    expect(out).toMatch(
      /plan --subscription 7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c51 --arm-endpoint https:\/\/127\.0\.0\.1:\d+ --ca /,
    );
    // The whole estate at once: the root group's plan (test/cli/planManagementGroup.test.ts runs it).
    expect(out).toMatch(
      /^Or every subscription under a management group at once:\n {2}\S.* plan --management-group mg-contoso --arm-endpoint https:\/\/127\.0\.0\.1:\d+ --ca \S+$/m,
    );
    expect(out).toMatch(/Stopped after 0 requests \(0 throttled\)\./);
  });

  it("generates an estate from --subscriptions and --vms", async () => {
    const out = await run(["--subscriptions", "5", "--vms", "3", "--seed", "4"]);
    expect(out).toContain("  3 management groups, 5 subscriptions:");
    expect(out).toContain("    mg-contoso (Contoso)");
    expect(out).toContain("      mg-contoso-production (Contoso Production)");
    expect(out.match(/ {2}Contoso (Dev\/Test|Production) \d\d$/gm)).toHaveLength(5);
  });

  it("keeps the single-subscription output for a single scenario", async () => {
    const out = await run(["--vms", "3"]);
    expect(out).toMatch(/^ {2}subscription id: [0-9a-f-]{36}$/m);
    expect(out).not.toContain("management groups");
  });

  it("refuses --subscriptions with --scenario", async () => {
    await expect(simulatorCommand(["--subscriptions", "2", "--scenario", ESTATE], Promise.resolve())).rejects.toThrow(
      /--subscriptions: cannot be combined with --scenario/,
    );
  });
});

describe("scenario files", () => {
  it("names the bad field of an estate file", () => {
    const estate = JSON.parse(readFileSync(ESTATE, "utf8")) as { subscriptions: { managementGroup: string }[] };
    const first = estate.subscriptions[0];
    if (first === undefined) throw new Error("the estate has no subscription");
    first.managementGroup = "mg-missing";
    const file = join(work, "bad-estate.json");
    writeFileSync(file, JSON.stringify(estate));
    expect(() => loadEstateFlag(file)).toThrow(UsageError);
    expect(() => loadEstateFlag(file)).toThrow(
      /subscriptions\[0\]\.managementGroup: management group "mg-missing" is not declared/,
    );
  });
});
