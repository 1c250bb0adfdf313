/**
 * Drives the simulator over real HTTPS through every route it serves, in each shape it answers (every LRO shape
 * pinned in turn, both connectivity vocabularies, instance views of each power state, $expand variants, errors),
 * and records each exchange for the conformance suite.
 */
import { connect, type Client, type Reply } from "../simulator/helpers";
import { matchRoute } from "../../src/simulator/routes";
import { LRO_SHAPES, type ResponseShapes } from "../../src/simulator/shapes";
import type { ScenarioInput } from "../../src/simulator/index";

export interface Exchange {
  method: string;
  url: URL;
  status: number;
  headers: Reply["headers"];
  body: unknown;
}

const SUB = "11111111-2222-4333-8444-555555555555";
export const COMPUTE = "api-version=2026-03-01";
export const NETWORK = "api-version=2025-05-01";

/** Every kind of resource and state the simulator renders differently. */
export function conformanceScenario(shapes: ResponseShapes): ScenarioInput {
  return {
    subscription: {
      id: SUB,
      name: "Conformance Dev/Test",
      quotaId: "MSDNDevTest_2014-09-01",
      billing: {
        agreementType: "EnterpriseAgreement",
        workloadType: "DevTest",
        accountType: "Enterprise",
        skuId: "0001",
        skuDescription: "Enterprise Dev/Test",
      },
    },
    exemption: { exempted: true, effectiveAt: "2026-03-02T09:00:00Z" },
    resourceGroups: [
      { name: "rg-a", location: "westeurope", tags: { env: "dev" } },
      {
        name: "rg-b",
        location: "westeurope",
        managedBy: "/subscriptions/x/resourceGroups/owner/providers/Microsoft.Solutions/applications/app",
      },
      { name: "NetworkWatcherRG", location: "westeurope" },
    ],
    vms: [
      {
        name: "win1",
        resourceGroup: "rg-a",
        osType: "Windows",
        availabilitySet: "avset-1",
        networkWatcherAgent: true,
        tags: { app: "x" },
        lastStartTime: "2026-02-01T00:00:00Z",
        subnet: "vnet1/used",
      },
      { name: "lin-stopped", resourceGroup: "rg-a", power: "stopped", zone: "2" },
      { name: "lin-dealloc", resourceGroup: "rg-a", power: "deallocated", priority: "Spot" },
      {
        name: "lin-eph",
        resourceGroup: "rg-b",
        ephemeralOsDisk: true,
        networkWatcherAgent: true,
        lastStartTime: "2026-02-01T00:00:00Z",
      },
      { name: "lin-failed", resourceGroup: "rg-b", provisioningState: "Failed" },
      { name: "flex-0", resourceGroup: "rg-b", flexScaleSet: "flex" },
    ],
    scaleSets: [
      {
        name: "uni",
        resourceGroup: "rg-b",
        zones: ["1", "2"],
        instances: [{ instanceId: "0" }, { instanceId: "1", power: "deallocated" }],
      },
      { name: "eph", resourceGroup: "rg-b", ephemeralOsDisk: true, instances: [{ instanceId: "0", power: "stopped" }] },
      { name: "flex", resourceGroup: "rg-b", orchestrationMode: "Flexible" },
    ],
    vnets: [
      {
        name: "vnet1",
        resourceGroup: "rg-a",
        addressPrefixes: ["10.0.0.0/16"],
        tags: { net: "1" },
        subnets: [
          {
            name: "used",
            addressPrefix: "10.0.0.0/24",
            inUse: true,
            routeTable: "rt-egress",
            natGateway: "nat-egress",
          },
          { name: "ase", addressPrefix: "10.0.1.0/24", delegations: ["Microsoft.Web/hostingEnvironments"] },
          {
            name: "linked",
            addressPrefix: "10.0.2.0/24",
            serviceAssociationLinks: [
              {
                linkedResourceType: "Microsoft.Web/hostingEnvironments",
                link: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/hostingEnvironments/z",
              },
            ],
          },
          { name: "multi", addressPrefixes: ["10.0.3.0/24", "10.0.4.0/24"] },
        ],
      },
      {
        name: "vnet-ipam",
        resourceGroup: "rg-b",
        addressPrefixes: ["10.1.0.0/16"],
        ipamPools: ["/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/networkManagers/nm/ipamPools/pool"],
        subnets: [
          {
            name: "from-pool",
            ipamAllocations: [
              {
                poolId:
                  "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/networkManagers/nm/ipamPools/pool",
                allocatedAddressPrefixes: ["10.1.0.0/24"],
              },
            ],
          },
        ],
      },
    ],
    networkWatchers: [{ location: "westeurope" }],
    // Locks that no write below runs into: the listings' bodies only.
    locks: [
      { name: "rg-b-nodelete", level: "CanNotDelete", scope: { resourceGroup: "rg-b" }, notes: "platform" },
      {
        name: "vm-ro",
        level: "ReadOnly",
        scope: { resourceGroup: "rg-b", type: "Microsoft.Compute/virtualMachines", name: "lin-failed" },
      },
      {
        name: "vm-nodelete",
        level: "CanNotDelete",
        scope: { resourceGroup: "rg-a", type: "Microsoft.Compute/virtualMachines", name: "win1" },
      },
    ],
    routeTables: [
      {
        name: "rt-egress",
        resourceGroup: "rg-a",
        routes: [
          {
            name: "default-via-fw",
            addressPrefix: "0.0.0.0/0",
            nextHopType: "VirtualAppliance",
            nextHopIpAddress: "10.100.0.4",
          },
          { name: "onprem", addressPrefix: "192.168.0.0/16", nextHopType: "VirtualNetworkGateway" },
        ],
      },
    ],
    natGateways: [{ name: "nat-egress", resourceGroup: "rg-a" }],
    behaviour: {
      jitter: 0,
      pageSize: 2,
      latencies: {
        powerOff: 30,
        deallocate: 60,
        start: 60,
        subnetCreate: 10,
        subnetDelete: 10,
        connectivityCheck: 20,
        effectiveRouteTable: 10,
      },
      throttling: { enabled: false },
      computeThrottling: { enabled: false },
      vnetWriteConflict: "409",
      responseShapes: shapes,
    },
  };
}

