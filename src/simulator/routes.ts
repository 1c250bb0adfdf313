/** The ARM paths the simulator serves: method + path template → operation name, API family and handler. */
import { z } from "zod";
import { ArmHttpError } from "./armError";
import {
  activityEventBody,
  billingPropertyBody,
  extensionBody,
  instanceViewBody,
  operationStatusBody,
  resourceGroupBody,
  scaleSetBody,
  scaleSetVmBody,
  subnetBody,
  subscriptionBody,
  vmBody,
  vnetBody,
  nicBody,
  routeTableBody,
  watcherBody,
} from "./bodies";
import type { OperationName, ParsedFault, RequestContext } from "./faults";
import { lockBody } from "./governance";
import { authorize, permissionsOf } from "./permissions";
import type { LroShape } from "./shapes";
import { ACTIVITY_LOG_RETENTION_MS, type ActivityEvent, type Machine, type Operation, type PowerOp, type RgRecord, type ScaleSetRecord, type VmRecord, type VnetState, type World } from "./world";

type ApiFamily = "subscriptions" | "resources" | "compute" | "network" | "billing" | "insights" | "authorization" | "permissions";

/** Accepted api-versions per family: what the installed SDKs send, plus recent releases, deliberately listed. */
export const API_VERSIONS: Record<ApiFamily, readonly string[]> = {
  subscriptions: ["2022-12-01", "2021-01-01", "2020-01-01", "2016-06-01"],
  resources: ["2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2022-09-01", "2021-04-01"],
  compute: ["2026-03-01", "2026-04-01", "2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01"],
  network: ["2025-05-01", "2026-01-01", "2025-03-01", "2025-01-01", "2024-10-01", "2024-07-01", "2024-05-01"],
  billing: ["2024-04-01"],
  insights: ["2015-04-01"],
  // Management locks (locks.json): the stable versions; @azure/arm-locks 2.x sends 2016-09-01, the REST reference 2020-05-01.
  authorization: ["2020-05-01", "2016-09-01"],
  // Permissions - List For Resource Group (authorization's permissions spec): its newest stable version only.
  permissions: ["2022-04-01"],
};

export interface SimRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  pathname: string;
  body: unknown;
  apiVersion: string;
  ctx: RequestContext & { apiVersion: string; spike?: ParsedFault & { kind: "latencySpike" } };
  now: number;
  endpoint: string;
}

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Route {
  method: string;
  segments: string[];
  operation: OperationName;
  family: ApiFamily;
  handle: (w: World, r: SimRequest) => SimResponse;
}

const SUB = "subscriptions/{sub}";
const RG = `${SUB}/resourcegroups/{rg}`;
const CVM = `${RG}/providers/microsoft.compute/virtualmachines/{vm}`;
const CSS = `${RG}/providers/microsoft.compute/virtualmachinescalesets/{ss}`;
const NVN = `${RG}/providers/microsoft.network/virtualnetworks/{vnet}`;
const NNW = `${RG}/providers/microsoft.network/networkwatchers/{nw}`;

// ------------------------------------------------------------------ lookups (404s shaped like ARM's)

function rgOr404(w: World, name: string): RgRecord {
  const rg = w.rgs.get(name.toLowerCase());
  if (rg === undefined) throw new ArmHttpError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
  return rg;
}

