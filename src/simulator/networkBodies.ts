/** Microsoft.Network's bodies: VNets and subnets, NICs, route tables and Network Watchers (shaped after the REST specs' examples). */
import type { Scenario } from "./scenario";
import { computeResourceId } from "./world/activityLog";
import type { NicRecord, SubnetState, VnetState, WatcherRecord } from "./world/types";

export function subnetBody(v: VnetState, s: SubnetState): object {
  const id = `${v.id}/subnets/${s.name}`;
  const props: Record<string, unknown> = { provisioningState: s.provisioningState };
  if (s.addressPrefix !== undefined) props["addressPrefix"] = s.addressPrefix;
  if (s.addressPrefixes !== undefined) props["addressPrefixes"] = s.addressPrefixes;
  if (s.ipamAllocations.length > 0)
    props["ipamPoolPrefixAllocations"] = s.ipamAllocations.map((a) => ({
      pool: { id: a.poolId },
      numberOfIpAddresses: a.numberOfIpAddresses ?? String(a.allocatedAddressPrefixes.length * 256),
      allocatedAddressPrefixes: a.allocatedAddressPrefixes,
    }));
  if (s.networkSecurityGroupId !== undefined) props["networkSecurityGroup"] = { id: s.networkSecurityGroupId };
  if (s.routeTableId !== undefined) props["routeTable"] = { id: s.routeTableId };
  if (s.natGatewayId !== undefined) props["natGateway"] = { id: s.natGatewayId };
  if (s.inUse)
    props["ipConfigurations"] = [
      {
        id: `${v.id.slice(0, v.id.indexOf("/providers/"))}/providers/Microsoft.Network/networkInterfaces/${s.name}-nic/ipConfigurations/ipconfig1`,
      },
    ];
  props["delegations"] = s.delegations.map((serviceName, i) => ({
    name: `delegation${i}`,
    id: `${id}/delegations/delegation${i}`,
    type: "Microsoft.Network/virtualNetworks/subnets/delegations",
    properties: {
      serviceName,
      actions: ["Microsoft.Network/virtualNetworks/subnets/action"],
      provisioningState: "Succeeded",
    },
  }));
  if (s.serviceAssociationLinks.length > 0)
    props["serviceAssociationLinks"] = s.serviceAssociationLinks.map((l, i) => {
      const name = l.name ?? `link${i}`;
      return {
        name,
        id: `${id}/serviceAssociationLinks/${name}`,
        type: "Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks",
        properties: {
          linkedResourceType: l.linkedResourceType,
          ...(l.link === undefined ? {} : { link: l.link }),
          allowDelete: l.allowDelete,
          locations: [v.location],
          provisioningState: "Succeeded",
        },
      };
    });
  props["privateEndpointNetworkPolicies"] = "Disabled";
  props["privateLinkServiceNetworkPolicies"] = "Enabled";
  if (s.delegations.length > 0)
    props["purpose"] = s.delegations[0] === "Microsoft.Web/hostingEnvironments" ? "HostedWorkloads" : "";
  return {
    name: s.name,
    id,
    etag: `W/"${s.etag.toString(16).padStart(8, "0")}-0000-0000-0000-000000000000"`,
    type: "Microsoft.Network/virtualNetworks/subnets",
    properties: props,
  };
}