class Recorder {
  readonly exchanges: Exchange[] = [];
  constructor(readonly c: Client) {}

  private record(method: string, url: string, r: Reply): Reply {
    this.exchanges.push({ method, url: new URL(url), status: r.status, headers: r.headers, body: r.body });
    return r;
  }

  async call(method: string, path: string, body?: unknown): Promise<Reply> {
    return this.record(method, `${this.c.sim.endpoint}${path}`, await this.c.call(method, path, body));
  }

  async follow(url: string): Promise<Reply> {
    return this.record("GET", url, await this.c.follow(url));
  }

  /** Calls (and follows every nextLink of) a route only when the simulator serves it. */
  async ifServed(method: string, path: string): Promise<void> {
    const segments = new URL(path, this.c.sim.endpoint).pathname.split("/").filter((x) => x !== "");
    if (matchRoute(method, segments) !== undefined) await this.list(path);
  }

  /** Follows every nextLink of a list. */
  async list(path: string): Promise<void> {
    let r = await this.call("GET", path);
    for (let i = 0; i < 20; i++) {
      const next = (r.body as { nextLink?: string } | undefined)?.nextLink;
      if (next === undefined) return;
      r = await this.follow(next);
    }
  }

  /** Polls the operation URLs of a long-running answer (status, then result) while advancing the clock. */
  async settle(r: Reply): Promise<void> {
    const h = (n: string): string | undefined => {
      const v = r.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const asyncUrl = h("azure-asyncoperation");
    const location = h("location");
    for (let i = 0; i < 6; i++) {
      if (asyncUrl !== undefined) await this.follow(asyncUrl);
      if (location !== undefined) await this.follow(location);
      this.c.clock.advance(30);
    }
  }
}

const vm = (rg: string, name: string, suffix = ""): string =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}${suffix}`;
const ss = (name: string, suffix = ""): string =>
  `/subscriptions/${SUB}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/${name}${suffix}`;
const vnet = (rg: string, name: string, suffix = ""): string =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}${suffix}`;
const WATCHER = `/subscriptions/${SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope`;