function notFound(type: string, name: string, rg: string): ArmHttpError {
  return new ArmHttpError(404, "ResourceNotFound", `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
}

function idOf(w: World, rg: string, provider: string, type: string, name: string): string {
  return `/subscriptions/${w.subscriptionId}/resourcegroups/${rg}/providers/${provider}/${type}/${name}`.toLowerCase();
}

function vmOr404(w: World, r: SimRequest): VmRecord {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  const name = r.params["vm"] ?? "";
  const vm = w.vms.get(idOf(w, rg.name, "microsoft.compute", "virtualmachines", name));
  if (vm === undefined) throw notFound("Microsoft.Compute/virtualMachines", name, rg.name);
  w.settleMachine(vm.machine, r.now);
  return vm;
}

function scaleSetOr404(w: World, r: SimRequest): ScaleSetRecord {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  const name = r.params["ss"] ?? "";
  const ss = w.scaleSets.get(idOf(w, rg.name, "microsoft.compute", "virtualmachinescalesets", name));
  if (ss === undefined) throw notFound("Microsoft.Compute/virtualMachineScaleSets", name, rg.name);
  return ss;
}

function instanceOr404(w: World, r: SimRequest, ss: ScaleSetRecord): Machine {
  const id = r.params["inst"] ?? "";
  const m = ss.instances.get(id);
  if (m === undefined) throw notFound(`Microsoft.Compute/virtualMachineScaleSets/${ss.name}/virtualMachines`, id, ss.resourceGroup);
  w.settleMachine(m, r.now);
  return m;
}

function vnetOr404(w: World, r: SimRequest): VnetState {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  const name = r.params["vnet"] ?? "";
  const v = w.vnets.get(idOf(w, rg.name, "microsoft.network", "virtualnetworks", name));
  if (v === undefined) throw notFound("Microsoft.Network/virtualNetworks", name, rg.name);
  w.settleVnet(v, r.now);
  return v;
}

// ------------------------------------------------------------------ paging

/**
 * Virtual machines per page of a VM listing. Not documented; Azure's VM lists have been reported to page at 50
 * (Azure/azure-sdk-for-node#4769, Azure/azure-powershell#3227, apache/libcloud#1824), so the simulator never pages
 * them more generously than that, whatever the scenario's `pageSize`.
 */
export const VM_LIST_PAGE_SIZE = 50;

/** One page of `items` from $skiptoken, with an absolute nextLink that keeps api-version and the other query parameters. */
function page<T>(r: SimRequest, w: World, items: readonly T[], render: (item: T) => unknown, maxPageSize = Number.POSITIVE_INFINITY): SimResponse {
  const size = Math.min(w.scenario.behaviour.pageSize, maxPageSize);
  const token = r.query.get("$skiptoken");
  const start = token === null ? 0 : Number.parseInt(Buffer.from(token, "base64url").toString("utf8"), 10);
  if (!Number.isInteger(start) || start < 0) throw new ArmHttpError(400, "InvalidSkipToken", "The $skiptoken is not valid.");
  const value = items.slice(start, start + size).map(render);
  const body: { value: unknown[]; nextLink?: string } = { value };
  if (start + size < items.length) {
    const q = new URLSearchParams(r.query);
    q.set("$skiptoken", Buffer.from(String(start + size), "utf8").toString("base64url"));
    body.nextLink = `${r.endpoint}${r.pathname}?${q.toString()}`;
  }
  return { status: 200, body };
}

/** `'virtualMachineScaleSet/id' eq '<id>'`: the only $filter a VM listing accepts (VirtualMachines_List and _ListAll). */
const VM_LIST_FILTER = /^\s*'?virtualMachineScaleSet\/id'?\s+eq\s+'([^']+)'\s*$/i;

/**
 * A VM listing as Compute serves it: `$filter` only by flexible scale set; `$expand=instanceView` only with such a
 * filter ("this can only be specified if a valid $filter option is specified"); `statusOnly=true` only on the
 * subscription's listing (VirtualMachines_ListAll), where it adds each VM's instance view. VirtualMachines_List (a
 * resource group's) has no statusOnly parameter: there it is ignored, and gives no power state.
 */
function vmListing(w: World, r: SimRequest, vms: readonly VmRecord[], subscriptionWide: boolean): SimResponse {
  const filter = r.query.get("$filter");
  let selected = vms;
  if (filter !== null) {
    const m = VM_LIST_FILTER.exec(filter);
    if (m === null) throw new ArmHttpError(400, "InvalidParameter", `The value of parameter '$filter' is invalid: only 'virtualMachineScaleSet/id' eq '<id>' is supported.`);
    const ss = (m[1] ?? "").toLowerCase();
    selected = vms.filter((vm) => vm.flexScaleSetId?.toLowerCase() === ss);
  }
  const expand = (r.query.get("$expand") ?? "").toLowerCase();
  if (expand !== "" && expand !== "instanceview") throw new ArmHttpError(400, "InvalidParameter", `The value '${r.query.get("$expand") ?? ""}' of parameter '$expand' is not valid.`);
  if (expand === "instanceview" && filter === null)
    throw new ArmHttpError(400, "InvalidParameter", "The parameter '$expand=instanceView' can only be specified with a valid '$filter'.");
  const iv = expand === "instanceview" || (subscriptionWide && (r.query.get("statusOnly") ?? "").toLowerCase() === "true");
  return page(r, w, selected, (vm) => (w.settleMachine(vm.machine, r.now), vmBody(vm, iv, true, r.now)), VM_LIST_PAGE_SIZE);
}

// ------------------------------------------------------------------ long-running operations

function asyncUrls(r: SimRequest, op: Operation): { azureAsync: string; location: string } {
  const base = `${r.endpoint}/subscriptions/${r.params["sub"] ?? ""}/providers/${op.provider}/locations/${op.location}`;
  const v = encodeURIComponent(op.apiVersion);
  if (op.provider === "Microsoft.Compute")
    return { azureAsync: `${base}/operations/${op.id}?p=${op.id.slice(0, 8)}&api-version=${v}`, location: `${base}/operations/${op.id}?p=${op.id.slice(0, 8)}&monitor=true&api-version=${v}` };
  return { azureAsync: `${base}/operations/${op.id}?api-version=${v}`, location: `${base}/operationResults/${op.id}?api-version=${v}` };
}

/**
 * The first answer of a long-running operation in the chosen shape (shapes.ts). `status` and `body` are those of an
 * asynchronous answer (202 unless a PUT's 200/201); a synchronous one is `syncStatus` with `syncBody`.
 */
function accepted(
  r: SimRequest,
  op: Operation,
  shape: LroShape,
  o: { status?: number; body?: unknown; syncStatus?: number; syncBody?: unknown } = {},
): SimResponse {
  if (shape === "synchronous") {
    const body = o.syncBody ?? o.body;
    return body === undefined ? { status: o.syncStatus ?? 200 } : { status: o.syncStatus ?? 200, body };
  }
  const u = asyncUrls(r, op);
  const headers: Record<string, string> = {};
  if (shape === "azureAsyncOperation" || shape === "azureAsyncOperationAndLocation") headers["azure-asyncoperation"] = u.azureAsync;
  if (shape === "location" || shape === "azureAsyncOperationAndLocation") headers["location"] = u.location;
  // The resource's own URL, as the request named it (a GET there reads it; 404 once it is gone).
  if (shape === "resourceLocation") headers["location"] = `${r.endpoint}${r.pathname}?api-version=${encodeURIComponent(r.apiVersion)}`;
  const status = o.status ?? 202;
  return o.body === undefined ? { status, headers } : { status, headers, body: o.body };
}

/** Shapes ARM allows for a Compute power action: 200 when it had nothing to do, else 202 with either header or both. */
function powerShapes(op: Operation): LroShape[] {
  const async: LroShape[] = ["location", "azureAsyncOperation", "azureAsyncOperationAndLocation"];
  return op.machines.length === 0 && op.failure === undefined ? ["synchronous", ...async] : async;
}

function operationOr404(w: World, r: SimRequest, provider: Operation["provider"]): Operation {
  const op = w.operations.get(r.params["op"] ?? "");
  if (op === undefined || op.provider.toLowerCase() !== provider.toLowerCase())
    throw new ArmHttpError(404, "OperationNotFound", `The operation '${r.params["op"] ?? ""}' was not found.`);
  return op;
}

function operationStatus(w: World, r: SimRequest, provider: Operation["provider"]): SimResponse {
  const op = operationOr404(w, r, provider);
  return { status: 200, body: operationStatusBody(op, w.settleOperation(op, r.now)) };
}

/**
 * The Location URL: 202 while running, then 200 (never 204: the modular compute poller rejects it) with the result,
 * or the operation's failure as an error status: 409 for a conflict it lost (allocation, another operation), else 500.
 */
function operationResult(w: World, r: SimRequest, provider: Operation["provider"]): SimResponse {
  const op = operationOr404(w, r, provider);
  const status = w.settleOperation(op, r.now);
  if (status === "InProgress") return { status: 202, headers: { location: `${r.endpoint}${r.pathname}?${r.query.toString()}` } };
  if (status === "Failed") {
    const f = op.failure ?? { code: "InternalExecutionError", message: "The operation failed." };
    const codes = [f.code, ...(f.details ?? []).map((d) => d.code)].join(" ");
    return { status: /allocation|anotheroperation|retryable/i.test(codes) ? 409 : 500, body: { error: f } };
  }
  return op.result === undefined ? { status: 200 } : { status: 200, body: op.result };
}

const InstanceIdsBody = z.object({ instanceIds: z.array(z.string()).optional() }).loose().optional().nullable();

function vmPower(kind: PowerOp) {
  return (w: World, r: SimRequest): SimResponse => {
    const vm = vmOr404(w, r);
    const op = w.beginPower([vm.machine], kind, r.ctx, r.now);
    return accepted(r, op, w.shapes.lro(powerShapes(op)), { syncBody: {} });
  };
}

function scaleSetPower(kind: PowerOp) {
  return (w: World, r: SimRequest): SimResponse => {
    const ss = scaleSetOr404(w, r);
    if (ss.spec.orchestrationMode === "Flexible")
      throw new ArmHttpError(400, "OperationNotAllowed", `Scale set '${ss.name}' uses Flexible orchestration: act on its member VMs.`);
    const parsed = InstanceIdsBody.safeParse(r.body);
    if (!parsed.success) throw new ArmHttpError(400, "InvalidRequestContent", "The request body must be {\"instanceIds\": [..]}.");
    const ids = parsed.data?.instanceIds;
    const machines: Machine[] = [];
    if (ids === undefined || ids.length === 0) machines.push(...ss.instanceList);
    else
      for (const id of ids) {
        const m = ss.instances.get(id);
        if (m === undefined) throw new ArmHttpError(400, "InvalidParameter", `Instance id '${id}' is not a VM of scale set '${ss.name}'.`);
        machines.push(m);
      }
    const op = w.beginPower(machines, kind, r.ctx, r.now);
    return accepted(r, op, w.shapes.lro(powerShapes(op)), { syncBody: {} });
  };
}

// ------------------------------------------------------------------ subnets and connectivity

const SubnetPutBody = z
  .object({
    properties: z
      .object({
        addressPrefix: z.string().optional(),
        addressPrefixes: z.array(z.string()).optional(),
        delegations: z.array(z.object({ properties: z.object({ serviceName: z.string() }).loose().optional(), serviceName: z.string().optional() }).loose()).optional(),
        networkSecurityGroup: z.object({ id: z.string().min(1) }).loose().nullable().optional(),
      })
      .loose(),
  })
  .loose();

function putSubnet(w: World, r: SimRequest): SimResponse {
  const v = vnetOr404(w, r);
  const parsed = SubnetPutBody.safeParse(r.body);
  if (!parsed.success) throw new ArmHttpError(400, "InvalidRequestFormat", `Cannot parse the request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const p = parsed.data.properties;
  const delegations = (p.delegations ?? []).map((d) => d.properties?.serviceName ?? d.serviceName ?? "").filter((s) => s !== "");
  const body: { addressPrefix?: string; addressPrefixes?: string[]; delegations: string[]; networkSecurityGroupId?: string } = { delegations };
  if (p.addressPrefix !== undefined) body.addressPrefix = p.addressPrefix;
  if (p.addressPrefixes !== undefined) body.addressPrefixes = p.addressPrefixes;
  const nsgId = p.networkSecurityGroup?.id;
  if (nsgId !== undefined) body.networkSecurityGroupId = nsgId;
  // ARM authorizes the caller first (RBAC), then evaluates Azure Policy, before the network RP sees the request.
  authorize(w.scenario.permissions, v.resourceGroup, "Microsoft.Network/virtualNetworks/subnets/write", subnetScope(w, v.resourceGroup, v.name, r.params["subnet"] ?? ""));
  if (nsgId !== undefined) {
    const nsgGroup = /\/resourcegroups\/([^/]+)\//i.exec(nsgId)?.[1] ?? v.resourceGroup;
    authorize(w.scenario.permissions, nsgGroup, "Microsoft.Network/networkSecurityGroups/join/action", nsgId);
  }
  w.governance.evaluateSubnetPut(v.resourceGroup, r.params["subnet"] ?? "", nsgId);
  const { op, subnet, created } = w.beginPutSubnet(v, r.params["subnet"] ?? "", body, r.ctx, r.now);
  // 200/201 with the subnet (Updating): with Azure-AsyncOperation (and Location), or with nothing to poll but the subnet.
  const shape = w.shapes.lro(["synchronous", "azureAsyncOperation", "azureAsyncOperationAndLocation"]);
  const status = created ? 201 : 200;
  return accepted(r, op, shape, { status, body: subnetBody(v, subnet), syncStatus: status });
}

function deleteSubnet(w: World, r: SimRequest): SimResponse {
  const v = vnetOr404(w, r);
  authorize(w.scenario.permissions, v.resourceGroup, "Microsoft.Network/virtualNetworks/subnets/delete", subnetScope(w, v.resourceGroup, v.name, r.params["subnet"] ?? ""));
  const op = w.beginDeleteSubnet(v, r.params["subnet"] ?? "", r.ctx, r.now);
  if (op === undefined) return { status: 204 };
  return accepted(r, op, w.shapes.lro(["location", "resourceLocation", "azureAsyncOperation", "azureAsyncOperationAndLocation"]));
}

function getSubnet(w: World, r: SimRequest): SimResponse {
  const v = vnetOr404(w, r);
  const name = r.params["subnet"] ?? "";
  const s = v.subnets.get(name.toLowerCase());
  if (s === undefined) throw notFound(`Microsoft.Network/virtualNetworks/${v.name}/subnets`, name, v.resourceGroup);
  return { status: 200, body: subnetBody(v, s) };
}

const ConnectivityBody = z
  .object({
    source: z.object({ resourceId: z.string().min(1) }).loose(),
    destination: z.object({ address: z.string().min(1).optional(), resourceId: z.string().optional(), port: z.number().int().min(0).max(65535) }).loose(),
    protocol: z.string().optional(),
  })
  .loose();

function routeTableLocation(w: World, rg: string): string {
  return w.rgs.get(rg.toLowerCase())?.location ?? "";
}

/** The subnets a route table is associated with, as its `subnets` lists them. */
function associatedSubnets(w: World, table: string): string[] {
  return w.vnetList.flatMap((v) => [...v.subnets.values()].filter((s) => s.routeTableId?.toLowerCase().endsWith(`/routetables/${table.toLowerCase()}`) === true).map((s) => `${v.id}/subnets/${s.name}`));
}

function connectivityCheck(w: World, r: SimRequest): SimResponse {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  const name = r.params["nw"] ?? "";
  const nw = w.watchers.get(idOf(w, rg.name, "microsoft.network", "networkwatchers", name));
  if (nw === undefined) throw notFound("Microsoft.Network/networkWatchers", name, rg.name);
  const parsed = ConnectivityBody.safeParse(r.body);
  if (!parsed.success) throw new ArmHttpError(400, "InvalidRequestFormat", `Cannot parse the request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const b = parsed.data;
  const op = w.beginConnectivityCheck(
    nw,
    { sourceId: b.source.resourceId, address: b.destination.address ?? b.destination.resourceId ?? "", port: b.destination.port, protocol: b.protocol ?? "Tcp" },
    r.ctx,
    r.now,
  );
  // 200 with the result when the check can finish at once; else 202 and the result at the Location (which a
  // connectivity check always gives: its result is served there).
  const shape = w.shapes.lro(["synchronous", "location", "azureAsyncOperationAndLocation"]);
  if (shape === "synchronous" && w.completeNow(op, r.now)) return { status: 200, body: op.result };
  return accepted(r, op, shape === "synchronous" ? "location" : shape);
}

/**
 * POST …/networkInterfaces/{nic}/effectiveRouteTable (NetworkInterfaces_GetEffectiveRouteTable, network.json:
 * 200 or 202, final state via Location): 202 and the `{ value: [EffectiveRoute] }` list at the Location once done.
 */
function effectiveRouteTable(w: World, r: SimRequest): SimResponse {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  const name = r.params["nic"] ?? "";
  const nic = w.nics.get(idOf(w, rg.name, "microsoft.network", "networkinterfaces", name)) ?? w.nicList.find((n) => n.resourceGroup.toLowerCase() === rg.name.toLowerCase() && n.name.toLowerCase() === name.toLowerCase());
  if (nic === undefined) throw notFound("Microsoft.Network/networkInterfaces", name, rg.name);
  const op = w.beginEffectiveRouteTable(nic, r.ctx, r.now);
  const shape = w.shapes.lro(["synchronous", "location", "azureAsyncOperationAndLocation"]);
  if (shape === "synchronous" && w.completeNow(op, r.now)) return { status: 200, body: op.result };
  return accepted(r, op, shape === "synchronous" ? "location" : shape);
}

// ------------------------------------------------------------------ the Activity Log

/** The only $filter shapes the Activity Log accepts (activityLogs_API.json): a time range, then at most one of these. */
const ACTIVITY_FILTER =
  /^eventTimestamp ge '([^']+)' and eventTimestamp le '([^']+)'(?: and (resourceGroupName|resourceUri|resourceProvider|correlationId) eq '([^']+)')?$/;
const ACTIVITY_SELECTABLE = new Set([
  "authorization", "caller", "category", "claims", "correlationId", "id", "resourceType", "tenantId", "description", "eventDataId", "eventName", "eventTimestamp", "httpRequest", "level",
  "operationId", "operationName", "properties", "resourceGroupName", "resourceProviderName", "resourceId", "status",
  "submissionTimestamp", "subStatus", "subscriptionId",
]);

function badActivityQuery(message: string): ArmHttpError {
  const e = new ArmHttpError(400, "BadRequest", message);
  e.flat = true;
  return e;
}

/**
 * Events recorded from the simulator's own power timeline (Started, then Succeeded or Failed), newest first, paged.
 * As strict as the service: a $filter is required, in one of the documented shapes only; the range may not start
 * more than 90 days back (the retention); events appear once submitted (a couple of minutes after they happen).
 */
function activityLog(w: World, r: SimRequest): SimResponse {
  const filter = r.query.get("$filter");
  if (filter === null || filter.trim() === "") throw badActivityQuery("The $filter query parameter is required: eventTimestamp ge '<start>' and eventTimestamp le '<end>'.");
  const m = ACTIVITY_FILTER.exec(filter.trim());
  if (m === null) throw badActivityQuery(`The $filter '${filter}' is not supported. Only a time range, optionally with resourceGroupName, resourceUri, resourceProvider or correlationId eq, is allowed.`);
  const from = Date.parse(m[1] ?? "");
  const to = Date.parse(m[2] ?? "");
  if (Number.isNaN(from) || Number.isNaN(to) || from > to) throw badActivityQuery(`The time range of the $filter '${filter}' is not valid.`);
  if (from < r.now - ACTIVITY_LOG_RETENTION_MS) throw badActivityQuery("The start time of the query must be within the last 90 days.");
  const field = m[3];
  const value = (m[4] ?? "").toLowerCase();
  const matches = (e: ActivityEvent): boolean => {
    if (field === undefined) return true;
    if (field === "resourceGroupName") return e.resourceGroup.toLowerCase() === value;
    if (field === "resourceUri") return e.resourceId.toLowerCase() === value.replace(/\/+$/, "");
    if (field === "resourceProvider") return value === "microsoft.compute";
    return e.correlationId.toLowerCase() === value;
  };
  const selectRaw = r.query.get("$select");
  const select = selectRaw === null || selectRaw.trim() === "" ? undefined : selectRaw.split(",").map((x) => x.trim());
  for (const name of select ?? []) if (!ACTIVITY_SELECTABLE.has(name)) throw badActivityQuery(`The $select property '${name}' is not supported.`);
  const events = w.activityEvents(r.now).filter((e) => e.at >= from && e.at <= to && matches(e));
  return page(r, w, events, (e) => {
    const body = activityEventBody(e, w.subscriptionId, w.tenantId);
    if (select === undefined) return body;
    return Object.fromEntries(Object.entries(body).filter(([k]) => select.includes(k)));
  });
}

// ------------------------------------------------------------------ management locks

/**
 * ManagementLocks_ListAtSubscriptionLevel / _ListAtResourceGroupLevel / _ListAtResourceLevel (locks.json,
 * 2020-05-01): the locks at the scope and below it, paged. The resource's own path is checked as ARM does: its
 * resource group must exist (the resource itself need not be one the simulator models).
 */
function listLocks(w: World, r: SimRequest): SimResponse {
  if (r.query.get("$filter") !== null) throw new ArmHttpError(400, "InvalidFilter", "The $filter is not supported by this listing.");
  const rg = r.params["rg"];
  let scope = `/subscriptions/${w.subscriptionId}`;
  if (rg !== undefined) {
    scope += `/resourceGroups/${rgOr404(w, rg).name}`;
    if (r.params["ns"] !== undefined) scope += `/providers/${r.params["ns"]}/${r.params["type"] ?? ""}/${r.params["name"] ?? ""}`;
  }
  return page(r, w, w.governance.locksAtOrBelow(scope), lockBody);
}

// ------------------------------------------------------------------ the caller's permissions

function subnetScope(w: World, rg: string, vnet: string, subnet: string): string {
  return `/subscriptions/${w.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;
}

/**
 * Permissions - List For Resource Group (2022-04-01): the caller's own actions and notActions at the group, one
 * entry per role, paged as a PermissionGetResult; the group must exist.
 */
function listPermissions(w: World, r: SimRequest): SimResponse {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  return page(r, w, permissionsOf(w.scenario.permissions, rg.name), (e) => ({ actions: e.actions, notActions: e.notActions, dataActions: [], notDataActions: [] }));
}

// ------------------------------------------------------------------ the table

function route(method: string, template: string, operation: OperationName, family: ApiFamily, handle: Route["handle"]): Route {
  return { method, segments: template.split("/"), operation, family, handle };
}

export const ROUTES: readonly Route[] = [
  route("GET", SUB, "getSubscription", "subscriptions", (w) => ({ status: 200, body: subscriptionBody(w.scenario.subscription, w.tenantId) })),
  route("GET", `${SUB}/providers/microsoft.billing/billingproperty/default`, "getBillingProperty", "billing", (w) => {
    const b = w.scenario.subscription.billing;
    if (b === "forbidden")
      throw new ArmHttpError(
        403,
        "AuthorizationFailed",
        `The client does not have authorization to perform action 'Microsoft.Billing/billingProperty/read' over scope '/subscriptions/${w.subscriptionId}/providers/Microsoft.Billing/billingProperty/default' or the scope is invalid.`,
      );
    return { status: 200, body: billingPropertyBody(w.subscriptionId, b) };
  }),
  route("GET", `${SUB}/resourcegroups`, "listResourceGroups", "resources", (w, r) => page(r, w, w.rgList, resourceGroupBody)),
  route("GET", RG, "getResourceGroup", "resources", (w, r) => ({ status: 200, body: resourceGroupBody(rgOr404(w, r.params["rg"] ?? "")) })),
  // Virtual machines
  route("GET", `${SUB}/providers/microsoft.compute/virtualmachines`, "listVms", "compute", (w, r) => vmListing(w, r, w.vmList, true)),
  route("GET", `${RG}/providers/microsoft.compute/virtualmachines`, "listVms", "compute", (w, r) =>
    vmListing(w, r, w.vmsByRg.get(rgOr404(w, r.params["rg"] ?? "").name.toLowerCase()) ?? [], false),
  ),
  route("GET", CVM, "getVm", "compute", (w, r) => ({ status: 200, body: vmBody(vmOr404(w, r), (r.query.get("$expand") ?? "").toLowerCase() === "instanceview", false, r.now) })),
  route("GET", `${CVM}/instanceview`, "getVmInstanceView", "compute", (w, r) => {
    const vm = vmOr404(w, r);
    return { status: 200, body: instanceViewBody(vm.machine, vm.spec.osType, vm.name, vm.extensions, r.now, vm.platformUpdateDomain) };
  }),
  // Not paged: VirtualMachineExtensionsListResult has no nextLink.
  route("GET", `${CVM}/extensions`, "listVmExtensions", "compute", (w, r) => {
    const vm = vmOr404(w, r);
    return { status: 200, body: { value: vm.extensions.map((e) => extensionBody(vm, e)) } };
  }),
  route("POST", `${CVM}/poweroff`, "vmPowerOff", "compute", vmPower("powerOff")),
  route("POST", `${CVM}/deallocate`, "vmDeallocate", "compute", vmPower("deallocate")),
  route("POST", `${CVM}/start`, "vmStart", "compute", vmPower("start")),
  // Scale sets
  route("GET", `${SUB}/providers/microsoft.compute/virtualmachinescalesets`, "listScaleSets", "compute", (w, r) => page(r, w, w.scaleSetList, scaleSetBody)),
  route("GET", `${RG}/providers/microsoft.compute/virtualmachinescalesets`, "listScaleSets", "compute", (w, r) =>
    page(r, w, w.scaleSetsByRg.get(rgOr404(w, r.params["rg"] ?? "").name.toLowerCase()) ?? [], scaleSetBody),
  ),
  route("GET", CSS, "getScaleSet", "compute", (w, r) => ({ status: 200, body: scaleSetBody(scaleSetOr404(w, r)) })),
  route("GET", `${CSS}/virtualmachines`, "listScaleSetVms", "compute", (w, r) => {
    const ss = scaleSetOr404(w, r);
    const iv = (r.query.get("$expand") ?? "").toLowerCase() === "instanceview";
    return page(r, w, ss.instanceList, (m) => (w.settleMachine(m, r.now), scaleSetVmBody(ss, m, iv, r.now)));
  }),
  route("GET", `${CSS}/virtualmachines/{inst}`, "getScaleSetVm", "compute", (w, r) => {
    const ss = scaleSetOr404(w, r);
    const iv = (r.query.get("$expand") ?? "").toLowerCase() === "instanceview";
    return { status: 200, body: scaleSetVmBody(ss, instanceOr404(w, r, ss), iv, r.now) };
  }),
  route("GET", `${CSS}/virtualmachines/{inst}/instanceview`, "getScaleSetVm", "compute", (w, r) => {
    const ss = scaleSetOr404(w, r);
    const m = instanceOr404(w, r, ss);
    return { status: 200, body: instanceViewBody(m, "Linux", m.name, [], r.now) };
  }),
  route("POST", `${CSS}/poweroff`, "scaleSetPowerOff", "compute", scaleSetPower("powerOff")),
  route("POST", `${CSS}/deallocate`, "scaleSetDeallocate", "compute", scaleSetPower("deallocate")),
  route("POST", `${CSS}/start`, "scaleSetStart", "compute", scaleSetPower("start")),
  route("GET", `${SUB}/providers/microsoft.compute/locations/{loc}/operations/{op}`, "getOperationStatus", "compute", (w, r) =>
    (r.query.get("monitor") ?? "").toLowerCase() === "true" ? operationResult(w, r, "Microsoft.Compute") : operationStatus(w, r, "Microsoft.Compute"),
  ),
  // Networking
  route("GET", `${SUB}/providers/microsoft.network/virtualnetworks`, "listVnets", "network", (w, r) =>
    page(r, w, w.vnetList, (v) => (w.settleVnet(v, r.now), vnetBody(v))),
  ),
  route("GET", `${RG}/providers/microsoft.network/virtualnetworks`, "listVnets", "network", (w, r) =>
    page(r, w, w.vnetsByRg.get(rgOr404(w, r.params["rg"] ?? "").name.toLowerCase()) ?? [], (v) => (w.settleVnet(v, r.now), vnetBody(v))),
  ),
  route("GET", NVN, "getVnet", "network", (w, r) => ({ status: 200, body: vnetBody(vnetOr404(w, r)) })),
  route("GET", `${NVN}/subnets`, "listSubnets", "network", (w, r) => {
    const v = vnetOr404(w, r);
    return page(r, w, [...v.subnets.values()], (s) => subnetBody(v, s));
  }),
  route("GET", `${NVN}/subnets/{subnet}`, "getSubnet", "network", getSubnet),
  route("PUT", `${NVN}/subnets/{subnet}`, "putSubnet", "network", putSubnet),
  route("DELETE", `${NVN}/subnets/{subnet}`, "deleteSubnet", "network", deleteSubnet),
  route("GET", `${SUB}/providers/microsoft.network/networkwatchers`, "listNetworkWatchers", "network", (w, r) => page(r, w, w.watcherList, watcherBody)),
  route("GET", `${RG}/providers/microsoft.network/networkwatchers`, "listNetworkWatchers", "network", (w, r) => {
    const rg = rgOr404(w, r.params["rg"] ?? "").name.toLowerCase();
    return page(r, w, w.watcherList.filter((x) => x.resourceGroup.toLowerCase() === rg), watcherBody);
  }),
  route("POST", `${NNW}/connectivitycheck`, "connectivityCheck", "network", connectivityCheck),
  route("GET", `${SUB}/providers/microsoft.network/networkinterfaces`, "listNics", "network", (w, r) => page(r, w, w.nicList, nicBody)),
  route("POST", `${RG}/providers/microsoft.network/networkinterfaces/{nic}/effectiveroutetable`, "getEffectiveRouteTable", "network", effectiveRouteTable),
  route("GET", `${SUB}/providers/microsoft.network/routetables`, "listRouteTables", "network", (w, r) => page(r, w, w.scenario.routeTables, (t) => routeTableBody(w.subscriptionId, t, routeTableLocation(w, t.resourceGroup), associatedSubnets(w, t.name)))),
  route("GET", `${SUB}/providers/microsoft.network/locations/{loc}/operations/{op}`, "getOperationStatus", "network", (w, r) => operationStatus(w, r, "Microsoft.Network")),
  route("GET", `${SUB}/providers/microsoft.network/locations/{loc}/operationresults/{op}`, "getOperationResult", "network", (w, r) => operationResult(w, r, "Microsoft.Network")),
  // Activity Log
  route("GET", `${SUB}/providers/microsoft.insights/eventtypes/management/values`, "listActivityLog", "insights", activityLog),
  // Management locks
  route("GET", `${SUB}/providers/microsoft.authorization/locks`, "listLocks", "authorization", listLocks),
  route("GET", `${RG}/providers/microsoft.authorization/permissions`, "listPermissions", "permissions", listPermissions),
  route("GET", `${RG}/providers/microsoft.authorization/locks`, "listLocks", "authorization", listLocks),
  route("GET", `${RG}/providers/{ns}/{type}/{name}/providers/microsoft.authorization/locks`, "listLocks", "authorization", listLocks),
];

/** Finds the route for a method and path (segments compared case-insensitively); returns the bound parameters. */
export function matchRoute(method: string, segments: readonly string[]): { route: Route; params: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method || r.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segments.length; i++) {
      const t = r.segments[i] ?? "";
      const s = segments[i] ?? "";
      if (t.startsWith("{")) params[t.slice(1, -1)] = s;
      else if (t !== s.toLowerCase()) {
        ok = false;
        break;
      }
    }
    if (ok) return { route: r, params };
  }
  return undefined;
}

/** The most specific ARM 404 for a path no route serves. */
export function unknownPath(w: World | undefined, segments: readonly string[]): ArmHttpError {
  const lower = segments.map((s) => s.toLowerCase());
  if (w !== undefined && lower[2] === "resourcegroups" && lower[3] !== undefined && !w.rgs.has(lower[3]))
    return new ArmHttpError(404, "ResourceGroupNotFound", `Resource group '${segments[3] ?? ""}' could not be found.`);
  const p = lower.indexOf("providers");
  if (p >= 0 && lower[p + 1] !== undefined && lower[p + 2] !== undefined) {
    const ns = segments[p + 1] ?? "";
    const type = segments[p + 2] ?? "";
    const known = ROUTES.some((r) => r.segments.includes(ns.toLowerCase()) && r.segments.includes(type.toLowerCase()));
    if (!known) return new ArmHttpError(404, "InvalidResourceType", `The resource type '${type}' could not be found in the namespace '${ns}' for api version in use.`);
    return new ArmHttpError(404, "ResourceNotFound", `The resource '${segments.slice(p + 1).join("/")}' was not found.`);
  }
  return new ArmHttpError(404, "NotFound", `No HTTP resource was found that matches the request URI '/${segments.join("/")}'.`);
}
