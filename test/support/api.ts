/**
 * The one harness for the function app's HTTP API in tests, two ways to reach it:
 *
 * - `startApi`: in-process. The product host (simulator + durable host on one virtual clock) with the HTTP and timer
 *   triggers loaded and the audit store on a real Azurite; requests go through the durable host's invokeHttp with
 *   real HttpRequest objects, and the triggers reach the host through the real df.getClient. What a test can count
 *   is exposed (instances, ARM writes, audit rows) for the inputs that must leave everything untouched.
 * - `startServe`: `port25 serve` spawned from the build, reached over real HTTP, for what only the process shows
 *   (the commands it prints, the CLI against it, Ctrl+C).
 *
 * `apiHosts()` gives a file one Azurite shared by the in-process hosts its tests start, each closed after its test.
 * The product is imported when a host is first started, so that the files reaching a served process do not load it.
 */
// The stand-in for the Functions worker's registry, before any module that registers a function.
import "../../src/durable-host/register";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { AuditStore } from "../../src/audit/store";
import type { ScenarioInput } from "../../src/simulator";
import { scenario, SUBSCRIPTION_ID } from "../e2e/scenarios";
import type { LocalAzurite } from "./azurite";
import type { ProductHost, ProductHostOptions } from "./productHost";
import { spawnPort25, type Spawned } from "./spawn";

export { SUBSCRIPTION_ID };

/** The app's address in in-process requests (the triggers build their links from it). */
export const BASE_URL = "https://port25.contoso.example";

export interface ApiCall {
  method?: string;
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
  /** The body parsed as JSON, or undefined when it is not JSON (an HTML page, an empty body). */
  json: unknown;
}

export type ApiOptions = Omit<ProductHostOptions, "env" | "scenario"> & {
  /** Default: the e2e suite's small scenario. */
  scenario?: ProductHostOptions["scenario"];
  /** The Azurite holding the audit tables (a file's shared one); without it the harness starts its own. */
  azuriteConnection?: string;
  env?: Record<string, string>;
};

export interface Api {
  product: ProductHost;
  /** The audit store the app writes to (same tables). */
  audit: AuditStore;
  /** The Azurite and the table prefix of this host's audit tables (a new prefix for every host). */
  azuriteConnection: string;
  auditPrefix: string;
  call(functionName: string, call: ApiCall): Promise<ApiResponse>;
  /** Instances the host holds (any status). */
  instanceCount(): number;
  /** Writes and deletes the simulator received. */
  armWrites(): number;
  /** Rows in every audit table of this host's prefix (0 when the tables were never created). */
  auditRows(): Promise<number>;
  close(): Promise<void>;
}

/** The exemption approval the runs started through this harness attest to (as test/support/productHost.ts's runs). */
const TEST_ATTESTATION = {
  reference: "REQ-25-0001",
  approvedBy: "ops@contoso.example",
  approvedAt: "2026-03-02T09:00:00Z",
};

let tablePrefixCounter = 0;

/** A fresh in-process API host; its audit tables (a new prefix each time) live in the given Azurite, or its own. */
export async function startApi(opts: ApiOptions = {}): Promise<Api> {
  const [
    { HttpRequest },
    { TableClient, TableServiceClient },
    { createAuditStore },
    { startAzurite },
    { startProductHost },
  ] = await Promise.all([
    import("@azure/functions"),
    import("@azure/data-tables"),
    import("../../src/audit/store.js"),
    import("./azurite.js"),
    import("./productHost.js"),
  ]);
  const own: LocalAzurite | undefined = opts.azuriteConnection === undefined ? await startAzurite() : undefined;
  const connection = opts.azuriteConnection ?? own?.connectionString ?? "";
  const prefix = `api${process.pid}x${++tablePrefixCounter}`;
  const env: Record<string, string> = {
    PORT25_AUDIT_TABLE_CONNECTION: connection,
    PORT25_AUDIT_TABLE_PREFIX: prefix,
    ...opts.env,
  };
  let product: ProductHost;
  try {
    const { azuriteConnection: _shared, ...rest } = opts;
    product = await startProductHost({ ...rest, scenario: opts.scenario ?? scenario(), env });
  } catch (e) {
    await own?.stop();
    throw e;
  }
  const audit = createAuditStore({ PORT25_AUDIT_TABLE_CONNECTION: connection, PORT25_AUDIT_TABLE_PREFIX: prefix });

  return {
    product,
    audit,
    azuriteConnection: connection,
    auditPrefix: prefix,
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
    instanceCount: () => product.host.listInstances().length,
    armWrites: () => product.sim.requestLog().filter((e) => e.kind !== "read").length,
    async auditRows() {
      const service = TableServiceClient.fromConnectionString(connection, { allowInsecureConnection: true });
      let rows = 0;
      for await (const t of service.listTables()) {
        if (t.name === undefined || !t.name.toLowerCase().startsWith(prefix.toLowerCase())) continue;
        const table = TableClient.fromConnectionString(connection, t.name, { allowInsecureConnection: true });
        for await (const _ of table.listEntities()) rows += 1;
      }
      return rows;
    },
    async close() {
      try {
        await product.close();
      } finally {
        await own?.stop();
      }
    },
  };
}

