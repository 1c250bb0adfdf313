/** The scenario file: a simulated subscription's resources and the simulator's behaviour, validated with zod. */
import { readFileSync } from "node:fs";
import { PermissionGrantSchema } from "./permissions";
import { z } from "zod";
import { ensureError, ValidationError } from "../errors";
import { parseWith } from "../contracts/parse";
import { contains, overlaps, parseCidr, type Cidr } from "./cidr";
import { FaultSpecSchema, OperationNameSchema } from "./faults";
import { LockSchema, NsgSchema, PolicyAssignmentSchema } from "./governance";
import { COMPUTE_POLICY_NAMES } from "./computeThrottle";
import { ResponseShapesSchema } from "./shapes";
import { ActorEventSchema, type ActorEvent } from "./actorSchema";

export const Guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID");
export const Iso = z.iso.datetime({ offset: true });
const Name = z.string().regex(/^[A-Za-z0-9][-\w.()]{0,79}$/, "must be a valid Azure resource name");
const Location = z.string().regex(/^[a-z0-9]+$/, "must be a location name such as westeurope");
const Tags = z.record(z.string(), z.string());
const Cidr4 = z.string().refine((s) => typeof parseCidr(s) !== "string", { message: "must be IPv4 CIDR notation without host bits, e.g. 10.0.1.0/24" });
const InitialPower = z.enum(["running", "stopped", "deallocated"]);

const BillingSchema = z.union([
  z.literal("forbidden"),
  z
    .object({
      agreementType: z.enum(["EnterpriseAgreement", "MicrosoftCustomerAgreement", "MicrosoftOnlineServicesProgram", "MicrosoftPartnerAgreement", "Other"]),
      workloadType: z.enum(["DevTest", "Production", "Internal", "None"]),
      accountType: z.string().min(1).optional(),
      accountSubType: z.string().min(1).optional(),
      skuId: z.string().min(1).optional(),
      skuDescription: z.string().min(1).optional(),
    })
    .strict(),
]);

const SubscriptionSchema = z
  .object({
    id: Guid,
    name: z.string().min(1),
    tenantId: Guid.optional(),
    state: z.enum(["Enabled", "Warned", "PastDue", "Disabled", "Deleted"]).default("Enabled"),
    quotaId: z.string().min(1),
    billing: BillingSchema,
  })
  .strict();

const ResourceGroupSchema = z
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
    subnet: z.string().regex(/^[^/]+\/[^/]+$/, "must be vnet/subnet").optional(),
  })
  .strict();

const InstanceSchema = z
  .object({ instanceId: z.string().regex(/^\d+$/, "must be a decimal instance id"), power: InitialPower.default("running"), lastStartTime: Iso.optional() })
  .strict();

const ScaleSetSchema = z
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
    subnet: z.string().regex(/^[^/]+\/[^/]+$/, "must be vnet/subnet").optional(),
  })
  .strict();

const SubnetSchema = z
  .object({
    name: Name,
    addressPrefix: Cidr4.optional(),
    addressPrefixes: z.array(Cidr4).min(1).optional(),
    /** Delegation service names, e.g. Microsoft.Web/hostingEnvironments. */
    delegations: z.array(z.string().regex(/^[A-Za-z.]+\/[A-Za-z./]+$/, "must be a service name such as Microsoft.Web/hostingEnvironments")).default([]),
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
      .array(z.object({ poolId: z.string().min(1), numberOfIpAddresses: z.string().regex(/^\d+$/).optional(), allocatedAddressPrefixes: z.array(Cidr4).min(1) }).strict())
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
const NextHopType = z.enum(["VirtualNetworkGateway", "VnetLocal", "Internet", "VirtualAppliance", "VirtualApplianceEcmp", "None"]);
const Ipv4 = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, "must be an IPv4 address");

const RouteSchema = z
  .object({ name: Name, addressPrefix: Cidr4, nextHopType: NextHopType, nextHopIpAddress: Ipv4.optional() })
  .strict()
  .refine((r) => (r.nextHopType === "VirtualAppliance" || r.nextHopType === "VirtualApplianceEcmp") === (r.nextHopIpAddress !== undefined), {
    message: "nextHopIpAddress is required for a VirtualAppliance next hop, and only for it",
  });

const RouteTableSchema = z
  .object({
    name: Name,
    resourceGroup: Name,
    location: Location.optional(),
    /** "Propagate gateway routes" off: routes learnt over BGP do not reach the associated subnets. */
    disableBgpRoutePropagation: z.boolean().default(false),
    routes: z.array(RouteSchema).default([]),
  })
  .strict();

const NatGatewaySchema = z.object({ name: Name, resourceGroup: Name, location: Location.optional() }).strict();

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
    remoteVirtualNetworkId: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i, "must be a VNet resource id"),
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
const NextHopSchema = z
  .object({
    address: Ipv4,
    name: Name,
    type: z.enum(["AzureFirewall", "VirtualAppliance"]),
    /** Its resource id (the firewall, or the appliance's NIC IP configuration), shown as the connectivity check's hop. */
    resourceId: z.string().min(1).optional(),
    port25: z.enum(["open", "blocked"]),
  })
  .strict();

