/** Microsoft.Network's routes: VNets and subnets, Network Watchers and connectivity checks, NICs and effective routes, route tables, operations. */
import { z } from "zod";
import { ArmHttpError } from "./armError";
import { accepted, operationResult, operationStatus } from "./lroAnswers";
import { nicBody, routeTableBody, subnetBody, vnetBody, watcherBody } from "./networkBodies";
import { authorize } from "./permissions";
import {
  idOf,
  NNW,
  notFound,
  NVN,
  page,
  RG,
  rgOr404,
  route,
  type Route,
  type SimRequest,
  type SimResponse,
  SUB,
  vnetOr404,
} from "./routeKit";
import type { World } from "./world/world";

/** A subnet's id, the scope its writes are authorised at. */
function subnetScope(w: World, rg: string, vnet: string, subnet: string): string {
  return `/subscriptions/${w.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;
}

const SubnetPutBody = z
  .object({
    properties: z
      .object({
        addressPrefix: z.string().optional(),
        addressPrefixes: z.array(z.string()).optional(),
        delegations: z
          .array(
            z
              .object({
                properties: z.object({ serviceName: z.string() }).loose().optional(),
                serviceName: z.string().optional(),
              })
              .loose(),
          )
          .optional(),
        networkSecurityGroup: z
          .object({ id: z.string().min(1) })
          .loose()
          .nullable()
          .optional(),
      })
      .loose(),
  })
  .loose();

function putSubnet(w: World, r: SimRequest): SimResponse {
  const v = vnetOr404(w, r);
  const parsed = SubnetPutBody.safeParse(r.body);
  if (!parsed.success)
    throw new ArmHttpError(
      400,
      "InvalidRequestFormat",
      `Cannot parse the request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const p = parsed.data.properties;
  const delegations = (p.delegations ?? [])
    .map((d) => d.properties?.serviceName ?? d.serviceName ?? "")
    .filter((s) => s !== "");
  const body: {
    addressPrefix?: string;
    addressPrefixes?: string[];
    delegations: string[];
    networkSecurityGroupId?: string;
  } = { delegations };
  if (p.addressPrefix !== undefined) body.addressPrefix = p.addressPrefix;
  if (p.addressPrefixes !== undefined) body.addressPrefixes = p.addressPrefixes;
  const nsgId = p.networkSecurityGroup?.id;
  if (nsgId !== undefined) body.networkSecurityGroupId = nsgId;
  // ARM authorizes the caller first (RBAC), then evaluates Azure Policy, before the network RP sees the request.
  authorize(
    w.scenario.permissions,
    v.resourceGroup,
    "Microsoft.Network/virtualNetworks/subnets/write",
    subnetScope(w, v.resourceGroup, v.name, r.params["subnet"] ?? ""),
  );
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
  authorize(
    w.scenario.permissions,
    v.resourceGroup,
    "Microsoft.Network/virtualNetworks/subnets/delete",
    subnetScope(w, v.resourceGroup, v.name, r.params["subnet"] ?? ""),
  );
  const op = w.beginDeleteSubnet(v, r.params["subnet"] ?? "", r.ctx, r.now);
  if (op === undefined) return { status: 204 };
  return accepted(
    r,
    op,
    w.shapes.lro(["location", "resourceLocation", "azureAsyncOperation", "azureAsyncOperationAndLocation"]),
  );
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
    destination: z
      .object({
        address: z.string().min(1).optional(),
        resourceId: z.string().optional(),
        port: z.number().int().min(0).max(65535),
      })
      .loose(),
    protocol: z.string().optional(),
  })
  .loose();

function routeTableLocation(w: World, rg: string): string {
  return w.rgs.get(rg.toLowerCase())?.location ?? "";
}

/** The subnets a route table is associated with, as its `subnets` lists them. */
function associatedSubnets(w: World, table: string): string[] {
  return w.vnetList.flatMap((v) =>
    [...v.subnets.values()]
      .filter((s) => s.routeTableId?.toLowerCase().endsWith(`/routetables/${table.toLowerCase()}`) === true)
      .map((s) => `${v.id}/subnets/${s.name}`),
  );
}