type HostOptions = Omit<ApiOptions, "azuriteConnection">;

export interface ApiHosts {
  /** Starts an API host on the file's Azurite; closed after the test. */
  start(opts: HostOptions): Promise<Api>;
  /** Starts an API host on the file's Azurite that the caller closes (one host for all the tests of a describe). */
  startShared(opts: HostOptions): Promise<Api>;
  /** Closes `closable` after the current test (in the reverse order of tracking). */
  track<T extends { close(): Promise<void> }>(closable: T): T;
}

/** One Azurite for the file, and every API host (or other closable) a test opens, closed after that test. Call at the top of a file. */
export function apiHosts(): ApiHosts {
  let azurite: LocalAzurite | undefined;
  const open: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    azurite = await (await import("./azurite.js")).startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  afterEach(async () => {
    while (open.length > 0) await open.pop()?.close();
  });
  const track = <T extends { close(): Promise<void> }>(closable: T): T => {
    open.push(closable);
    return closable;
  };
  const startShared = (opts: HostOptions): Promise<Api> => {
    if (azurite === undefined)
      throw new Error("apiHosts(): Azurite is not running (call apiHosts() at the top of the file)");
    return startApi({ ...opts, azuriteConnection: azurite.connectionString });
  };
  return {
    track,
    startShared,
    async start(opts) {
      return track(await startShared(opts));
    },
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

/** An exempted EA Dev/Test subscription with a canary and two VMs (the e2e suite's small scenario). */
export function smallScenario(extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return { ...scenario(), ...extra };
}

/** A start request body that the API accepts; cases mutate one field of it. */
export function validStartBody(): Record<string, unknown> {
  return {
    subscriptionId: SUBSCRIPTION_ID,
    attestation: { ...TEST_ATTESTATION },
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

/** The attestation flags of `port25 start` against a served app (the same approval the in-process runs attest). */
export const ATTESTATION_ARGS: readonly string[] = [
  "--attestation-ref",
  TEST_ATTESTATION.reference,
  "--approved-by",
  TEST_ATTESTATION.approvedBy,
  "--approved-at",
  TEST_ATTESTATION.approvedAt,
];

/** Polls `probe` every `everyMs` until it returns a value, at most `attempts` times. */
export async function poll<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  attempts: number,
  everyMs = 100,
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts`);
}

export interface Served {
  proc: Spawned;
  app: string;
  key: string;
  masterKey: string;
  /** Wall-clock time just before the process was spawned (its virtual clock cannot be ahead of the wall clock since then, times the time scale). */
  startedAtMs: number;
  stop(): Promise<void>;
}

/** Starts `port25 serve` on a free port and reads the base URL and keys it prints. */
export async function startServe(
  scenarioFile: string,
  timeScale: number,
  env: Record<string, string> = {},
  args: readonly string[] = [],
): Promise<Served> {
  const startedAtMs = Date.now();
  const proc = spawnPort25(
    ["serve", "--scenario", scenarioFile, "--port", "0", "--time-scale", String(timeScale), ...args],
    { env },
  );
  await proc.line((l) => /Press Ctrl\+C/.test(l));
  const out = proc.stdout();
  const app = /HTTP API at (http:\/\/127\.0\.0\.1:\d+)\/api/.exec(out)?.[1] ?? "";
  const key = /Function key: (\S+)/.exec(out)?.[1] ?? "";
  const masterKey = /Master key:\s+(\S+)/.exec(out)?.[1] ?? "";
  expect(app).not.toBe("");
  expect(key).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  expect(masterKey).not.toBe(key);
  return {
    proc,
    app,
    key,
    masterKey,
    startedAtMs,
    async stop() {
      proc.killGroup("SIGKILL");
      await proc.ended;
    },
  };
}