const VnetSchema = z
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

const NetworkWatcherSchema = z
  .object({ name: Name.optional(), resourceGroup: Name.default("NetworkWatcherRG"), location: Location })
  .strict();

const Seconds = z.number().nonnegative();
export const BucketSchema = z.object({ capacity: z.number().positive(), refillPerSecond: z.number().positive() }).strict();
const MinuteBucketSchema = z.object({ capacity: z.number().int().positive(), refillPerMinute: z.number().int().positive() }).strict();

export const BehaviourSchema = z
  .object({
    /** Simulated seconds each long-running operation takes (per VM or instance). */
    latencies: z
      .object({
        powerOff: Seconds.default(30),
        deallocate: Seconds.default(60),
        start: Seconds.default(60),
        subnetCreate: Seconds.default(10),
        subnetDelete: Seconds.default(10),
        connectivityCheck: Seconds.default(20),
        effectiveRouteTable: Seconds.default(10),
      })
      .strict()
      .prefault({}),
    /** Relative jitter on every latency: 0.2 means ±20 %. */
    jitter: z.number().min(0).max(1).default(0.2),
    pageSize: z.number().int().min(1).max(1000).default(100),
    /** Simulated seconds per real second when the simulator keeps its own clock. */
    timeScale: z.number().positive().default(1),
    /** Simulated time at start when the simulator keeps its own clock (default: now). */
    startTime: Iso.optional(),
    throttling: z
      .object({
        enabled: z.boolean().default(true),
        reads: BucketSchema.default({ capacity: 250, refillPerSecond: 25 }),
        writes: BucketSchema.default({ capacity: 200, refillPerSecond: 10 }),
        deletes: BucketSchema.default({ capacity: 200, refillPerSecond: 10 }),
      })
      .strict()
      .prefault({}),
    /**
     * Microsoft.Compute's own throttling (compute-throttling-limits.md), on top of `throttling`: per region, per
     * resource and per subscription token buckets per policy, refilled once a minute. `scale` multiplies every
     * published limit; `overrides` replaces single buckets (e.g. a tight per-VM budget in a test).
     */
    computeThrottling: z
      .object({
        enabled: z.boolean().default(true),
        scale: z.number().positive().default(1),
        overrides: z
          .partialRecord(
            z.enum(COMPUTE_POLICY_NAMES),
            z.object({ resource: MinuteBucketSchema.optional(), subscription: MinuteBucketSchema.optional() }).strict(),
          )
          .default({}),
        /** The 3- and 30-minute windows of single policies (requests per subscription and region); computeThrottle.ts. */
        windows: z
          .partialRecord(
            z.enum(COMPUTE_POLICY_NAMES),
            z.object({ threeMin: z.number().int().min(1).optional(), thirtyMin: z.number().int().min(1).optional() }).strict(),
          )
          .default({}),
        /** Entries of x-ms-ratelimit-remaining-resource: the windows real answers show, the page's buckets, or both. */
        header: z.enum(["windows", "buckets", "both"]).default("both"),
      })
      .strict()
      .prefault({}),
    /**
     * Guest agents after a start: the VM agent reports Ready `afterStartSeconds` after PowerState/running, its
     * extensions (the Network Watcher agent) `extensionsAfterAgentSeconds` later (both ± jitter). Until then the
     * instance view says Not Ready and a connectivity check from the VM answers `checkAnswer`: "unknown"
     * (Unknown with an AgentStopped issue), "failed" (the operation fails) or "either".
     */
    agentReady: z
      .object({
        afterStartSeconds: Seconds.default(180),
        extensionsAfterAgentSeconds: Seconds.default(30),
        /** A check can still find the agent stopped this long after its extension reports provisioned. */
        checksAfterExtensionsSeconds: Seconds.default(0),
        checkAnswer: z.enum(["unknown", "failed", "either"]).default("either"),
      })
      .strict()
      .prefault({}),
    /** What a second write on a VNet gets while one is in flight. */
    vnetWriteConflict: z.enum(["409", "429", "either"]).default("either"),
    /** Answers where ARM allows several shapes: varied per request (seeded) unless pinned (shapes.ts). */
    responseShapes: ResponseShapesSchema.prefault({}),
    faults: z.array(FaultSpecSchema).default([]),
    /**
     * Operations the product's role is not granted: ARM answers 403 AuthorizationFailed, naming the action where the
     * simulator knows it (server.ts). For a role assigned without an action the product needs.
     */
    deniedOperations: z.array(OperationNameSchema).default([]),
  })
  .strict();