function connectivityCheck(w: World, r: SimRequest): SimResponse {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  const name = r.params["nw"] ?? "";
  const nw = w.watchers.get(idOf(w, rg.name, "microsoft.network", "networkwatchers", name));
  if (nw === undefined) throw notFound("Microsoft.Network/networkWatchers", name, rg.name);
  const parsed = ConnectivityBody.safeParse(r.body);
  if (!parsed.success)
    throw new ArmHttpError(
      400,
      "InvalidRequestFormat",
      `Cannot parse the request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const b = parsed.data;
  const op = w.beginConnectivityCheck(
    nw,
    {
      sourceId: b.source.resourceId,
      address: b.destination.address ?? b.destination.resourceId ?? "",
      port: b.destination.port,
      protocol: b.protocol ?? "Tcp",
    },
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
  const nic =
    w.nics.get(idOf(w, rg.name, "microsoft.network", "networkinterfaces", name)) ??
    w.nicList.find(
      (n) => n.resourceGroup.toLowerCase() === rg.name.toLowerCase() && n.name.toLowerCase() === name.toLowerCase(),
    );
  if (nic === undefined) throw notFound("Microsoft.Network/networkInterfaces", name, rg.name);
  const op = w.beginEffectiveRouteTable(nic, r.ctx, r.now);
  const shape = w.shapes.lro(["synchronous", "location", "azureAsyncOperationAndLocation"]);
  if (shape === "synchronous" && w.completeNow(op, r.now)) return { status: 200, body: op.result };
  return accepted(r, op, shape === "synchronous" ? "location" : shape);
}

/** Microsoft.Network's paths, in the order they are matched. */
export const NETWORK_ROUTES: readonly Route[] = [
  // Networking
  route("GET", `${SUB}/providers/microsoft.network/virtualnetworks`, "listVnets", "network", (w, r) =>
    page(r, w, w.vnetList, (v) => (w.settleVnet(v, r.now), vnetBody(v))),
  ),
  route("GET", `${RG}/providers/microsoft.network/virtualnetworks`, "listVnets", "network", (w, r) =>
    page(
      r,
      w,
      w.vnetsByRg.get(rgOr404(w, r.params["rg"] ?? "").name.toLowerCase()) ?? [],
      (v) => (w.settleVnet(v, r.now), vnetBody(v)),
    ),
  ),
  route("GET", NVN, "getVnet", "network", (w, r) => ({ status: 200, body: vnetBody(vnetOr404(w, r)) })),
  route("GET", `${NVN}/subnets`, "listSubnets", "network", (w, r) => {
    const v = vnetOr404(w, r);
    return page(r, w, [...v.subnets.values()], (s) => subnetBody(v, s));
  }),
  route("GET", `${NVN}/subnets/{subnet}`, "getSubnet", "network", getSubnet),
  route("PUT", `${NVN}/subnets/{subnet}`, "putSubnet", "network", putSubnet),
  route("DELETE", `${NVN}/subnets/{subnet}`, "deleteSubnet", "network", deleteSubnet),
  route("GET", `${SUB}/providers/microsoft.network/networkwatchers`, "listNetworkWatchers", "network", (w, r) =>
    page(r, w, w.watcherList, watcherBody),
  ),
  route("GET", `${RG}/providers/microsoft.network/networkwatchers`, "listNetworkWatchers", "network", (w, r) => {
    const rg = rgOr404(w, r.params["rg"] ?? "").name.toLowerCase();
    return page(
      r,
      w,
      w.watcherList.filter((x) => x.resourceGroup.toLowerCase() === rg),
      watcherBody,
    );
  }),
  route("POST", `${NNW}/connectivitycheck`, "connectivityCheck", "network", connectivityCheck),
  route("GET", `${SUB}/providers/microsoft.network/networkinterfaces`, "listNics", "network", (w, r) =>
    page(r, w, w.nicList, nicBody),
  ),
  route(
    "POST",
    `${RG}/providers/microsoft.network/networkinterfaces/{nic}/effectiveroutetable`,
    "getEffectiveRouteTable",
    "network",
    effectiveRouteTable,
  ),
  route("GET", `${SUB}/providers/microsoft.network/routetables`, "listRouteTables", "network", (w, r) =>
    page(r, w, w.scenario.routeTables, (t) =>
      routeTableBody(w.subscriptionId, t, routeTableLocation(w, t.resourceGroup), associatedSubnets(w, t.name)),
    ),
  ),
  route(
    "GET",
    `${SUB}/providers/microsoft.network/locations/{loc}/operations/{op}`,
    "getOperationStatus",
    "network",
    (w, r) => operationStatus(w, r, "Microsoft.Network"),
  ),
  route(
    "GET",
    `${SUB}/providers/microsoft.network/locations/{loc}/operationresults/{op}`,
    "getOperationResult",
    "network",
    (w, r) => operationResult(w, r, "Microsoft.Network"),
  ),
];