async function reads(r: Recorder): Promise<void> {
  await r.call("GET", `/subscriptions/${SUB}?api-version=2022-12-01`);
  await r.call(
    "GET",
    `/subscriptions/${SUB}/providers/Microsoft.Billing/billingProperty/default?api-version=2024-04-01`,
  );
  await r.list(`/subscriptions/${SUB}/resourcegroups?api-version=2025-04-01`);
  await r.call("GET", `/subscriptions/${SUB}/resourcegroups/rg-b?api-version=2025-04-01`);
  const byFlex = `$filter=${encodeURIComponent(`'virtualMachineScaleSet/id' eq '${ss("flex")}'`)}`;
  // `$expand=instanceView` needs a valid `$filter` (answered 400 without one); statusOnly is the subscription list's.
  for (const q of [
    COMPUTE,
    `${COMPUTE}&$expand=instanceView`,
    `${COMPUTE}&statusOnly=true`,
    `${COMPUTE}&${byFlex}`,
    `${COMPUTE}&${byFlex}&$expand=instanceView`,
  ]) {
    await r.list(`/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines?${q}`);
    await r.list(`/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines?${q}`);
  }
  for (const [rg, name] of [
    ["rg-a", "win1"],
    ["rg-a", "lin-stopped"],
    ["rg-a", "lin-dealloc"],
    ["rg-b", "lin-eph"],
    ["rg-b", "lin-failed"],
    ["rg-b", "flex-0"],
  ] as const) {
    await r.call("GET", `${vm(rg, name)}?${COMPUTE}`);
    await r.call("GET", `${vm(rg, name)}?${COMPUTE}&$expand=instanceView`);
    await r.call("GET", `${vm(rg, name, "/instanceView")}?${COMPUTE}`);
  }
  await r.list(`/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachineScaleSets?${COMPUTE}`);
  await r.list(
    `/subscriptions/${SUB}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets?${COMPUTE}`,
  );
  for (const name of ["uni", "eph", "flex"]) await r.call("GET", `${ss(name)}?${COMPUTE}`);
  for (const name of ["uni", "eph"]) {
    await r.list(`${ss(name, "/virtualMachines")}?${COMPUTE}`);
    await r.list(`${ss(name, "/virtualMachines")}?${COMPUTE}&$expand=instanceView`);
    await r.call("GET", `${ss(name, "/virtualMachines/0")}?${COMPUTE}`);
    await r.call("GET", `${ss(name, "/virtualMachines/0")}?${COMPUTE}&$expand=instanceView`);
    await r.call("GET", `${ss(name, "/virtualMachines/0/instanceView")}?${COMPUTE}`);
  }
  await r.list(`/subscriptions/${SUB}/providers/Microsoft.Network/virtualNetworks?${NETWORK}`);
  await r.list(`/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks?${NETWORK}`);
  await r.call("GET", `${vnet("rg-a", "vnet1")}?${NETWORK}`);
  await r.call("GET", `${vnet("rg-b", "vnet-ipam")}?${NETWORK}`);
  await r.list(`${vnet("rg-a", "vnet1", "/subnets")}?${NETWORK}`);
  for (const s of ["used", "ase", "linked", "multi"])
    await r.call("GET", `${vnet("rg-a", "vnet1", `/subnets/${s}`)}?${NETWORK}`);
  await r.call("GET", `${vnet("rg-b", "vnet-ipam", "/subnets/from-pool")}?${NETWORK}`);
  await r.list(`/subscriptions/${SUB}/providers/Microsoft.Network/networkWatchers?${NETWORK}`);
  await r.list(
    `/subscriptions/${SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers?${NETWORK}`,
  );
  await r.list(`/subscriptions/${SUB}/providers/Microsoft.Network/networkInterfaces?${NETWORK}`);
  await r.list(`/subscriptions/${SUB}/providers/Microsoft.Network/routeTables?${NETWORK}`);
  // Routes being added while this suite was written: exercised as soon as the simulator serves them.
  for (const [rg, name] of [
    ["rg-a", "win1"],
    ["rg-b", "lin-failed"],
  ] as const)
    await r.ifServed("GET", `${vm(rg, name, "/extensions")}?${COMPUTE}`);
  const now = r.c.clock.now();
  const range = `eventTimestamp ge '${new Date(now - 30 * 86_400_000).toISOString()}' and eventTimestamp le '${new Date(now).toISOString()}'`;
  const log = `/subscriptions/${SUB}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01`;
  await r.ifServed("GET", `${log}&$filter=${encodeURIComponent(range)}`);
  await r.ifServed(
    "GET",
    `${log}&$filter=${encodeURIComponent(`${range} and resourceGroupName eq 'rg-a'`)}&$select=${encodeURIComponent("eventTimestamp,operationName,status,resourceId")}`,
  );
  // Management locks at each scope (ManagementLocks_ListAtSubscriptionLevel, _ListAtResourceGroupLevel, _ListAtResourceLevel).
  await r.list(`/subscriptions/${SUB}/providers/Microsoft.Authorization/locks?api-version=2020-05-01`);
  await r.list(
    `/subscriptions/${SUB}/resourceGroups/rg-b/providers/Microsoft.Authorization/locks?api-version=2020-05-01`,
  );
  await r.list(`${vm("rg-a", "win1")}/providers/Microsoft.Authorization/locks?api-version=2020-05-01`);
  // The caller's own permissions at a group (Permissions_ListForResourceGroup).
  await r.list(
    `/subscriptions/${SUB}/resourceGroups/rg-b/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`,
  );
  // Errors ARM answers on these routes.
  await r.call("GET", `${vm("rg-a", "nope")}?${COMPUTE}`);
  await r.call("GET", `${vnet("rg-a", "vnet1", "/subnets/nope")}?${NETWORK}`);
  await r.call("GET", `/subscriptions/${SUB}/resourcegroups/nope?api-version=2025-04-01`);
}

