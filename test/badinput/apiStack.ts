/**
 * The function app's HTTP triggers in the local durable host, next to the simulator and a real Azurite, with the
 * three things a rejected input must leave untouched made countable: instances in the host, ARM writes in the
 * simulator's log and rows in the audit tables.
 */
import { HttpRequest } from "@azure/functions";
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { startLocalStack, type LocalStack } from "../../src/cli/localStack";
import type { ScenarioInput } from "../../src/simulator";
import { scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import type { DurableHostOptions } from "../../src/durable-host";

export const AUDIT_PREFIX = "badinput";
export const ORIGIN = "http://localhost:7071";

export interface ApiReply {
  status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: unknown;
  text: string;
}

export interface ApiRequest {
  method: string;
  /** Path and query, e.g. "/api/audit/runs?pageSize=0". */
  path: string;
  body?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
}

export interface ApiStack {
  stack: LocalStack;
  call(functionName: string, req: ApiRequest): Promise<ApiReply>;
  /** Instances the host holds (any status). */
  instanceCount(): number;
  /** Writes and deletes the simulator received. */
  armWrites(): number;
  /** Rows in every audit table of this stack's prefix (0 when the tables were never created). */
  auditRows(): Promise<number>;
  close(): Promise<void>;
}

export { SUBSCRIPTION_ID };

/** An exempted EA Dev/Test subscription with a canary and two VMs (the e2e suite's small scenario). */
export function smallScenario(extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return { ...scenario(), ...extra };
}

export async function startApiStack(opts: { scenario?: ScenarioInput; host?: Omit<DurableHostOptions, "clock">; env?: Record<string, string> } = {}): Promise<ApiStack> {
  const stack = await startLocalStack({
    scenario: opts.scenario ?? smallScenario(),
    audit: true,
    env: { PORT25_AUDIT_TABLE_PREFIX: AUDIT_PREFIX, ...opts.env },
    ...(opts.host === undefined ? {} : { host: opts.host }),
  });
  const connection = stack.azurite?.connectionString;
  if (connection === undefined) throw new Error("the API stack needs Azurite");
  return {
    stack,
    async call(functionName, req) {
      const request = new HttpRequest({
        method: req.method,
        url: `${ORIGIN}${req.path}`,
        headers: { ...(req.body === undefined ? {} : { "content-type": "application/json" }), ...req.headers },
        ...(req.body === undefined ? {} : { body: { string: req.body } }),
        ...(req.params === undefined ? {} : { params: req.params }),
      });
      const res = await stack.host.invokeHttp(functionName, request);
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // an HTML page or an empty body stays text
      }
      return { status: res.status, body, text };
    },
    instanceCount: () => stack.host.listInstances().length,
    armWrites: () => stack.sim.requestLog().filter((e) => e.kind !== "read").length,
    async auditRows() {
      const service = TableServiceClient.fromConnectionString(connection, { allowInsecureConnection: true });
      let rows = 0;
      for await (const t of service.listTables()) {
        if (t.name === undefined || !t.name.toLowerCase().startsWith(AUDIT_PREFIX)) continue;
        const table = TableClient.fromConnectionString(connection, t.name, { allowInsecureConnection: true });
        for await (const _ of table.listEntities()) rows += 1;
      }
      return rows;
    },
    close: () => stack.close(),
  };
}

/** A start request body that the API accepts; cases mutate one field of it. */
export function validStartBody(): Record<string, unknown> {
  return {
    subscriptionId: SUBSCRIPTION_ID,
    attestation: { reference: "REQ-25-0001", approvedBy: "ops@contoso.example", approvedAt: "2026-03-02T09:00:00Z" },
    mode: "execute",
    requireApproval: false,
    options: { maxConcurrency: 5 },
  };
}

/** Sets `value` at a dotted path of a deep copy (undefined deletes the key). */
export function withField(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.split(".");
  let cur: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== "object" || next === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] ?? "";
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}