/**
 * An availability set's update-domain count (AvailabilitySetProperties.platformUpdateDomainCount: 1–20, 5 when not
 * given; Learn, "Availability sets overview"). Sets VMs name without declaring here have the default.
 */
const AvailabilitySetSchema = z
  .object({ name: Name, resourceGroup: Name, platformUpdateDomainCount: z.number().int().min(1).max(20).default(5) })
  .strict();

/** A subscription's resources: shared by the single-subscription scenario and each subscription of an estate. */
export const SubscriptionContents = {
  subscription: SubscriptionSchema,
  exemption: z.object({ exempted: z.boolean(), effectiveAt: Iso.optional() }).strict(),
  resourceGroups: z.array(ResourceGroupSchema).default([]),
  vms: z.array(VmSchema).default([]),
  scaleSets: z.array(ScaleSetSchema).default([]),
  vnets: z.array(VnetSchema).default([]),
  networkWatchers: z.array(NetworkWatcherSchema).default([]),
  /** Management locks (ReadOnly or CanNotDelete) on the subscription, a resource group or a resource (governance.ts). */
  locks: z.array(LockSchema).default([]),
  /** Azure Policy assignments the simulator evaluates (the ALZ Deny-Subnet-Without-Nsg definition; governance.ts). */
  policyAssignments: z.array(PolicyAssignmentSchema).default([]),
  /**
   * The app identity's permissions per resource group (permissions.ts): what Permissions - List For Resource Group
   * answers and what subnet writes and deletes are checked against. A group not named grants every action.
   */
  permissions: z.array(PermissionGrantSchema).default([]),
  /** Network security groups besides those subnets name (which exist anyway). */
  networkSecurityGroups: z.array(NsgSchema).default([]),
  /** Other actors: owners and the platform acting during a run (actorSchema.ts, docs/scenario.md "Other actors"). */
  actors: z.array(ActorEventSchema).default([]),
  routeTables: z.array(RouteTableSchema).default([]),
  natGateways: z.array(NatGatewaySchema).default([]),
  /** Availability sets whose update-domain count is not the default 5. */
  availabilitySets: z.array(AvailabilitySetSchema).default([]),
  /** Appliances and firewalls at next-hop addresses (usually in a peered hub of another subscription). */
  nextHops: z.array(NextHopSchema).default([]),
};

export const ScenarioSchema = z
  .object({ ...SubscriptionContents, behaviour: BehaviourSchema.prefault({}) })
  .strict()
  .superRefine(crossCheck);

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type ScenarioVm = Scenario["vms"][number];
export type ScenarioScaleSet = Scenario["scaleSets"][number];
export type ScenarioVnet = Scenario["vnets"][number];
export type ScenarioSubnet = ScenarioVnet["subnets"][number];

