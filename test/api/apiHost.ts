/**
 * The product host (simulator + durable host on one virtual clock) with the HTTP and timer triggers loaded and the
 * audit store on a real Azurite: requests go through the durable host's invokeHttp with real HttpRequest objects,
 * and the triggers reach the host through the real df.getClient.
 */
import "../../src/durable-host/register";
import { HttpRequest } from "@azure/functions";
import { startProductHost, type ProductHost, type ProductHostOptions } from "../support/productHost";
import { createAuditStore, type AuditStore } from "../../src/audit/store";

export const BASE_URL = "https://port25.contoso.example";

export interface ApiCall {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under BASE_URL, with the query string, e.g. "/api/audit/runs?pageSize=2". */
  path: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface ApiHost {
  product: ProductHost;
  /** The audit store the app writes to (same tables). */
  audit: AuditStore;
  call(functionName: string, call: ApiCall): Promise<ApiResponse>;
  close(): Promise<void>;
}

let tablePrefixCounter = 0;

/** A fresh product host whose audit tables (a new prefix each time) live in the given Azurite. */
export async function startApiHost(
  opts: Omit<ProductHostOptions, "env"> & { azuriteConnection: string; env?: Record<string, string> },
): Promise<ApiHost> {
  const prefix = `api${process.pid}x${++tablePrefixCounter}`;
  const env: Record<string, string> = {
    PORT25_AUDIT_TABLE_CONNECTION: opts.azuriteConnection,
    PORT25_AUDIT_TABLE_PREFIX: prefix,
    ...opts.env,
  };
  const product = await startProductHost({ ...opts, env });
  const audit = createAuditStore({ PORT25_AUDIT_TABLE_CONNECTION: opts.azuriteConnection, PORT25_AUDIT_TABLE_PREFIX: prefix });

  return {
    product,
    audit,
    async call(functionName: string, c: ApiCall): Promise<ApiResponse> {
      const method = c.method ?? "GET";
      const body = c.body === undefined ? undefined : typeof c.body === "string" ? c.body : JSON.stringify(c.body);
      const request = new HttpRequest({
        method,
        url: `${BASE_URL}${c.path}`,
        params: c.params ?? {},
        headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...c.headers },
        ...(body !== undefined ? { body: { string: body } } : {}),
      });
      const response = await product.host.invokeHttp(functionName, request);
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text) as unknown;
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    close: () => product.close(),
  };
}

/** `x-ms-client-principal` as App Service authentication sends it: base64 JSON with the caller's role claims. */
export function principalHeaders(name: string, roles: readonly string[]): Record<string, string> {
  const principal = { auth_typ: "aad", userDetails: name, claims: roles.map((val) => ({ typ: "roles", val })) };
  return {
    "x-ms-client-principal-name": name,
    "x-ms-client-principal": Buffer.from(JSON.stringify(principal), "utf8").toString("base64"),
  };
}
