/**
 * A 500 from any trigger: the caller gets the invocation id to quote, the function's log gets the error under that
 * id, and nothing the failure carried (a connection string, a token, ARM's wording) reaches the caller.
 */
import { describe, expect, it } from "vitest";
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import type * as df from "durable-functions";
import { getRemediation } from "../../src/functions/getRemediation";
import { approveRemediation } from "../../src/functions/approveRemediation";
import { handleErrors } from "../../src/functions/http";
import { AzureOperationError } from "../../src/errors";
import { parseConfig } from "../../src/config";
import { WALL_CLOCK } from "../../src/root";
import type { TriggerRoot } from "../../src/functions/root";

/** The app as deployed with function keys only, and no audit table. */
const ROOT: TriggerRoot = { config: parseConfig({}), auditStore: undefined, clock: WALL_CLOCK };

const SECRET = "AccountKey=c2VjcmV0LWtleQ==";
const INSTANCE = "port25-7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

function context(invocationId: string): { context: InvocationContext; logged: string[] } {
  const logged: string[] = [];
  const context = new InvocationContext({
    invocationId,
    functionName: "getRemediation",
    logHandler: (level, ...args) => logged.push(`${level}: ${args.map(String).join(" ")}`),
  });
  return { context, logged };
}

/** A durable client whose every call throws `thrown` (what a storage or extension failure can look like). */
function failingClient(thrown: unknown): df.DurableClient {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- non-Error rejections are the case under test
  const fail = (): Promise<never> => Promise.reject(thrown);
  return { getStatus: fail, raiseEvent: fail, startNew: fail } as unknown as df.DurableClient;
}

function request(path: string): HttpRequest {
  return new HttpRequest({ method: "GET", url: `https://port25.contoso.example${path}`, params: { id: INSTANCE } });
}

function body(r: HttpResponseInit): { error: { code: string; message: string; details?: { invocationId?: string } } } {
  return r.jsonBody as { error: { code: string; message: string; details?: { invocationId?: string } } };
}

describe("an HTTP 500", () => {
  it.each([
    ["an Error whose text holds a secret", new Error(`storage refused the request: ${SECRET}`)],
    ["a thrown string", `${SECRET}`],
    ["a thrown object", { connectionString: SECRET }],
  ])("answers %s with the invocation id only, and logs it under that id", async (_what, thrown) => {
    const { context: ctx, logged } = context("3f1c0e2a-0000-4000-8000-000000000001");
    const r = await getRemediation(ROOT, request(`/api/remediations/${INSTANCE}`), failingClient(thrown), ctx);
    expect(r.status).toBe(500);
    const b = body(r);
    expect(b.error.code).toBe("InternalError");
    expect(b.error.details).toEqual({ invocationId: "3f1c0e2a-0000-4000-8000-000000000001" });
    expect(b.error.message).toContain("3f1c0e2a-0000-4000-8000-000000000001");
    expect(JSON.stringify(r)).not.toContain("AccountKey");
    expect(logged.some((l) => l.startsWith("error: ") && l.includes("3f1c0e2a-0000-4000-8000-000000000001"))).toBe(
      true,
    );
  });

  it("keeps ARM's wording of a product error out of the answer, with its stable code", async () => {
    const { context: ctx, logged } = context("inv-2");
    const r = await handleErrors(ROOT, ctx, () =>
      Promise.reject(
        new AzureOperationError("getStatus", `https://x.example/?sig=${SECRET}`, {
          code: "AuthorizationFailed",
          retryable: false,
        }),
      ),
    );
    expect(r.status).toBe(500);
    expect(body(r).error).toMatchObject({ code: "AuthorizationFailed", details: { invocationId: "inv-2" } });
    expect(JSON.stringify(r)).not.toContain("sig=");
    expect(logged.join("\n")).toContain("sig=");
  });

  it("answers a retryable failure 503 with the invocation id", async () => {
    const { context: ctx } = context("inv-3");
    const r = await approveRemediation(
      ROOT,
      request(`/api/remediations/${INSTANCE}/approve`),
      failingClient(new AzureOperationError("getStatus", "throttled", { code: "TooManyRequests", retryable: true })),
      ctx,
    );
    expect(r.status).toBe(503);
    expect(body(r).error.details).toEqual({ invocationId: "inv-3" });
  });
});
