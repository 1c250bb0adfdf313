/** Network: VNets, subnets, NICs, route tables and effective routes (Microsoft.Network). */
import type { NetworkInterface, RouteTable, Subnet, VirtualNetwork, VirtualNetworkPeering } from "@azure/arm-network";
import type { PipelineResponse } from "@azure/core-rest-pipeline";
import { z } from "zod";
import { VnetInfoSchema, type SubnetInfo, type VnetInfo } from "../../contracts/discovery";
import {
  EffectiveRouteSchema,
  NicInfoSchema,
  RouteTableInfoSchema,
  type EffectiveRoute,
  type NicInfo,
  type PeeringInfo,
  type RouteTableInfo,
} from "../../contracts/egress";
import {
  EffectiveRoutesStartSchema,
  OperationHandleSchema,
  SubnetStateSchema,
  type EffectiveRoutesStart,
  type OperationHandle,
  type SubnetState,
} from "../../contracts/azure";
import type { ArmResourceId } from "../../contracts/ids";
import { parseWith } from "../../contracts/parse";
import { AzureOperationError } from "../../errors";
import { errorFromResponse } from "../errors";
import type { NetworkOperations } from "../gateway";
import {
  armIdentity,
  type ArmRequests,
  collect,
  invalidHandle,
  isNotFound,
  optional,
  optionalRetryAfter,
  parseJson,
  requireId,
} from "./requests";
import { handleFromResponse } from "./operations";

/**
 * api-version @azure/arm-network 36 sends. Network LROs are sent as raw requests through that client's own pipeline
 * (its `begin*` methods poll once before returning); a contract test pins that the wire equals the SDK's.
 */
export const NETWORK_API_VERSION = "2025-05-01";

export class NetworkOperationsImpl implements NetworkOperations {
  constructor(private readonly arm: ArmRequests) {}

  listVnets(subscriptionId: string): Promise<VnetInfo[]> {
    return this.arm.call("listVnets", async () => {
      const vnets = await collect<VirtualNetwork>(this.arm.clients.network(subscriptionId).virtualNetworks.listAll());
      return vnets.map(toVnetInfo);
    });
  }

  /** Every NIC of the subscription (NetworkInterfaces_ListAll, paged): one listing instead of one read per VM. */
  listNics(subscriptionId: string): Promise<NicInfo[]> {
    return this.arm.call("listNics", async () => {
      const nics = await collect<NetworkInterface>(
        this.arm.clients.network(subscriptionId).networkInterfaces.listAll(),
      );
      return nics.map((nic) =>
        parseWith(
          NicInfoSchema,
          {
            id: nic.id ?? "",
            subnetIds: (nic.ipConfigurations ?? []).flatMap((c) => (c.subnet?.id === undefined ? [] : [c.subnet.id])),
          },
          "network interface",
        ),
      );
    });
  }

  /** Every route table of the subscription with its user routes (RouteTables_ListAll, paged). */
  listRouteTables(subscriptionId: string): Promise<RouteTableInfo[]> {
    return this.arm.call("listRouteTables", async () => {
      const tables = await collect<RouteTable>(this.arm.clients.network(subscriptionId).routeTables.listAll());
      return tables.map((t) =>
        parseWith(
          RouteTableInfoSchema,
          {
            id: t.id ?? "",
            name: t.name ?? "",
            disableBgpRoutePropagation: t.disableBgpRoutePropagation ?? false,
            routes: (t.routes ?? []).map((r) => ({
              name: r.name ?? "",
              addressPrefix: r.addressPrefix ?? "",
              nextHopType: r.nextHopType ?? "None",
              ...optional("nextHopIpAddress", r.nextHopIpAddress),
            })),
          },
          "route table",
        ),
      );
    });
  }

