/**
 * A VM's egress path to the internet, as its subnet's routes decide it (src/domain/egress.ts). Microsoft's port-25
 * page: the exemption applies "only to VM traffic that is routed directly to the internet"; a path through an
 * appliance, a firewall or a gateway leaves port 25 to whatever that hop allows.
 */
import { z } from "zod";

/** A user route of a route table, as ARM lists it. */
const RouteInfoSchema = z.object({
  name: z.string(),
  addressPrefix: z.string(),
  nextHopType: z.string(),
  nextHopIpAddress: z.string().optional(),
});

export const RouteTableInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** "Virtual network gateway route propagation" off: BGP routes do not reach the subnets it is associated with. */
  disableBgpRoutePropagation: z.boolean().default(false),
  routes: z.array(RouteInfoSchema),
});
export type RouteTableInfo = z.output<typeof RouteTableInfoSchema>;

/** A NIC's IP configurations reduced to the subnets they sit in. */
export const NicInfoSchema = z.object({
  id: z.string(),
  subnetIds: z.array(z.string()),
});
export type NicInfo = z.output<typeof NicInfoSchema>;

/** A VNet peering as the VNet listing carries it. */
export const PeeringInfoSchema = z.object({
  name: z.string(),
  remoteVnetId: z.string(),
  /** The remote VNet's address space, as the peering reports it (readable even when the remote VNet is not). */
  remoteAddressPrefixes: z.array(z.string()).default([]),
  /** The spoke takes the remote (hub) VNet's gateway and the routes it learns over BGP. */
  useRemoteGateways: z.boolean().default(false),
  peeringState: z.string().optional(),
});
export type PeeringInfo = z.output<typeof PeeringInfoSchema>;

/**
 * Where a VM's internet-bound traffic leaves Azure. `direct` paths (system Internet route, NAT gateway) are the ones
 * the subscription's exemption governs; the others hand port 25 to the hop named.
 */
export const EgressPathSchema = z.object({
  /** One key per distinct path: "internet", "nat:<id>", "appliance:<ip>", "gateway", "gateway:<hub vnet id>", "none". */
  key: z.string(),
  kind: z.enum(["internet", "natGateway", "virtualAppliance", "virtualNetworkGateway", "none"]),
  direct: z.boolean(),
  /** Which route decided: a user route, a route learnt over BGP, or a system route. */
  source: z.enum(["user", "bgp", "system"]),
  /** The hop, in words: "appliance 10.100.0.4 in VNet hub-vnet", "NAT gateway nat-egress", "the Internet". */
  hop: z.string(),
  nextHopIpAddress: z.string().optional(),
  /** The resource holding the hop, when known: the NAT gateway, the peered VNet holding the appliance or gateway. */
  hopResourceId: z.string().optional(),
  /** The subscription of the hop, when known. */
  hopSubscriptionId: z.string().optional(),
  routeTableId: z.string().optional(),
  routeName: z.string().optional(),
  /**
   * How sure: "routes" (read from the subnet's route table and peerings), "effectiveRoutes" (confirmed from the
   * NIC's effective routes), "assumed" (the subnet was not found among the listed VNets: system routes assumed),
   * "possible" (a peering with useRemoteGateways may bring a default route over BGP).
   */
  basis: z.enum(["routes", "effectiveRoutes", "assumed", "possible"]),
});
export type EgressPath = z.output<typeof EgressPathSchema>;

/**
 * One route of a NIC's effective routes (NetworkInterfaces_GetEffectiveRouteTable, network.json `EffectiveRoute`):
 * who made it (Default = system, User, VirtualNetworkGateway = learnt over BGP), whether Azure uses it (Active) or
 * another route for the same prefix overrides it (Invalid), its prefixes and next hop.
 */
export const EffectiveRouteSchema = z.object({
  name: z.string().optional(),
  source: z.string().default("Unknown"),
  state: z.string().default("Active"),
  addressPrefix: z.array(z.string()).default([]),
  nextHopIpAddress: z.array(z.string()).default([]),
  nextHopType: z.string().default("None"),
});
export type EffectiveRoute = z.output<typeof EffectiveRouteSchema>;

/**
 * What the canary's NIC's effective routes said of its path: "confirmed" (the winning default route is the path's
 * hop: the verdict's path then has basis effectiveRoutes), "disagrees" (they name another hop than the route tables:
 * both named in `detail`), "unconfirmed" (they could not be read: `detail` says why; the computed path stands).
 */
const PathConfirmationSchema = z.object({
  status: z.enum(["confirmed", "disagrees", "unconfirmed"]),
  detail: z.string(),
});
export type PathConfirmation = z.output<typeof PathConfirmationSchema>;

/** The canary verdict of one egress path: whether TCP 25 leaves by it, and the VMs on it. */
export const PathVerdictSchema = z.object({
  path: EgressPathSchema,
  /** "reachable"; "blockedAtHop": exempted here, blocked at the hop; "unreachable" (a direct path: the exemption is not in effect); "unavailable"; "noCanary"; "skipped". */
  result: z.enum(["reachable", "blockedAtHop", "unreachable", "unavailable", "noCanary", "skipped"]),
  canaryVmId: z.string().optional(),
  canaryName: z.string().optional(),
  detail: z.string(),
  /** The VMs and scale sets to cycle on this path, by name. */
  resources: z.array(z.string()),
  /** The canary's effective routes against the path read from route tables (absent when not read). */
  confirmation: PathConfirmationSchema.optional(),
});
export type PathVerdict = z.output<typeof PathVerdictSchema>;

/** A resource's egress path as a run recorded it. */
export const RecordedEgressSchema = z.object({ resourceId: z.string(), name: z.string(), path: EgressPathSchema });
export type RecordedEgress = z.output<typeof RecordedEgressSchema>;

/** A resource whose egress path changed since the run (a route table added, edited or removed), and what that means. */
export const EgressChangeSchema = z.object({
  resourceId: z.string(),
  name: z.string(),
  before: EgressPathSchema,
  after: EgressPathSchema,
  /** What the change means for port 25, in one sentence. */
  meaning: z.string(),
});
export type EgressChange = z.output<typeof EgressChangeSchema>;