export function vnetBody(v: VnetState): object {
  return {
    name: v.name,
    id: v.id,
    etag: `W/"${v.etag.toString(16).padStart(8, "0")}-0000-0000-0000-000000000000"`,
    type: "Microsoft.Network/virtualNetworks",
    location: v.location,
    tags: v.tags,
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: v.guid,
      addressSpace: {
        addressPrefixes: v.addressPrefixes,
        ...(v.ipamPools.length > 0
          ? {
              ipamPoolPrefixAllocations: v.ipamPools.map((id) => ({
                pool: { id },
                numberOfIpAddresses: "65536",
                allocatedAddressPrefixes: v.addressPrefixes,
              })),
            }
          : {}),
      },
      subnets: [...v.subnets.values()].map((s) => subnetBody(v, s)),
      virtualNetworkPeerings: v.peerings.map((p) => ({
        name: p.name,
        id: `${v.id}/virtualNetworkPeerings/${p.name}`,
        etag: 'W/"00000000-0000-0000-0000-000000000001"',
        type: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        properties: {
          allowVirtualNetworkAccess: true,
          allowForwardedTraffic: true,
          allowGatewayTransit: false,
          useRemoteGateways: p.useRemoteGateways,
          remoteVirtualNetwork: { id: p.remoteVirtualNetworkId },
          remoteAddressSpace: { addressPrefixes: p.remoteAddressPrefixes },
          remoteVirtualNetworkAddressSpace: { addressPrefixes: p.remoteAddressPrefixes },
          peeringState: "Connected",
          peeringSyncLevel: "FullyInSync",
          provisioningState: "Succeeded",
        },
      })),
      enableDdosProtection: false,
    },
  };
}

/** A VM's NIC (NetworkInterfaces_ListAll): one IP configuration in the VM's subnet. */
export function nicBody(n: NicRecord): object {
  // A VM the scenario places in no subnet sits in its resource group's default VNet, which the scenario does not list.
  const subnetId =
    n.subnetId ??
    `${n.id.slice(0, n.id.indexOf("/providers/"))}/providers/Microsoft.Network/virtualNetworks/${n.resourceGroup}-vnet/subnets/default`;
  return {
    name: n.name,
    id: n.id,
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    type: "Microsoft.Network/networkInterfaces",
    location: n.location,
    properties: {
      provisioningState: "Succeeded",
      ipConfigurations: [
        {
          name: "ipconfig1",
          id: `${n.id}/ipConfigurations/ipconfig1`,
          etag: 'W/"00000000-0000-0000-0000-000000000001"',
          type: "Microsoft.Network/networkInterfaces/ipConfigurations",
          properties: {
            privateIPAddress: n.vm.machine.privateIp,
            privateIPAllocationMethod: "Dynamic",
            subnet: { id: subnetId },
            primary: true,
            privateIPAddressVersion: "IPv4",
            provisioningState: "Succeeded",
          },
        },
      ],
      virtualMachine: { id: computeResourceId(n.vm.id) },
      primary: true,
      nicType: "Standard",
    },
  };
}

/** A route table with its user routes and the subnets associated with it (RouteTables_ListAll). */
export function routeTableBody(
  subscriptionId: string,
  t: Scenario["routeTables"][number],
  location: string,
  subnets: string[],
): object {
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.Network/routeTables/${t.name}`;
  return {
    name: t.name,
    id,
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    type: "Microsoft.Network/routeTables",
    location: t.location ?? location,
    properties: {
      disableBgpRoutePropagation: t.disableBgpRoutePropagation,
      routes: t.routes.map((r) => ({
        name: r.name,
        id: `${id}/routes/${r.name}`,
        etag: 'W/"00000000-0000-0000-0000-000000000001"',
        type: "Microsoft.Network/routeTables/routes",
        properties: {
          addressPrefix: r.addressPrefix,
          nextHopType: r.nextHopType,
          ...(r.nextHopIpAddress === undefined ? {} : { nextHopIpAddress: r.nextHopIpAddress }),
          provisioningState: "Succeeded",
          hasBgpOverride: false,
        },
      })),
      subnets: subnets.map((sid) => ({ id: sid })),
      provisioningState: "Succeeded",
    },
  };
}

export function watcherBody(w: WatcherRecord): object {
  return {
    name: w.name,
    id: w.id,
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    type: "Microsoft.Network/networkWatchers",
    location: w.location,
    tags: {},
    properties: { provisioningState: "Succeeded" },
  };
}
