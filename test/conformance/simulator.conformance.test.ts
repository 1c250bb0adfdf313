/**
 * Conformance: every body the simulator answers, on every route it serves (ROUTES in src/simulator/routes.ts), in
 * each shape it answers, validated against Microsoft's OpenAPI definitions for the api-versions the SDKs send
 * (compute 2026-03-01, network 2025-05-01, resources 2025-04-01, subscriptions 2022-12-01, billing 2024-04-01).
 * The definitions are extracts of Azure/azure-rest-api-specs kept under specs/ (sources in SOURCES.md).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchRoute, ROUTES } from "../../src/simulator/routes";
import { arr, connect, generateFleet, pick, str, type Client } from "../simulator/helpers";
import { captureAll, conformanceScenario, type Exchange } from "./capture";
import { KNOWN_DEVIATIONS } from "./deviations";
import { SpecSet, type Json } from "./openapi";

const specs = new SpecSet(join(__dirname, "specs"));

const COMPUTE_RP = "specification/compute/resource-manager/Microsoft.Compute/Compute/stable/2026-03-01/ComputeRP.json";
const COMPUTE_COMMON = "specification/compute/resource-manager/Microsoft.Compute/Compute/common-types/v1/common.json";
const ARM_TYPES = "specification/common-types/resource-management/v3/types.json";
const NET = "specification/network/resource-manager/Microsoft.Network/stable/2025-05-01";
const RESOURCES = "specification/resources/resource-manager/Microsoft.Resources/stable/2025-04-01/resources.json";
const SUBSCRIPTIONS =
  "specification/resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json";
const BILLING = "specification/billing/resource-manager/Microsoft.Billing/stable/2024-04-01/billingProperty.json";
const ACTIVITY_LOG =
  "specification/monitor/resource-manager/Microsoft.Insights/stable/2015-04-01/activityLogs_API.json";
const LOCKS = "specification/resources/resource-manager/Microsoft.Authorization/stable/2020-05-01/locks.json";
const PERMISSIONS =
  "specification/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleDefinitionsCalls.json";

type Expect = { def: [file: string, name: string] } | { empty: true; allowEmptyObject?: boolean };

/** What a 2xx answer of a route must be: a definition, or no body (Compute's power actions: nothing or `{}`). */
function expected(
  method: string,
  template: string,
  status: number,
  query: URLSearchParams,
  body: Json | undefined,
): Expect {
  const hasBody = body !== undefined;
  // A network operation's Location serves a connectivity check's result or a NIC's effective routes ({ value: [..] }).
  const routeList = body !== null && typeof body === "object" && !Array.isArray(body) && "value" in body;
  const key = `${method} ${template.replace(/\{[a-z]+\}/g, "{}")}`;
  const compute = (name: string): Expect => ({ def: [COMPUTE_RP, name] });
  const net = (file: string, name: string): Expect => ({ def: [`${NET}/${file}`, name] });
  const table: Record<string, () => Expect> = {
    "GET subscriptions/{}": () => ({ def: [SUBSCRIPTIONS, "Subscription"] }),
    "GET subscriptions/{}/providers/microsoft.billing/billingproperty/default": () => ({
      def: [BILLING, "BillingProperty"],
    }),
    "GET subscriptions/{}/resourcegroups": () => ({ def: [RESOURCES, "ResourceGroupListResult"] }),
    "GET subscriptions/{}/resourcegroups/{}": () => ({ def: [RESOURCES, "ResourceGroup"] }),
    "GET subscriptions/{}/providers/microsoft.compute/virtualmachines": () => compute("VirtualMachineListResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachines": () =>
      compute("VirtualMachineListResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachines/{}": () =>
      compute("VirtualMachine"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachines/{}/instanceview": () =>
      compute("VirtualMachineInstanceView"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachines/{}/extensions": () =>
      compute("VirtualMachineExtensionsListResult"),
    "GET subscriptions/{}/providers/microsoft.insights/eventtypes/management/values": () => ({
      def: [ACTIVITY_LOG, "EventDataCollection"],
    }),
    "GET subscriptions/{}/providers/microsoft.authorization/locks": () => ({
      def: [LOCKS, "ManagementLockListResult"],
    }),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.authorization/locks": () => ({
      def: [LOCKS, "ManagementLockListResult"],
    }),
    "GET subscriptions/{}/resourcegroups/{}/providers/{}/{}/{}/providers/microsoft.authorization/locks": () => ({
      def: [LOCKS, "ManagementLockListResult"],
    }),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.authorization/permissions": () => ({
      def: [PERMISSIONS, "PermissionGetResult"],
    }),
    "GET subscriptions/{}/providers/microsoft.compute/virtualmachinescalesets": () =>
      compute("VirtualMachineScaleSetListWithLinkResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachinescalesets": () =>
      compute("VirtualMachineScaleSetListResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachinescalesets/{}": () =>
      compute("VirtualMachineScaleSet"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachinescalesets/{}/virtualmachines":
      () => compute("VirtualMachineScaleSetVMListResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachinescalesets/{}/virtualmachines/{}":
      () => compute("VirtualMachineScaleSetVM"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachinescalesets/{}/virtualmachines/{}/instanceview":
      () => compute("VirtualMachineScaleSetVMInstanceView"),
    // Compute's async-operation status is not in ComputeRP.json; it follows ARM's async-operation contract
    // (common-types OperationStatusResult). Its `monitor=true` Location answers 202/200 with no body.
    "GET subscriptions/{}/providers/microsoft.compute/locations/{}/operations/{}": () =>
      (query.get("monitor") ?? "").toLowerCase() === "true"
        ? { empty: true }
        : { def: [ARM_TYPES, "OperationStatusResult"] },
    "GET subscriptions/{}/providers/microsoft.network/virtualnetworks": () =>
      net("virtualNetwork.json", "VirtualNetworkListResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.network/virtualnetworks": () =>
      net("virtualNetwork.json", "VirtualNetworkListResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.network/virtualnetworks/{}": () =>
      net("virtualNetwork.json", "VirtualNetwork"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.network/virtualnetworks/{}/subnets": () =>
      net("virtualNetwork.json", "SubnetListResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.network/virtualnetworks/{}/subnets/{}": () =>
      net("virtualNetwork.json", "Subnet"),
    "PUT subscriptions/{}/resourcegroups/{}/providers/microsoft.network/virtualnetworks/{}/subnets/{}": () =>
      net("virtualNetwork.json", "Subnet"),
    "DELETE subscriptions/{}/resourcegroups/{}/providers/microsoft.network/virtualnetworks/{}/subnets/{}": () => ({
      empty: true,
    }),
    "GET subscriptions/{}/providers/microsoft.network/networkwatchers": () =>
      net("networkWatcher.json", "NetworkWatcherListResult"),
    "GET subscriptions/{}/providers/microsoft.network/networkinterfaces": () =>
      net("networkInterface.json", "NetworkInterfaceListResult"),
    "GET subscriptions/{}/providers/microsoft.network/routetables": () =>
      net("routeTable.json", "RouteTableListResult"),
    "GET subscriptions/{}/resourcegroups/{}/providers/microsoft.network/networkwatchers": () =>
      net("networkWatcher.json", "NetworkWatcherListResult"),
    "POST subscriptions/{}/resourcegroups/{}/providers/microsoft.network/networkwatchers/{}/connectivitycheck": () =>
      status === 200 ? net("networkWatcher.json", "ConnectivityInformation") : { empty: true },
    "GET subscriptions/{}/providers/microsoft.network/locations/{}/operations/{}": () =>
      net("network.json", "AzureAsyncOperationResult"),
    // The Location of a network operation: 202 while running, then the result (a connectivity check's) or nothing.
    "GET subscriptions/{}/providers/microsoft.network/locations/{}/operationresults/{}": () =>
      status === 200 && hasBody
        ? routeList
          ? net("networkInterface.json", "EffectiveRouteListResult")
          : net("networkWatcher.json", "ConnectivityInformation")
        : { empty: true },
    "POST subscriptions/{}/resourcegroups/{}/providers/microsoft.network/networkinterfaces/{}/effectiveroutetable":
      () => (status === 200 ? net("networkInterface.json", "EffectiveRouteListResult") : { empty: true }),
  };
  for (const kind of ["poweroff", "deallocate", "start"]) {
    table[`POST subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachines/{}/${kind}`] = () => ({
      empty: true,
      allowEmptyObject: true,
    });
    table[`POST subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachinescalesets/{}/${kind}`] =
      () => ({ empty: true, allowEmptyObject: true });
  }
  const f = table[key];
  if (f === undefined) throw new Error(`no expectation for ${key}: add one when adding a route`);
  return f();
}

function errorDefinition(template: string): [string, string] {
  if (template.includes("microsoft.insights")) return [ACTIVITY_LOG, "ErrorResponse"];
  if (template.includes("microsoft.compute")) return [COMPUTE_COMMON, "CloudError"];
  if (template.includes("microsoft.network")) return [`${NET}/network.json`, "CloudError"];
  return [ARM_TYPES, "ErrorResponse"];
}

interface Checked {
  label: string;
  template: string;
  failures: string[];
}

function check(e: Exchange): Checked {
  const segments = e.url.pathname.split("/").filter((s) => s !== "");
  const m = matchRoute(e.method, segments);
  const label = `${e.method} ${e.url.pathname}${e.url.search} → ${e.status}`;
  if (m === undefined) return { label, template: "(none)", failures: [`${label}: no route serves this path`] };
  const template = m.route.segments.join("/");
  const body = e.body as Json | undefined;
  if (e.status >= 400) {
    if (e.status === 429 || e.status >= 500) return { label, template, failures: [] };
    const [file, name] = errorDefinition(template);
    return {
      label,
      template,
      failures: specs.validate(specs.definition(file, name), body).map((f) => `${label}: ${f}`),
    };
  }
  const exp = expected(e.method, template, e.status, e.url.searchParams, body);
  if ("empty" in exp) {
    const isEmptyObject =
      body !== null && typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 0;
    const ok = body === undefined || (exp.allowEmptyObject === true && isEmptyObject);
    return {
      label,
      template,
      failures: ok
        ? []
        : [`${label}: the spec declares no body for this answer, got ${JSON.stringify(body).slice(0, 200)}`],
    };
  }
  const [file, name] = exp.def;
  if (body === undefined) return { label, template, failures: [`${label}: expected a ${name} body, got none`] };
  return {
    label,
    template,
    failures: specs.validate(specs.definition(file, name), body, KNOWN_DEVIATIONS).map((f) => `${label}: ${f}`),
  };
}

describe("the simulator's bodies conform to Microsoft's OpenAPI definitions", () => {
  let checked: Checked[] = [];
  let exchanges: Exchange[] = [];
  beforeAll(async () => {
    exchanges = await captureAll();
    checked = exchanges.map(check);
  });

  it("validates a guest still booting: the agent Not Ready, and a check from it without a verdict", () => {
    const text = exchanges.map((e) => JSON.stringify(e.body ?? null));
    expect(text.some((t) => t.includes('"ProvisioningState/Unavailable"'))).toBe(true);
    expect(text.some((t) => t.includes('"ProvisioningState/transitioning"'))).toBe(true);
    expect(text.some((t) => t.includes('"AgentStopped"') || t.includes('"InternalServerError"'))).toBe(true);
  });

  it("exercises every route the simulator serves", () => {
    const hit = new Set(checked.map((c) => c.template));
    const missing = ROUTES.map((r) => `${r.method} ${r.segments.join("/")}`).filter(
      (k) => !hit.has(k.slice(k.indexOf(" ") + 1)),
    );
    expect(missing).toEqual([]);
  });

  it("every route's bodies validate (types, enums, required fields, no undeclared properties)", () => {
    const byRoute = new Map<string, string[]>();
    for (const c of checked)
      for (const f of c.failures) byRoute.set(c.template, [...(byRoute.get(c.template) ?? []), f]);
    // One line per distinct failure (paths with indices folded), so a systematic problem reads once.
    const distinct = [
      ...new Set(
        checked.flatMap((c) =>
          c.failures.map((f) => f.replace(/^[^:]*→ \d+: /, `${c.template}: `).replace(/\[\d+\]/g, "[]")),
        ),
      ),
    ].sort();
    expect(distinct).toEqual([]);
  });
});

describe("the validator is strict where the brief says it must be", () => {
  const vm = specs.definition(COMPUTE_RP, "VirtualMachine");
  const base = { id: "/x", name: "vm", type: "Microsoft.Compute/virtualMachines", location: "westeurope" };

  it("accepts a minimal VM", () => {
    expect(specs.validate(vm, base)).toEqual([]);
  });

  it("flags an undeclared property, a wrong type, a closed enum, a missing required field and a bad date-time", () => {
    expect(specs.validate(vm, { ...base, colour: "red" })).toEqual([
      "$.colour: property not declared by the definition",
    ]);
    expect(specs.validate(vm, { ...base, zones: "1" })).toEqual(['$.zones: expected an array, got string "1"']);
    expect(
      specs.validate(vm, {
        ...base,
        properties: { storageProfile: { osDisk: { createOption: "FromImage", caching: "Sometimes" } } },
      }),
    ).toEqual([
      '$.properties.storageProfile.osDisk.caching: \'Sometimes\' is not one of "None", "ReadOnly", "ReadWrite"',
    ]);
    expect(specs.validate(vm, { id: "/x" })).toEqual(["$: required property 'location' is missing"]);
    expect(specs.validate(vm, { ...base, properties: { timeCreated: "yesterday" } })).toEqual([
      "$.properties.timeCreated: 'yesterday' is not an RFC 3339 date-time",
    ]);
  });

  it("lets a modelAsString enum take any string, and a map take any key", () => {
    expect(specs.validate(vm, { ...base, tags: { anything: "x" }, properties: { priority: "Whatever" } })).toEqual([]);
  });

  it("fails a body that reaches a definition the extract does not hold", () => {
    expect(specs.validate(vm, { ...base, properties: { securityProfile: {} } })).toEqual([
      "$.properties.securityProfile: $ref #/definitions/SecurityProfile (from specification/compute/resource-manager/Microsoft.Compute/Compute/stable/2026-03-01/ComputeRP.json) is not in the stored spec extract",
    ]);
  });

  it("every stored spec file names its source path and commit", () => {
    expect(specs.files().filter((f) => specs.source(f) === undefined)).toEqual([]);
  });
});

describe("error shapes of services outside ARM's common envelope", () => {
  let c: Client;
  beforeAll(async () => {
    c = await connect(conformanceScenario({ lro: "varied", connectionStatus: "spec" }), 3);
  });
  afterAll(() => c.sim.close());

  // activityLogs_API.json (2015-04-01) defines the Activity Log's error as a flat ErrorResponse { code, message }; the
  // gateway reads either form (src/azure/errors.ts armErrorFromBody).
  it("an Activity Log 400 is the definition's flat ErrorResponse", async () => {
    const r = await c.call(
      "GET",
      `/subscriptions/${c.sub}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01&$filter=bad`,
    );
    expect(r.status).toBe(400);
    expect(specs.validate(specs.definition(ACTIVITY_LOG, "ErrorResponse"), r.body as Json)).toEqual([]);
  });
});

describe("the VM listing the run observes power states through (VirtualMachines_ListAll with statusOnly=true)", () => {
  let c: Client;
  const COMPUTE_Q = "api-version=2026-03-01";
  beforeAll(async () => {
    // Larger than a page at any page size the scenario could ask for: 130 VMs over four resource groups.
    const fleet = generateFleet(130, 5);
    c = await connect({ ...fleet, behaviour: { ...fleet.behaviour, pageSize: 1000 } }, 5);
  });
  afterAll(() => c.sim.close());

  async function listAll(path: string): Promise<{ pages: unknown[]; sizes: number[]; nextLinks: string[] }> {
    const pages: unknown[] = [];
    const sizes: number[] = [];
    const nextLinks: string[] = [];
    let r = await c.call("GET", path);
    for (;;) {
      expect(r.status).toBe(200);
      pages.push(r.body);
      sizes.push(arr(r.body, "value").length);
      const next = pick(r.body, "nextLink");
      if (typeof next !== "string") break;
      nextLinks.push(next);
      r = await c.follow(next);
    }
    return { pages, sizes, nextLinks };
  }

  it("pages at most 50 VMs, every page a VirtualMachineListResult with each VM's instance-view statuses, nextLinks keeping statusOnly", async () => {
    const { pages, sizes, nextLinks } = await listAll(
      `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE_Q}&statusOnly=true`,
    );
    expect(sizes).toEqual([50, 50, 30]);
    for (const next of nextLinks) expect(new URL(next).searchParams.get("statusOnly")).toBe("true");
    const failures = pages.flatMap((p) =>
      specs.validate(specs.definition(COMPUTE_RP, "VirtualMachineListResult"), p as Json, KNOWN_DEVIATIONS),
    );
    expect(failures).toEqual([]);
    const codes = pages.flatMap((p) =>
      arr(p, "value").map((vm) =>
        (pick(vm, "properties.instanceView.statuses") as { code: string }[]).map((s) => s.code.split("/")[0]),
      ),
    );
    // Every VM has its provisioning state; all but a rare few (Learn: "in some rare situations") their power state.
    expect(codes.every((cs) => cs.includes("ProvisioningState"))).toBe(true);
    const withoutPower = codes.filter((cs) => !cs.includes("PowerState")).length;
    expect(withoutPower).toBeLessThan(codes.length / 20);
  });

  it("a resource group's listing (VirtualMachines_List) has no statusOnly parameter: it gives no power state", async () => {
    const rg = str(
      await c.call("GET", `/subscriptions/${c.sub}/resourcegroups?api-version=2025-04-01`).then((r) => r.body),
      "value.0.name",
    );
    const { pages } = await listAll(
      `/subscriptions/${c.sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines?${COMPUTE_Q}&statusOnly=true`,
    );
    const vms = pages.flatMap((p) => arr(p, "value"));
    expect(vms.length).toBeGreaterThan(0);
    expect(vms.filter((vm) => pick(vm, "properties.instanceView") !== undefined)).toEqual([]);
  });

  it("$expand=instanceView needs a valid $filter, and $filter only takes a flexible scale set's id", async () => {
    const base = `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachines?${COMPUTE_Q}`;
    for (const q of ["$expand=instanceView", `$filter=${encodeURIComponent("name eq 'x'")}`, "$expand=userData"]) {
      const r = await c.call("GET", `${base}&${q}`);
      expect([r.status, str(r.body, "error.code")]).toEqual([400, "InvalidParameter"]);
      expect(specs.validate(specs.definition(COMPUTE_COMMON, "CloudError"), r.body as Json)).toEqual([]);
    }
  });
});