  getVnet(vnetId: string): Promise<VnetInfo | undefined> {
    return this.arm.call("getVnet", async () => {
      const id = requireId(vnetId, "Microsoft.Network/virtualNetworks");
      try {
        return toVnetInfo(
          await this.arm.clients.network(id.subscriptionId).virtualNetworks.get(id.resourceGroup, id.name),
        );
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    });
  }

  getSubnet(vnetId: string, subnetName: string): Promise<SubnetState> {
    return this.arm.call("getSubnet", async () => {
      const id = requireId(vnetId, "Microsoft.Network/virtualNetworks");
      try {
        const s = await this.arm.clients.network(id.subscriptionId).subnets.get(id.resourceGroup, id.name, subnetName);
        return parseWith(
          SubnetStateSchema,
          {
            exists: true,
            provisioningState: s.provisioningState,
            addressPrefix: s.addressPrefix ?? s.addressPrefixes?.[0],
          },
          "subnet state",
        );
      } catch (e) {
        if (isNotFound(e)) return { exists: false };
        throw e;
      }
    });
  }

  beginCreateSubnet(
    vnetId: string,
    subnetName: string,
    addressPrefix: string,
    networkSecurityGroupId?: string,
  ): Promise<OperationHandle> {
    return this.arm.call("createSubnet", async () => {
      const id = requireId(vnetId, "Microsoft.Network/virtualNetworks");
      const response = await this.arm.send(
        this.arm.clients.network(id.subscriptionId),
        "PUT",
        subnetPath(id, subnetName),
        {
          properties: {
            addressPrefix,
            ...(networkSecurityGroupId === undefined ? {} : { networkSecurityGroup: { id: networkSecurityGroupId } }),
          },
        },
      );
      return handleFromResponse("createSubnet", response, [200, 201]);
    });
  }

  beginDeleteSubnet(vnetId: string, subnetName: string): Promise<OperationHandle> {
    return this.arm.call("deleteSubnet", async () => {
      const id = requireId(vnetId, "Microsoft.Network/virtualNetworks");
      const path = subnetPath(id, subnetName);
      const response = await this.arm.send(this.arm.clients.network(id.subscriptionId), "DELETE", path);
      const handle = handleFromResponse("deleteSubnet", response, [200, 202, 204]);
      // ARM may point the Location at the subnet itself: polling it is then a GET of the subnet, 404 = deleted.
      return handle.locationUrl !== undefined &&
        sameResource(handle.locationUrl, `${this.arm.clients.connection.endpoint}${path}`)
        ? { ...handle, locationIsResource: true }
        : handle;
    });
  }

  /**
   * NetworkInterfaces_GetEffectiveRouteTable (network.json: POST, 200 or 202, final state via Location). Raw REST, as
   * the connectivity check: the orchestration polls on its own timers, not an SDK poller's sleeps. Azure answers 400
   * for a NIC whose VM is not running; a role without networkInterfaces/effectiveRouteTable/action gets 403.
   */
  beginGetEffectiveRoutes(nicId: string): Promise<EffectiveRoutesStart> {
    return this.arm.call("getEffectiveRoutes", async () => {
      const id = requireId(nicId, "Microsoft.Network/networkInterfaces");
      const path =
        `/subscriptions/${id.subscriptionId}/resourceGroups/${encodeURIComponent(id.resourceGroup)}` +
        `/providers/Microsoft.Network/networkInterfaces/${encodeURIComponent(id.name)}/effectiveRouteTable?api-version=${NETWORK_API_VERSION}`;
      const response = await this.arm.send(this.arm.clients.network(id.subscriptionId), "POST", path);
      if (response.status === 200)
        return parseWith(
          EffectiveRoutesStartSchema,
          { status: "done", routes: effectiveRoutesFrom(response) },
          "effective routes",
        );
      const handle = handleFromResponse("getEffectiveRoutes", response, [202]);
      if (handle.locationUrl === undefined)
        throw invalidHandle("getEffectiveRoutes", "ARM accepted the read (202) without a Location URL");
      return parseWith(EffectiveRoutesStartSchema, { status: "started", handle }, "effective routes");
    });
  }

  getEffectiveRoutesResult(handle: OperationHandle): Promise<EffectiveRoute[]> {
    return this.arm.call("getEffectiveRoutesResult", async () => {
      const h = parseWith(OperationHandleSchema, handle, "operation handle");
      if (h.locationUrl === undefined) throw invalidHandle("getEffectiveRoutesResult", "it has no Location URL");
      const response = await this.arm.send(
        this.arm.clients.generic(),
        "GET",
        this.arm.onEndpoint(h.locationUrl, "getEffectiveRoutesResult"),
      );
      if (response.status === 202) {
        throw new AzureOperationError("getEffectiveRoutesResult", "the effective-routes read is still running", {
          code: "OperationInProgress",
          statusCode: 202,
          retryable: true,
          ...optionalRetryAfter(response),
        });
      }
      if (response.status !== 200) throw errorFromResponse("getEffectiveRoutesResult", response);
      return effectiveRoutesFrom(response);
    });
  }
}
const EffectiveRouteListSchema = z.object({ value: z.array(EffectiveRouteSchema).default([]) });

/** The `{ value: [EffectiveRoute] }` body of an effective-routes answer. */
function effectiveRoutesFrom(response: PipelineResponse): EffectiveRoute[] {
  return parseWith(EffectiveRouteListSchema, parseJson(response.bodyAsText), "effective routes").value;
}

/** Two URLs name the same ARM resource: same origin and path, compared case-insensitively, query ignored. */
function sameResource(a: string, b: string): boolean {
  try {
    const ua = new URL(a);
    const ub = new URL(b);
    return (
      ua.origin === ub.origin &&
      decodeURIComponent(ua.pathname).toLowerCase() === decodeURIComponent(ub.pathname).toLowerCase()
    );
  } catch {
    return false;
  }
}

function toVnetInfo(vnet: VirtualNetwork): VnetInfo {
  return parseWith(
    VnetInfoSchema,
    {
      ...armIdentity(vnet, "Microsoft.Network/virtualNetworks").identity,
      addressPrefixes: vnet.addressSpace?.addressPrefixes ?? [],
      ipamManaged: (vnet.addressSpace?.ipamPoolPrefixAllocations ?? []).length > 0,
      subnets: (vnet.subnets ?? []).map(toSubnetInfo),
      tags: vnet.tags ?? {},
      peerings: (vnet.virtualNetworkPeerings ?? []).flatMap(toPeeringInfo),
    },
    "virtual network",
  );
}

function toSubnetInfo(s: Subnet): SubnetInfo {
  return {
    id: s.id ?? "",
    name: s.name ?? "",
    ...optional("addressPrefix", s.addressPrefix),
    ...optional("addressPrefixes", s.addressPrefixes),
    delegations: (s.delegations ?? []).map((d) => d.serviceName ?? d.name ?? "").filter((n) => n !== ""),
    ipamAllocatedPrefixes: (s.ipamPoolPrefixAllocations ?? []).flatMap((a) => a.allocatedAddressPrefixes ?? []),
    ...optional("provisioningState", s.provisioningState),
    ...optional("networkSecurityGroupId", s.networkSecurityGroup?.id),
    ...optional("routeTableId", s.routeTable?.id),
    ...optional("natGatewayId", s.natGateway?.id),
  };
}

function toPeeringInfo(p: VirtualNetworkPeering): PeeringInfo[] {
  const remote = p.remoteVirtualNetwork?.id;
  if (remote === undefined) return [];
  return [
    {
      name: p.name ?? "",
      remoteVnetId: remote,
      remoteAddressPrefixes:
        p.remoteVirtualNetworkAddressSpace?.addressPrefixes ?? p.remoteAddressSpace?.addressPrefixes ?? [],
      useRemoteGateways: p.useRemoteGateways ?? false,
      ...optional("peeringState", p.peeringState),
    },
  ];
}

function subnetPath(vnet: ArmResourceId, subnetName: string): string {
  return (
    `/subscriptions/${vnet.subscriptionId}/resourceGroups/${encodeURIComponent(vnet.resourceGroup)}` +
    `/providers/Microsoft.Network/virtualNetworks/${encodeURIComponent(vnet.name)}` +
    `/subnets/${encodeURIComponent(subnetName)}?api-version=${NETWORK_API_VERSION}`
  );
}
