/** Test helpers: a manual simulated clock and a tiny HTTPS client that trusts the simulator's CA. */
import { Agent, request } from "node:https";
import {
  generateFleet,
  startSimulator,
  type ScenarioInput,
  type SimClock,
  type SimulatorHandle,
  type SimulatorOptions,
} from "../../src/simulator/index";

export class ManualClock implements SimClock {
  constructor(public t = Date.parse("2026-03-03T08:00:00Z")) {}
  now(): number {
    return this.t;
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Reads a dotted path ("value.0.properties.instanceView") out of parsed JSON. */
export function pick(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function str(value: unknown, path: string): string {
  const v = pick(value, path);
  if (typeof v !== "string") throw new Error(`expected a string at ${path}, got ${JSON.stringify(v)}`);
  return v;
}

export function arr(value: unknown, path: string): unknown[] {
  const v = pick(value, path);
  if (!Array.isArray(v)) throw new Error(`expected an array at ${path}, got ${JSON.stringify(v)}`);
  return v as unknown[];
}

export function header(r: Reply, name: string): string | undefined {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export interface Client {
  sim: SimulatorHandle;
  clock: ManualClock;
  sub: string;
  call(method: string, path: string, body?: unknown, opts?: { token?: string | null }): Promise<Reply>;
  /** GET of an absolute URL the simulator handed out (nextLink, Azure-AsyncOperation, Location). */
  follow(url: string): Promise<Reply>;
}

export async function connect(scenario: Exclude<SimulatorOptions["scenario"], string>, seed = 7): Promise<Client> {
  const clock = new ManualClock();
  const sim = await startSimulator({ scenario, clock, seed });
  const agent = new Agent({ keepAlive: true, ca: sim.caPem });
  const send = (method: string, url: string, body: unknown, token: string | null): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (token !== null) headers["authorization"] = `Bearer ${token}`;
      const payload = body === undefined ? undefined : JSON.stringify(body);
      if (payload !== undefined) headers["content-type"] = "application/json";
      const req = request(url, { method, agent, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text === "" ? undefined : (JSON.parse(text) as unknown),
          }),
        );
      });
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  const origClose = sim.close.bind(sim);
  sim.close = async () => {
    agent.destroy();
    await origClose();
  };
  return {
    sim,
    clock,
    sub: sim.subscriptionId,
    call: (method, path, body, opts) =>
      send(method, `${sim.endpoint}${path}`, body, opts?.token === undefined ? sim.token : opts.token),
    follow: (url) => send("GET", url, undefined, sim.token),
  };
}

export const COMPUTE = "api-version=2026-03-01";
export const NETWORK = "api-version=2025-05-01";

/** A small scenario with every feature the tests need and deterministic latencies (no jitter). */
export function smallScenario(overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  const base: ScenarioInput = {
    subscription: {
      id: "11111111-2222-4333-8444-555555555555",
      name: "Test Dev/Test",
      quotaId: "MSDNDevTest_2014-09-01",
      billing: { agreementType: "EnterpriseAgreement", workloadType: "DevTest" },
    },
    exemption: { exempted: true, effectiveAt: "2026-03-02T09:00:00Z" },
    resourceGroups: [
      { name: "rg-a", location: "westeurope" },
      { name: "rg-b", location: "westeurope" },
      { name: "NetworkWatcherRG", location: "westeurope" },
    ],
    vms: [
      { name: "vm1", resourceGroup: "rg-a", networkWatcherAgent: true, lastStartTime: "2026-02-01T00:00:00Z" },
      { name: "vm2", resourceGroup: "rg-a", power: "stopped", lastStartTime: "2026-02-01T00:00:00Z" },
      { name: "vm3", resourceGroup: "rg-a", power: "deallocated" },
      { name: "vm-eph", resourceGroup: "rg-b", ephemeralOsDisk: true },
      { name: "vm-noagent", resourceGroup: "rg-b", lastStartTime: "2026-02-01T00:00:00Z" },
    ],
    scaleSets: [
      {
        name: "ss1",
        resourceGroup: "rg-b",
        instances: [
          { instanceId: "0", lastStartTime: "2026-02-01T00:00:00Z" },
          { instanceId: "1", lastStartTime: "2026-02-01T00:00:00Z" },
          { instanceId: "2", power: "deallocated" },
        ],
      },
    ],
    vnets: [
      {
        name: "vnet1",
        resourceGroup: "rg-a",
        addressPrefixes: ["10.0.0.0/16"],
        subnets: [
          { name: "used", addressPrefix: "10.0.0.0/24", inUse: true },
          { name: "ase", addressPrefix: "10.0.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
          {
            name: "linked",
            addressPrefix: "10.0.2.0/24",
            serviceAssociationLinks: [{ linkedResourceType: "Microsoft.Web/hostingEnvironments" }],
          },
        ],
      },
    ],
    networkWatchers: [{ location: "westeurope" }],
    behaviour: {
      jitter: 0,
      latencies: { powerOff: 30, deallocate: 60, start: 60, subnetCreate: 10, subnetDelete: 10, connectivityCheck: 20 },
      vnetWriteConflict: "409",
      // These tests read the documented headers and words of one shape; shapes.test.ts covers the seeded variety.
      responseShapes: { lro: "azureAsyncOperationAndLocation", connectionStatus: "cli" },
    },
  };
  return { ...base, ...overrides };
}

export function vmPath(sub: string, rg: string, vm: string, suffix = ""): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${vm}${suffix}`;
}

/** The `PowerState/<x>` of an instance view (or of a body carrying `properties.instanceView`). */
export function powerOf(instanceView: unknown): string | undefined {
  const statuses = (pick(instanceView, "statuses") ?? pick(instanceView, "properties.instanceView.statuses")) as
    { code?: string }[] | undefined;
  const code = statuses?.find((s) => s.code?.startsWith("PowerState/"))?.code;
  return code?.slice("PowerState/".length);
}

export { generateFleet };
