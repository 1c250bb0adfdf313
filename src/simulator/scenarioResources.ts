/** The scenario's resources, as zod schemas: the subscription and its billing, resource groups, VMs, scale sets, VNets and their subnets, routing, watchers, availability sets. */
import { z } from "zod";
import { parseCidr } from "./cidr";

export const Guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID");
export const Iso = z.iso.datetime({ offset: true });
export const Name = z.string().regex(/^[A-Za-z0-9][-\w.()]{0,79}$/, "must be a valid Azure resource name");
export const Location = z.string().regex(/^[a-z0-9]+$/, "must be a location name such as westeurope");
const Tags = z.record(z.string(), z.string());
const Cidr4 = z.string().refine((s) => typeof parseCidr(s) !== "string", {
  message: "must be IPv4 CIDR notation without host bits, e.g. 10.0.1.0/24",
});
const InitialPower = z.enum(["running", "stopped", "deallocated"]);

const BillingSchema = z.union([
  z.literal("forbidden"),
  z
    .object({
      agreementType: z.enum([
        "EnterpriseAgreement",
        "MicrosoftCustomerAgreement",
        "MicrosoftOnlineServicesProgram",
        "MicrosoftPartnerAgreement",
        "Other",
      ]),
      workloadType: z.enum(["DevTest", "Production", "Internal", "None"]),
      accountType: z.string().min(1).optional(),
      accountSubType: z.string().min(1).optional(),
      skuId: z.string().min(1).optional(),
      skuDescription: z.string().min(1).optional(),
    })
    .strict(),
]);

export const SubscriptionSchema = z
  .object({
    id: Guid,
    name: z.string().min(1),
    tenantId: Guid.optional(),
    state: z.enum(["Enabled", "Warned", "PastDue", "Disabled", "Deleted"]).default("Enabled"),
    quotaId: z.string().min(1),
    billing: BillingSchema,
  })
  .strict();

export const ResourceGroupSchema = z
  .object({ name: Name, location: Location, managedBy: z.string().min(1).optional(), tags: Tags.default({}) })
  .strict();

export const VmSchema = z
  .object({
    name: Name,
    resourceGroup: Name,
    /** Defaults to the resource group's location. */
    location: Location.optional(),
    size: z.string().min(1).default("Standard_D2s_v5"),
    osType: z.enum(["Linux", "Windows"]).default("Linux"),
    power: InitialPower.default("running"),
    provisioningState: z.enum(["Succeeded", "Failed", "Updating"]).default("Succeeded"),
    ephemeralOsDisk: z.boolean().default(false),
    /** Name of an availability set in the same resource group. */
    availabilitySet: Name.optional(),
    zone: z.enum(["1", "2", "3"]).optional(),
    tags: Tags.default({}),
    priority: z.enum(["Regular", "Low", "Spot"]).default("Regular"),
    /** Spot and Low priority only: what an eviction does (Azure's default is Deallocate). */
    evictionPolicy: z.enum(["Deallocate", "Delete"]).optional(),
    /** Name of a flexible scale set (declared in scaleSets) the VM belongs to. */
    flexScaleSet: Name.optional(),
    networkWatcherAgent: z.boolean().default(false),
    /**
     * When the VM was last allocated and started: its Activity Log holds a Succeeded deallocate and start then
     * (when within the log's 90 days). The instance view never says it (ARM gives PowerState no time).
     */
    lastStartTime: Iso.optional(),
    /** When the VM resource was created (`timeCreated`); default 30 days before lastStartTime, or before the simulation starts. */
    timeCreated: Iso.optional(),
    /** The subnet of its NIC, "vnet/subnet" (a VNet declared in vnets); its routes decide the VM's egress. */
    subnet: z
      .string()
      .regex(/^[^/]+\/[^/]+$/, "must be vnet/subnet")
      .optional(),
  })
  .strict();

const InstanceSchema = z
  .object({
    instanceId: z.string().regex(/^\d+$/, "must be a decimal instance id"),
    power: InitialPower.default("running"),
    lastStartTime: Iso.optional(),
  })
  .strict();

export const ScaleSetSchema = z
  .object({
    name: Name,
    resourceGroup: Name,
    location: Location.optional(),
    orchestrationMode: z.enum(["Uniform", "Flexible"]).default("Uniform"),
    size: z.string().min(1).default("Standard_D2s_v5"),
    ephemeralOsDisk: z.boolean().default(false),
    zones: z.array(z.enum(["1", "2", "3"])).optional(),
    tags: Tags.default({}),
    /** Uniform only: the instances; flexible members are VMs that name this set in `flexScaleSet`. */
    instances: z.array(InstanceSchema).default([]),
    /** The subnet of its network profile, "vnet/subnet". */
    subnet: z
      .string()
      .regex(/^[^/]+\/[^/]+$/, "must be vnet/subnet")
      .optional(),
  })
  .strict();

