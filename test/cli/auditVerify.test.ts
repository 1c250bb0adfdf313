/** `port25 audit --verify`: asks the app to check the audit's chains, and exits 1 naming whatever was tampered with. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditVerification } from "../../src/audit/ledger";
import { runPort25 } from "../support/stdio";

const SUB = "11111111-2222-3333-4444-555555555555";
let server: Server;
let app: string;
let answer: AuditVerification;
const paths: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(req.url ?? "");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

const run = runPort25;

const head = { chain: `sub-${SUB}`, links: 4, headSeq: 4, headDigest: "a".repeat(64) };

describe("port25 audit --verify", () => {
  it("says the audit is whole, with each chain's head, and exits 0", async () => {
    answer = { ok: true, chains: [head], records: 4, problems: [] };
    const r = await run(["audit", "--app", app, "--key", "k", "--verify", "--subscription", SUB]);
    expect(r.code).toBe(0);
    expect(paths.at(-1)).toBe(`/api/audit/verify?subscriptionId=${SUB}`);
    expect(r.stdout).toContain("The audit is whole: 4 record(s) in 1 chain(s)");
    expect(r.stdout).toContain(`sub-${SUB}: 4 link(s), head #4 ${"a".repeat(64)}`);
  });

  it("names every record changed, removed or reordered, and exits 1", async () => {
    answer = {
      ok: false,
      chains: [head],
      records: 4,
      problems: [
        {
          chain: `sub-${SUB}`,
          seq: 2,
          ref: { table: "runs", partitionKey: "run", rowKey: "run-a2" },
          problem: "recordChanged",
          detail: "the run record differs from what was written",
        },
        { chain: `sub-${SUB}`, seq: 3, problem: "linkRemoved", detail: "links 3–3 are missing" },
      ],
    };
    const r = await run(["audit", "--app", app, "--key", "k", "--verify"]);
    expect(r.code).toBe(1);
    expect(paths.at(-1)).toBe("/api/audit/verify");
    expect(r.stdout).toContain("THE AUDIT HAS BEEN TAMPERED WITH: 2 problem(s)");
    expect(r.stdout).toContain("recordChanged in sub-11111111-2222-3333-4444-555555555555 #2 (runs run-a2)");
    expect(r.stdout).toContain("linkRemoved");
  });

  it("refuses --verify with flags that show one record (exit 2, naming both)", async () => {
    const r = await run(["audit", "--app", app, "--key", "k", "--verify", "--run", "r1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--verify: cannot be combined with --run/);
  });
});
