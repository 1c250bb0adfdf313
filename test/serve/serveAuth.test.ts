/**
 * `port25 serve` with PORT25_AUTH_ENABLED=true: the local API server trusts the client-principal headers as App
 * Service authentication would set them, so the deployed rules hold over real HTTP — 401 without a principal, 403
 * without the app role, 403 SelfApprovalRefused when the starter approves, and the principals on the record.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ProgressSchema, RemediationSummarySchema } from "../../src/contracts/remediation";
import { fleet, scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import { signedIn, type Person } from "../api/fixtures";
import { poll, startServe, type Served } from "../support/api";

const ALICE: Person = {
  name: "alice@contoso.example",
  oid: "5e0c7a1d-0000-4000-8000-00000000a11c",
  roles: ["Port25.Operator"],
};
const BOB: Person = {
  name: "bob@contoso.example",
  oid: "5e0c7a1d-0000-4000-8000-000000000b0b",
  roles: ["Port25.Operator"],
};
const DAVE: Person = {
  name: "dave@contoso.example",
  oid: "5e0c7a1d-0000-4000-8000-00000000da7e",
  roles: ["Port25.Auditor"],
};
const EVE: Person = { name: "eve@contoso.example", oid: "5e0c7a1d-0000-4000-8000-000000000e0e", roles: [] };

let served: Served;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), "port25-serve-auth-")), "scenario.json");
  writeFileSync(file, JSON.stringify(scenario({ vms: fleet(4) })));
  served = await startServe(file, 600, { PORT25_AUTH_ENABLED: "true" });
});
afterAll(async () => {
  await served.stop();
});

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const StatusSchema = z
  .object({ progress: ProgressSchema.nullable(), summary: RemediationSummarySchema.nullable() })
  .loose();

async function call(
  method: "GET" | "POST",
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${served.app}${path}`, {
    method,
    headers: {
      "x-functions-key": served.key,
      ...headers,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : (JSON.parse(text) as unknown) };
}
const code = (r: { json: unknown }): string => ErrorSchema.parse(r.json).error.code;

describe("port25 serve with authentication on", () => {
  it("needs a principal and the Operator role to start, and a second person to approve", async () => {
    const body = {
      subscriptionId: SUBSCRIPTION_ID,
      requireApproval: true,
      attestation: { reference: "REQ-25-0001", approvedBy: "ops@contoso.example", approvedAt: "2026-03-02T09:00:00Z" },
    };
    const anonymous = await call("POST", "/api/remediations", {}, body);
    expect(anonymous.status).toBe(401);
    expect(code(anonymous)).toBe("Unauthenticated");
    const auditor = await call("POST", "/api/remediations", signedIn(DAVE), body);
    expect(auditor.status).toBe(403);
    expect(code(auditor)).toBe("Forbidden");

    const started = await call("POST", "/api/remediations", signedIn(ALICE), body);
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ requestedBy: ALICE.name });
    const path = `/api/remediations/${SUBSCRIPTION_ID}`;
    const roleless = await call("GET", path, signedIn(EVE));
    expect(roleless.status).toBe(403);
    expect(code(roleless)).toBe("Forbidden");
    expect((await call("GET", path, signedIn(DAVE))).status).toBe(200);
    await poll(
      "the run to wait for approval",
      async () => {
        const s = StatusSchema.parse((await call("GET", path, signedIn(ALICE))).json);
        return s.progress?.phase === "approve" ? true : undefined;
      },
      300,
    );

    const self = await call("POST", `${path}/approve`, signedIn(ALICE, "Alice Again"));
    expect(self.status).toBe(403);
    expect(code(self)).toBe("SelfApprovalRefused");
    const approved = await call("POST", `${path}/approve`, signedIn(BOB));
    expect(approved.status).toBe(202);
    expect(approved.json).toMatchObject({ approvedBy: BOB.name, approvedById: BOB.oid });
    expect(approved.json).not.toHaveProperty("unverified");

    const done = await poll(
      "the run to complete",
      async () => {
        const s = StatusSchema.parse((await call("GET", path, signedIn(BOB))).json);
        return s.summary ?? undefined;
      },
      600,
    );
    expect(done.status).toBe("completed");
    expect(done.approval).toMatchObject({ by: BOB.name, byId: BOB.oid });
  });
});