const SubnetSchema = z
  .object({
    name: Name,
    addressPrefix: Cidr4.optional(),
    addressPrefixes: z.array(Cidr4).min(1).optional(),
    /** Delegation service names, e.g. Microsoft.Web/hostingEnvironments. */
    delegations: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z.]+\/[A-Za-z./]+$/, "must be a service name such as Microsoft.Web/hostingEnvironments"),
      )
      .default([]),
    serviceAssociationLinks: z
      .array(
        z
          .object({
            name: Name.optional(),
            linkedResourceType: z.string().min(1),
            link: z.string().min(1).optional(),
            allowDelete: z.boolean().default(false),
          })
          .strict(),
      )
      .default([]),
    ipamAllocations: z
      .array(
        z
          .object({
            poolId: z.string().min(1),
            numberOfIpAddresses: z.string().regex(/^\d+$/).optional(),
            allocatedAddressPrefixes: z.array(Cidr4).min(1),
          })
          .strict(),
      )
      .default([]),
    /** Has NICs or other IP configurations: deleting it is refused with InUseSubnetCannotBeDeleted. */
    inUse: z.boolean().default(false),
    /**
     * Its network security group: a name (in the VNet's resource group) or {name, resourceGroup}. The NSG exists
     * as a resource in the VNet's region.
     */
    networkSecurityGroup: z.union([Name, z.object({ name: Name, resourceGroup: Name }).strict()]).optional(),
    /** Name of a route table (declared in routeTables) associated with the subnet. */
    routeTable: Name.optional(),
    /** Name of a NAT gateway (declared in natGateways) associated with the subnet. */
    natGateway: Name.optional(),
  })
  .strict();

/** REST RouteNextHopType (Microsoft.Network routeTable.json). */
const NextHopType = z.enum([
  "VirtualNetworkGateway",
  "VnetLocal",
  "Internet",
  "VirtualAppliance",
  "VirtualApplianceEcmp",
  "None",
]);
const Ipv4 = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, "must be an IPv4 address");

const RouteSchema = z
  .object({ name: Name, addressPrefix: Cidr4, nextHopType: NextHopType, nextHopIpAddress: Ipv4.optional() })
  .strict()
  .refine(
    (r) =>
      (r.nextHopType === "VirtualAppliance" || r.nextHopType === "VirtualApplianceEcmp") ===
      (r.nextHopIpAddress !== undefined),
    {
      message: "nextHopIpAddress is required for a VirtualAppliance next hop, and only for it",
    },
  );

export const RouteTableSchema = z
  .object({
    name: Name,
    resourceGroup: Name,
    location: Location.optional(),
    /** "Propagate gateway routes" off: routes learnt over BGP do not reach the associated subnets. */
    disableBgpRoutePropagation: z.boolean().default(false),
    routes: z.array(RouteSchema).default([]),
  })
  .strict();

export const NatGatewaySchema = z.object({ name: Name, resourceGroup: Name, location: Location.optional() }).strict();

/** What a gateway does with TCP 25 it carries: on-premises egress decides, so "blocked" unless said otherwise. */
const GatewaySchema = z
  .object({
    port25: z.enum(["open", "blocked"]).default("blocked"),
    /** Advertises 0.0.0.0/0 over BGP (forced tunnelling for peered spokes that use this gateway). */
    advertisesDefaultRoute: z.boolean().default(false),
  })
  .strict();

/** A peering to a VNet of another subscription (a hub), as the spoke's VNet lists it. */
const PeeringSchema = z
  .object({
    name: Name,
    remoteVirtualNetworkId: z
      .string()
      .regex(
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i,
        "must be a VNet resource id",
      ),
    remoteAddressPrefixes: z.array(Cidr4).min(1),
    useRemoteGateways: z.boolean().default(false),
    /** The hub's gateway, when useRemoteGateways (what it advertises and what it does with port 25). */
    remoteGateway: GatewaySchema.optional(),
  })
  .strict();

/**
 * What sits at a next-hop address outside this subscription's VMs (an Azure Firewall or an appliance, typically in a
 * hub VNet of another subscription), and whether TCP 25 leaves through it. Azure Firewall sends port 25 out only
 * under its own subscription's limits (Learn "Troubleshoot outbound SMTP connectivity").
 */
export const NextHopSchema = z
  .object({
    address: Ipv4,
    name: Name,
    type: z.enum(["AzureFirewall", "VirtualAppliance"]),
    /** Its resource id (the firewall, or the appliance's NIC IP configuration), shown as the connectivity check's hop. */
    resourceId: z.string().min(1).optional(),
    port25: z.enum(["open", "blocked"]),
  })
  .strict();

export const VnetSchema = z
  .object({
    name: Name,
    resourceGroup: Name,
    location: Location.optional(),
    addressPrefixes: z.array(Cidr4).min(1),
    /** IPAM pool ids that manage the address space (addressSpace.ipamPoolPrefixAllocations). */
    ipamPools: z.array(z.string().min(1)).default([]),
    tags: Tags.default({}),
    subnets: z.array(SubnetSchema).default([]),
    peerings: z.array(PeeringSchema).optional(),
    /** A VPN/ExpressRoute gateway in this VNet (forced tunnelling through it goes on-premises). */
    gateway: GatewaySchema.optional(),
  })
  .strict();

export const NetworkWatcherSchema = z
  .object({ name: Name.optional(), resourceGroup: Name.default("NetworkWatcherRG"), location: Location })
  .strict();

/**
 * An availability set's update-domain count (AvailabilitySetProperties.platformUpdateDomainCount: 1–20, 5 when not
 * given; Learn, "Availability sets overview"). Sets VMs name without declaring here have the default.
 */
export const AvailabilitySetSchema = z
  .object({ name: Name, resourceGroup: Name, platformUpdateDomainCount: z.number().int().min(1).max(20).default(5) })
  .strict();

export type ScenarioVm = z.output<typeof VmSchema>;
export type ScenarioScaleSet = z.output<typeof ScaleSetSchema>;
export type ScenarioVnet = z.output<typeof VnetSchema>;
export type ScenarioSubnet = ScenarioVnet["subnets"][number];