async function writes(r: Recorder): Promise<void> {
  // Power actions on VMs and scale sets, each polled to the end; a no-op start (already running) may be synchronous.
  for (const [path, body] of [
    [`${vm("rg-a", "win1", "/powerOff")}?${COMPUTE}`, undefined],
    [`${vm("rg-a", "win1", "/deallocate")}?${COMPUTE}`, undefined],
    [`${vm("rg-a", "win1", "/start")}?${COMPUTE}`, undefined],
    [`${vm("rg-a", "win1", "/start")}?${COMPUTE}`, undefined],
    [`${ss("uni", "/powerOff")}?${COMPUTE}`, { instanceIds: ["0"] }],
    [`${ss("uni", "/deallocate")}?${COMPUTE}`, { instanceIds: ["0"] }],
    [`${ss("uni", "/start")}?${COMPUTE}`, { instanceIds: ["0", "1"] }],
  ] as const) {
    await r.settle(await r.call("POST", path, body));
    r.c.clock.advance(120);
  }
  await r.call("GET", `${vm("rg-a", "win1", "/instanceView")}?${COMPUTE}`);
  // Subnet create, update, delete; and one that cannot be deleted (in use).
  const tmp = `${vnet("rg-a", "vnet1", "/subnets/tmp")}?${NETWORK}`;
  await r.settle(await r.call("PUT", tmp, { properties: { addressPrefix: "10.0.9.0/24" } }));
  await r.settle(
    await r.call("PUT", tmp, {
      properties: {
        addressPrefix: "10.0.9.0/24",
        delegations: [{ name: "d", properties: { serviceName: "Microsoft.Web/serverFarms" } }],
      },
    }),
  );
  await r.call("GET", tmp);
  await r.settle(await r.call("DELETE", tmp));
  await r.call("DELETE", `${vnet("rg-a", "vnet1", "/subnets/used")}?${NETWORK}`);
  // Connectivity checks: blocked (port 25) and open, from running VMs with the agent.
  for (const port of [25, 443])
    for (const source of [vm("rg-a", "win1"), vm("rg-b", "lin-eph")]) {
      const first = await r.call("POST", `${WATCHER}/connectivityCheck?${NETWORK}`, {
        source: { resourceId: source },
        destination: { address: "mx.example.com", port },
      });
      await r.settle(first);
    }
  // A running VM's NIC's effective routes (NetworkInterfaces_GetEffectiveRouteTable), polled to its list.
  await r.settle(
    await r.call(
      "POST",
      `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.Network/networkInterfaces/win1-nic/effectiveRouteTable?${NETWORK}`,
    ),
  );
  // A guest still booting after a start: its instance view while the agent is Not Ready and while the extensions
  // transition, and a connectivity check from it (Unknown with AgentStopped, or a failed operation).
  // (Each settle moves the clock 3 minutes; the agents report 144–216 s after running, the extensions 24–36 s later.)
  const recycle = async (): Promise<void> => {
    await r.settle(await r.call("POST", `${vm("rg-a", "win1", "/deallocate")}?${COMPUTE}`));
    await r.settle(await r.call("POST", `${vm("rg-a", "win1", "/start")}?${COMPUTE}`));
  };
  await recycle();
  await r.settle(
    await r.call("POST", `${WATCHER}/connectivityCheck?${NETWORK}`, {
      source: { resourceId: vm("rg-a", "win1") },
      destination: { address: "mx.example.com", port: 25 },
    }),
  );
  await recycle();
  for (let i = 0; i < 8; i++) {
    await r.call("GET", `${vm("rg-a", "win1", "/instanceView")}?${COMPUTE}`);
    await r.call("GET", `${vm("rg-a", "win1")}?${COMPUTE}&$expand=instanceView`);
    r.c.clock.advance(20);
  }
}

/** Records every exchange of the reads (once) and of the writes under each LRO shape and connectivity vocabulary. */
export async function captureAll(): Promise<Exchange[]> {
  const all: Exchange[] = [];
  const runs: {
    lro: (typeof LRO_SHAPES)[number] | "varied";
    connectionStatus: "spec" | "cli" | "varied";
    reads: boolean;
  }[] = [
    { lro: "varied", connectionStatus: "varied", reads: true },
    ...LRO_SHAPES.map((lro, i) => ({
      lro,
      connectionStatus: i % 2 === 0 ? ("spec" as const) : ("cli" as const),
      reads: false,
    })),
  ];
  for (const run of runs) {
    const c = await connect(conformanceScenario({ lro: run.lro, connectionStatus: run.connectionStatus }), 11);
    const r = new Recorder(c);
    try {
      if (run.reads) await reads(r);
      await writes(r);
      if (run.reads) await reads(r); // the same reads after the writes: other power states and timestamps
    } finally {
      await c.sim.close();
    }
    all.push(...r.exchanges);
  }
  return all;
}
