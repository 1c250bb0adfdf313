/**
 * Every HTTP trigger checks its caller and its request before it does anything: no trigger in TRIGGERS can skip the
 * role check, and no action can take a query parameter it does not declare. In process, without a host or storage.
 */
import { describe, expect, it } from "vitest";
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import type * as df from "durable-functions";
import { TRIGGERS } from "../../src/functions/index";
import type { TriggerDefinition } from "../../src/functions/binding";
import type { TriggerRoot } from "../../src/functions/root";
import { parseConfig } from "../../src/config";
import { WALL_CLOCK } from "../../src/root";
import { AUDIT_TRACE_PREFIX } from "../../src/contracts/audit";
import { principalHeaders } from "../support/api";

/** Sign-in enforced behind App Service authentication, no audit table (a refusal is then logged as a trace line). */
const ROOT: TriggerRoot = {
  config: parseConfig({ PORT25_AUTH_ENABLED: "true", WEBSITE_AUTH_ENABLED: "True" }),
  auditStore: undefined,
  clock: WALL_CLOCK,
};

const INSTANCE = "port25-7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

type HttpTrigger = Extract<TriggerDefinition, { kind: "http" | "clientHttp" }>;
const HTTP = TRIGGERS.filter((t): t is HttpTrigger => t.kind !== "clientTimer");
const ACTIONS = HTTP.filter((t) => t.methods.includes("POST"));
const READS = HTTP.filter((t) => !t.methods.includes("POST"));

/** A durable client that counts the calls made to it and answers none. */
function untouchableClient(): { client: df.DurableClient; calls: () => number } {
  let calls = 0;
  const refuse = (): Promise<never> => {
    calls++;
    return Promise.reject(new Error("the engine must not be reached"));
  };
  const client = { getStatus: refuse, getStatusBy: refuse, raiseEvent: refuse, startNew: refuse };
  return { client: client as unknown as df.DurableClient, calls: () => calls };
}

async function call(
  t: HttpTrigger,
  query: string,
  roles: readonly string[],
): Promise<{ response: HttpResponseInit; engineCalls: number; logged: string[] }> {
  const request = new HttpRequest({
    method: t.methods[0] ?? "GET",
    url: `https://port25.contoso.example/api/${t.route}${query}`,
    params: { id: INSTANCE, runId: "run-1", campaignId: "c-1" },
    headers: { ...principalHeaders("ops@contoso.example", roles), "content-type": "application/json" },
    body: { string: "{}" },
  });
  const logged: string[] = [];
  const context = new InvocationContext({
    invocationId: "0f1e2d3c-0000-4000-8000-000000000001",
    functionName: t.name,
    logHandler: (_level, ...args) => logged.push(args.map(String).join(" ")),
  });
  const { client, calls } = untouchableClient();
  const response =
    t.kind === "http" ? await t.handler(ROOT, request, context) : await t.handler(ROOT, request, client, context);
  return { response, engineCalls: calls(), logged };
}

function errorOf(r: HttpResponseInit): { code: string; message: string; details?: { fields?: string[] } } {
  return (r.jsonBody as { error: { code: string; message: string; details?: { fields?: string[] } } }).error;
}

describe("the triggers' prelude", () => {
  it("finds actions and reads among TRIGGERS (a new trigger is checked below without being listed here)", () => {
    expect(ACTIONS.length).toBeGreaterThan(0);
    expect(READS.length).toBeGreaterThan(0);
    expect(ACTIONS.length + READS.length).toBe(HTTP.length);
  });

  it.each(HTTP.map((t) => [t.name, t] as const))(
    "%s refuses a signed-in caller without its role (403) before reaching the engine",
    async (_name, t) => {
      const { response, engineCalls } = await call(t, "", ["Port25.Reader"]);
      expect(response.status).toBe(403);
      expect(errorOf(response).code).toBe("Forbidden");
      expect(engineCalls).toBe(0);
    },
  );

  it.each(ACTIONS.map((t) => [t.name, t] as const))(
    "%s refuses a query parameter it does not declare (400 naming it) before reaching the engine",
    async (_name, t) => {
      const { response, engineCalls } = await call(t, "?dryrun=1", ["Port25.Operator"]);
      expect(response.status).toBe(400);
      expect(errorOf(response).message).toContain("dryrun");
      expect(engineCalls).toBe(0);
    },
  );

  it("puts an action's refusal on the record, and not a read's", async () => {
    const action = ACTIONS.find((t) => t.name === "cancelRemediation");
    const read = READS.find((t) => t.name === "getRemediation");
    if (action === undefined || read === undefined) throw new Error("trigger missing");
    const refusedAction = await call(action, "", ["Port25.Auditor"]);
    const refusedRead = await call(read, "", ["Port25.Reader"]);
    expect(refusedAction.response.status).toBe(403);
    expect(refusedAction.logged.filter((l) => l.startsWith(AUDIT_TRACE_PREFIX))).toHaveLength(1);
    expect(refusedRead.response.status).toBe(403);
    expect(refusedRead.logged.filter((l) => l.startsWith(AUDIT_TRACE_PREFIX))).toEqual([]);
  });
});