type Ctx = z.RefinementCtx<z.output<z.ZodObject>>;

/** Rules that span fields: references resolve, names are unique, subnets fit their VNet. */
export function crossCheck(s: {
  exemption: { exempted: boolean; effectiveAt?: string | undefined };
  resourceGroups: { name: string }[];
  vms: ScenarioVm[];
  scaleSets: ScenarioScaleSet[];
  vnets: ScenarioVnet[];
  networkWatchers: { resourceGroup: string; location: string }[];
  locks?: { scope: "subscription" | { resourceGroup: string } }[];
  policyAssignments?: { scope: "subscription" | { resourceGroup: string } }[];
  networkSecurityGroups?: { resourceGroup: string }[];
  permissions?: { resourceGroup: string }[];
  actors?: ActorEvent[];
  routeTables?: { name: string; resourceGroup: string }[];
  natGateways?: { name: string; resourceGroup: string }[];
}, ctx: Ctx): void {
  const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: "custom", path, message });
  if (s.exemption.exempted && s.exemption.effectiveAt === undefined) issue(["exemption", "effectiveAt"], "is required when exempted is true");
  const rgs = new Set<string>();
  s.resourceGroups.forEach((rg, i) => {
    const k = rg.name.toLowerCase();
    if (rgs.has(k)) issue(["resourceGroups", i, "name"], `duplicate resource group "${rg.name}"`);
    rgs.add(k);
  });
  const needRg = (path: (string | number)[], name: string): void => {
    if (!rgs.has(name.toLowerCase())) issue(path, `resource group "${name}" is not declared in resourceGroups`);
  };
  const flex = new Set<string>();
  const sets = new Set<string>();
  s.scaleSets.forEach((ss, i) => {
    needRg(["scaleSets", i, "resourceGroup"], ss.resourceGroup);
    const k = `${ss.resourceGroup}/${ss.name}`.toLowerCase();
    if (sets.has(k)) issue(["scaleSets", i, "name"], `duplicate scale set "${ss.name}" in "${ss.resourceGroup}"`);
    sets.add(k);
    if (ss.orchestrationMode === "Flexible") {
      flex.add(k);
      if (ss.instances.length > 0) issue(["scaleSets", i, "instances"], "a flexible scale set has no instances here: declare its members as vms with flexScaleSet");
    }
    const ids = new Set<string>();
    ss.instances.forEach((inst, j) => {
      if (ids.has(inst.instanceId)) issue(["scaleSets", i, "instances", j, "instanceId"], `duplicate instance id "${inst.instanceId}"`);
      ids.add(inst.instanceId);
    });
  });
  const vms = new Set<string>();
  s.vms.forEach((vm, i) => {
    needRg(["vms", i, "resourceGroup"], vm.resourceGroup);
    const k = `${vm.resourceGroup}/${vm.name}`.toLowerCase();
    if (vms.has(k)) issue(["vms", i, "name"], `duplicate VM "${vm.name}" in "${vm.resourceGroup}"`);
    vms.add(k);
    if (vm.flexScaleSet !== undefined && !flex.has(`${vm.resourceGroup}/${vm.flexScaleSet}`.toLowerCase()))
      issue(["vms", i, "flexScaleSet"], `no flexible scale set "${vm.flexScaleSet}" in resource group "${vm.resourceGroup}"`);
    if (vm.ephemeralOsDisk && vm.power === "deallocated") issue(["vms", i, "power"], "a VM with an ephemeral OS disk cannot be deallocated");
  });
  s.vnets.forEach((vnet, i) => {
    needRg(["vnets", i, "resourceGroup"], vnet.resourceGroup);
    const space = vnet.addressPrefixes.map((p) => parseCidr(p)).filter((c): c is Cidr => typeof c !== "string");
    const taken: { cidr: Cidr; subnet: string }[] = [];
    vnet.subnets.forEach((sn, j) => {
      const at = ["vnets", i, "subnets", j];
      if ((sn.addressPrefix === undefined) === (sn.addressPrefixes === undefined) && sn.ipamAllocations.length === 0)
        issue(at, "needs exactly one of addressPrefix or addressPrefixes (or IPAM allocations)");
      const prefixes = [...(sn.addressPrefix === undefined ? [] : [sn.addressPrefix]), ...(sn.addressPrefixes ?? []), ...sn.ipamAllocations.flatMap((a) => a.allocatedAddressPrefixes)];
      for (const p of prefixes) {
        const c = parseCidr(p);
        if (typeof c === "string") continue;
        if (!space.some((v) => contains(v, c))) issue(at, `prefix ${p} lies outside the VNet's address space`);
        const clash = taken.find((t) => overlaps(t.cidr, c));
        if (clash) issue(at, `prefix ${p} overlaps subnet "${clash.subnet}"`);
        taken.push({ cidr: c, subnet: sn.name });
      }
    });
  });
  s.networkWatchers.forEach((nw, i) => needRg(["networkWatchers", i, "resourceGroup"], nw.resourceGroup));
  s.locks?.forEach((l, i) => {
    if (l.scope !== "subscription") needRg(["locks", i, "scope", "resourceGroup"], l.scope.resourceGroup);
  });
  s.policyAssignments?.forEach((a, i) => {
    if (a.scope !== "subscription") needRg(["policyAssignments", i, "scope", "resourceGroup"], a.scope.resourceGroup);
  });
  s.networkSecurityGroups?.forEach((n, i) => needRg(["networkSecurityGroups", i, "resourceGroup"], n.resourceGroup));
  s.permissions?.forEach((g, i) => needRg(["permissions", i, "resourceGroup"], g.resourceGroup));
  s.vnets.forEach((vnet, i) =>
    vnet.subnets.forEach((sn, j) => {
      const nsg = sn.networkSecurityGroup;
      if (nsg !== undefined && typeof nsg !== "string") needRg(["vnets", i, "subnets", j, "networkSecurityGroup", "resourceGroup"], nsg.resourceGroup);
    }),
  );
  const declared = new Map(s.vms.map((vm) => [`${vm.resourceGroup}/${vm.name}`.toLowerCase(), vm] as const));
  const created = new Set<string>();
  (s.actors ?? []).forEach((a, i) => {
    const at = ["actors", i];
    if (a.kind === "create") {
      const parsed = VmSchema.safeParse(a.vm);
      if (!parsed.success) {
        for (const e of parsed.error.issues) issue([...at, "vm", ...e.path.map((p) => (typeof p === "symbol" ? String(p) : p))], e.message);
        return;
      }
      const k = `${parsed.data.resourceGroup}/${parsed.data.name}`.toLowerCase();
      needRg([...at, "vm", "resourceGroup"], parsed.data.resourceGroup);
      if (declared.has(k) || created.has(k)) issue([...at, "vm", "name"], `VM "${parsed.data.name}" already exists in "${parsed.data.resourceGroup}"`);
      created.add(k);
      if ("firstTouch" in a.when) issue([...at, "when"], "a created VM cannot wait for the product's first write on it: give at or afterSeconds");
      return;
    }
    if (!("resourceGroup" in a)) {
      // A lock or a policy assignment: its scope's group must exist; a first touch names the VM it waits for.
      const scope = a.kind === "addLock" || a.kind === "removeLock" ? a.lock.scope : (a.assignment.scope ?? "subscription");
      const field = a.kind === "addLock" || a.kind === "removeLock" ? "lock" : "assignment";
      if (scope !== "subscription") needRg([...at, field, "scope", "resourceGroup"], scope.resourceGroup);
      if ("firstTouch" in a.when) {
        if (a.when.resourceGroup === undefined) issue([...at, "when", "resourceGroup"], "is required with firstTouch on a lock or policy event (the VM's resource group)");
        else if (!declared.has(`${a.when.resourceGroup}/${a.when.firstTouch}`.toLowerCase())) issue([...at, "when", "firstTouch"], `no VM "${a.when.firstTouch}" to wait for a first write on`);
      }
      return;
    }
    const k = `${a.resourceGroup}/${a.vm}`.toLowerCase();
    const vm = declared.get(k);
    if (vm === undefined && !created.has(k)) issue([...at, "vm"], `no VM "${a.vm}" in resource group "${a.resourceGroup}" (vms[] or an earlier create)`);
    if (a.kind === "evict" && vm !== undefined && vm.priority === "Regular") issue([...at, "vm"], `VM "${a.vm}" is not a spot VM (priority Regular): only Spot and Low priority VMs are evicted`);
    if ("firstTouch" in a.when) {
      const tk = `${a.when.resourceGroup ?? a.resourceGroup}/${a.when.firstTouch}`.toLowerCase();
      if (!declared.has(tk)) issue([...at, "when", "firstTouch"], `no VM "${a.when.firstTouch}" to wait for a first write on`);
    }
  });
  s.vms.forEach((vm, i) => {
    if (vm.evictionPolicy !== undefined && vm.priority === "Regular") issue(["vms", i, "evictionPolicy"], "only a Spot or Low priority VM has an eviction policy");
  });
  checkRouting(s, issue, needRg);
}

