/**
 * What every provider's routes share: the request and response the handlers see, the route record and its path
 * templates, lookups that fail with 404s shaped like ARM's, and paging with an absolute nextLink.
 */
import { ArmHttpError } from "./armError";
import type { OperationName, ParsedFault, RequestContext } from "./faults";
import type { Machine, RgRecord, ScaleSetRecord, VmRecord, VnetState } from "./world/types";
import type { World } from "./world/world";

export type ApiFamily =
  "subscriptions" | "resources" | "compute" | "network" | "billing" | "insights" | "authorization" | "permissions";

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

export interface Route {
  method: string;
  segments: string[];
  operation: OperationName;
  family: ApiFamily;
  handle: (w: World, r: SimRequest) => SimResponse;
}

export const SUB = "subscriptions/{sub}";
export const RG = `${SUB}/resourcegroups/{rg}`;
export const CVM = `${RG}/providers/microsoft.compute/virtualmachines/{vm}`;
export const CSS = `${RG}/providers/microsoft.compute/virtualmachinescalesets/{ss}`;
export const NVN = `${RG}/providers/microsoft.network/virtualnetworks/{vnet}`;
export const NNW = `${RG}/providers/microsoft.network/networkwatchers/{nw}`;

// ------------------------------------------------------------------ lookups (404s shaped like ARM's)

export function rgOr404(w: World, name: string): RgRecord {
  const rg = w.rgs.get(name.toLowerCase());
  if (rg === undefined)
    throw new ArmHttpError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
  return rg;
}

export function notFound(type: string, name: string, rg: string): ArmHttpError {
  return new ArmHttpError(
    404,
    "ResourceNotFound",
    `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function idOf(w: World, rg: string, provider: string, type: string, name: string): string {
  return `/subscriptions/${w.subscriptionId}/resourcegroups/${rg}/providers/${provider}/${type}/${name}`.toLowerCase();
}

export function vmOr404(w: World, r: SimRequest): VmRecord {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  const name = r.params["vm"] ?? "";
  const vm = w.vms.get(idOf(w, rg.name, "microsoft.compute", "virtualmachines", name));
  if (vm === undefined) throw notFound("Microsoft.Compute/virtualMachines", name, rg.name);
  w.settleMachine(vm.machine, r.now);
  return vm;
}

export function scaleSetOr404(w: World, r: SimRequest): ScaleSetRecord {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  const name = r.params["ss"] ?? "";
  const ss = w.scaleSets.get(idOf(w, rg.name, "microsoft.compute", "virtualmachinescalesets", name));
  if (ss === undefined) throw notFound("Microsoft.Compute/virtualMachineScaleSets", name, rg.name);
  return ss;
}

export function instanceOr404(w: World, r: SimRequest, ss: ScaleSetRecord): Machine {
  const id = r.params["inst"] ?? "";
  const m = ss.instances.get(id);
  if (m === undefined)
    throw notFound(`Microsoft.Compute/virtualMachineScaleSets/${ss.name}/virtualMachines`, id, ss.resourceGroup);
  w.settleMachine(m, r.now);
  return m;
}

export function vnetOr404(w: World, r: SimRequest): VnetState {
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
export function page<T>(
  r: SimRequest,
  w: World,
  items: readonly T[],
  render: (item: T) => unknown,
  maxPageSize = Number.POSITIVE_INFINITY,
): SimResponse {
  const size = Math.min(w.scenario.behaviour.pageSize, maxPageSize);
  const token = r.query.get("$skiptoken");
  const start = token === null ? 0 : Number.parseInt(Buffer.from(token, "base64url").toString("utf8"), 10);
  if (!Number.isInteger(start) || start < 0)
    throw new ArmHttpError(400, "InvalidSkipToken", "The $skiptoken is not valid.");
  const value = items.slice(start, start + size).map(render);
  const body: { value: unknown[]; nextLink?: string } = { value };
  if (start + size < items.length) {
    const q = new URLSearchParams(r.query);
    q.set("$skiptoken", Buffer.from(String(start + size), "utf8").toString("base64url"));
    body.nextLink = `${r.endpoint}${r.pathname}?${q.toString()}`;
  }
  return { status: 200, body };
}

export function route(
  method: string,
  template: string,
  operation: OperationName,
  family: ApiFamily,
  handle: Route["handle"],
): Route {
  return { method, segments: template.split("/"), operation, family, handle };
}