/** Route tables, NAT gateways and subnets named by VMs and scale sets resolve; names are unique (they are looked up by name). */
function checkRouting(
  s: { vms: ScenarioVm[]; scaleSets: ScenarioScaleSet[]; vnets: ScenarioVnet[]; routeTables?: { name: string; resourceGroup: string }[]; natGateways?: { name: string; resourceGroup: string }[] },
  issue: (path: (string | number)[], message: string) => void,
  needRg: (path: (string | number)[], name: string) => void,
): void {
  const names = (list: { name: string }[] | undefined, field: string): Set<string> => {
    const seen = new Set<string>();
    (list ?? []).forEach((x, i) => {
      const k = x.name.toLowerCase();
      if (seen.has(k)) issue([field, i, "name"], `duplicate ${field} name "${x.name}" (subnets name them without a resource group)`);
      seen.add(k);
    });
    return seen;
  };
  const tables = names(s.routeTables, "routeTables");
  const nats = names(s.natGateways, "natGateways");
  (s.routeTables ?? []).forEach((t, i) => needRg(["routeTables", i, "resourceGroup"], t.resourceGroup));
  (s.natGateways ?? []).forEach((t, i) => needRg(["natGateways", i, "resourceGroup"], t.resourceGroup));
  const subnets = new Set<string>();
  s.vnets.forEach((vnet, i) =>
    vnet.subnets.forEach((sn, j) => {
      subnets.add(`${vnet.name}/${sn.name}`.toLowerCase());
      if (sn.routeTable !== undefined && !tables.has(sn.routeTable.toLowerCase())) issue(["vnets", i, "subnets", j, "routeTable"], `no route table "${sn.routeTable}" in routeTables`);
      if (sn.natGateway !== undefined && !nats.has(sn.natGateway.toLowerCase())) issue(["vnets", i, "subnets", j, "natGateway"], `no NAT gateway "${sn.natGateway}" in natGateways`);
    }),
  );
  s.vms.forEach((vm, i) => {
    if (vm.subnet !== undefined && !subnets.has(vm.subnet.toLowerCase())) issue(["vms", i, "subnet"], `no subnet "${vm.subnet}" among the vnets`);
  });
  s.scaleSets.forEach((ss, i) => {
    if (ss.subnet !== undefined && !subnets.has(ss.subnet.toLowerCase())) issue(["scaleSets", i, "subnet"], `no subnet "${ss.subnet}" among the vnets`);
  });
}

/** Parses a scenario object, or reads and parses a JSON file; errors name the offending field. */
export function loadScenario(pathOrObject: string | ScenarioInput | Scenario): Scenario {
  if (typeof pathOrObject !== "string") return parseWith(ScenarioSchema, pathOrObject, "scenario");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(pathOrObject, "utf8"));
  } catch (e) {
    const err = ensureError(e);
    throw new ValidationError(`scenario file ${pathOrObject}`, [{ path: "", message: err.message }], err);
  }
  return parseWith(ScenarioSchema, raw, `scenario file ${pathOrObject}`);
}
