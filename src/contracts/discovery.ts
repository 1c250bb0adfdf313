/** What discovery reads from a subscription: plain data, no SDK types. Input of the planner. */
import { z } from "zod";
import { ArmResourceIdSchema, SubscriptionIdSchema } from "./ids";
import { PowerStateSchema, ProvisioningStateSchema } from "./power";
import { NicInfoSchema, PeeringInfoSchema, RouteTableInfoSchema } from "./egress";

const TagsSchema = z.record(z.string(), z.string());

/** GET /subscriptions/{id}/providers/Microsoft.Billing/billingProperty/default, the fields we use. */
export const BillingPropertySchema = z.object({
  billingAccountAgreementType: z.string().optional(),
  subscriptionWorkloadType: z.string().optional(),
  billingAccountType: z.string().optional(),
  billingAccountSubType: z.string().optional(),
  skuId: z.string().optional(),
  skuDescription: z.string().optional(),
});
export type BillingProperty = z.output<typeof BillingPropertySchema>;

/** The billing property as read: present, or unreadable with the reason (e.g. 403 and the missing action). */
export const BillingReadSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("ok"), property: BillingPropertySchema }),
  z.object({
    status: z.literal("unreadable"),
    httpStatus: z.number().int().optional(),
    code: z.string(),
    message: z.string(),
  }),
]);
export type BillingRead = z.output<typeof BillingReadSchema>;

export const SubscriptionInfoSchema = z.object({
  subscriptionId: SubscriptionIdSchema,
  displayName: z.string(),
  state: z.string().optional(),
  quotaId: z.string().optional(),
});
export type SubscriptionInfo = z.output<typeof SubscriptionInfoSchema>;

export const ResourceGroupInfoSchema = z.object({
  id: ArmResourceIdSchema.or(z.string()),
  name: z.string(),
  location: z.string(),
  /** Resource id of the owning service (AKS cluster, Databricks workspace, managed application). */
  managedBy: z.string().optional(),
  tags: TagsSchema.default({}),
});
export type ResourceGroupInfo = z.output<typeof ResourceGroupInfoSchema>;

export const VmInfoSchema = z.object({
  id: ArmResourceIdSchema,
  name: z.string(),
  resourceGroup: z.string(),
  location: z.string(),
  size: z.string().optional(),
  powerState: PowerStateSchema,
  provisioningState: ProvisioningStateSchema,
  ephemeralOsDisk: z.boolean(),
  availabilitySetId: z.string().optional(),
  zone: z.string().optional(),
  tags: TagsSchema,
  priority: z.enum(["Regular", "Low", "Spot"]).default("Regular"),
  /** Flexible scale set the VM belongs to (its members are cycled as VMs). */
  flexScaleSetId: z.string().optional(),
  /**
   * Network Watcher agent extension installed (needed for the canary probe). Undefined when not read: ARM's VM
   * listings name extensions by id only, so discovery reads the extensions of canary candidates alone.
   */
  networkWatcherAgent: z.boolean().optional(),
  /**
   * When the VM resource was created (the model's `timeCreated`). ARM gives no "last started" time: the instance
   * view's PowerState carries none, so re-verification establishes starts from this, the audit and the Activity Log.
   */
  timeCreated: z.iso.datetime({ offset: true }).optional(),
  /** The VM's NICs (networkProfile.networkInterfaces), the primary first: its subnet decides its egress path. */
  nicIds: z.array(z.string()).optional(),
  /**
   * The update domain of a VM in an availability set (`instanceView.platformUpdateDomain`, VirtualMachineInstanceView
   * in Azure/azure-rest-api-specs), from the status listing; undefined when ARM gave none.
   */
  platformUpdateDomain: z.number().int().min(0).optional(),
});
export type VmInfo = z.output<typeof VmInfoSchema>;

const ScaleSetInstanceSchema = z.object({
  instanceId: z.string(),
  powerState: PowerStateSchema,
  provisioningState: ProvisioningStateSchema,
  /** When the instance was created (`timeCreated`), when ARM says. */
  timeCreated: z.iso.datetime({ offset: true }).optional(),
});
export type ScaleSetInstance = z.output<typeof ScaleSetInstanceSchema>;

/** A uniform scale set (flexible ones are represented by their member VMs). */
export const ScaleSetInfoSchema = z.object({
  id: ArmResourceIdSchema,
  name: z.string(),
  resourceGroup: z.string(),
  location: z.string(),
  orchestrationMode: z.literal("Uniform"),
  ephemeralOsDisk: z.boolean(),
  provisioningState: ProvisioningStateSchema,
  tags: TagsSchema,
  instances: z.array(ScaleSetInstanceSchema),
  /** Subnets of the network profile's IP configurations, the primary NIC's first: they decide the egress path. */
  subnetIds: z.array(z.string()).optional(),
});
export type ScaleSetInfo = z.output<typeof ScaleSetInfoSchema>;

const SubnetInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  addressPrefix: z.string().optional(),
  addressPrefixes: z.array(z.string()).optional(),
  /** Delegation service names, e.g. Microsoft.Web/hostingEnvironments. */
  delegations: z.array(z.string()),
  /** Prefixes allocated from IPAM pools to this subnet. */
  ipamAllocatedPrefixes: z.array(z.string()).default([]),
  provisioningState: z.string().optional(),
  /** Its network security group's id (properties.networkSecurityGroup.id), when it has one. */
  networkSecurityGroupId: z.string().optional(),
  /** The route table associated with the subnet (its user routes override the system routes). */
  routeTableId: z.string().optional(),
  /** The NAT gateway associated with the subnet (it takes the subnet's outbound internet traffic). */
  natGatewayId: z.string().optional(),
});
export type SubnetInfo = z.output<typeof SubnetInfoSchema>;

export const VnetInfoSchema = z.object({
  id: ArmResourceIdSchema,
  name: z.string(),
  resourceGroup: z.string(),
  location: z.string(),
  addressPrefixes: z.array(z.string()),
  /** The VNet's address space is managed by IPAM pools. */
  ipamManaged: z.boolean().default(false),
  subnets: z.array(SubnetInfoSchema),
  tags: TagsSchema.default({}),
  /** Its peerings (remote address space, useRemoteGateways): routes to peered VNets and the hub's gateway. */
  peerings: z.array(PeeringInfoSchema).optional(),
});
export type VnetInfo = z.output<typeof VnetInfoSchema>;

export const NetworkWatcherInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  resourceGroup: z.string(),
  location: z.string(),
});
export type NetworkWatcherInfo = z.output<typeof NetworkWatcherInfoSchema>;

/**
 * A management lock (Microsoft.Authorization/locks, 2020-05-01): its id names its scope, `<scope>/providers/
 * Microsoft.Authorization/locks/<name>`; it applies to that scope and everything below it.
 */
export const LockInfoSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  level: z.enum(["ReadOnly", "CanNotDelete", "NotSpecified"]).or(z.string()),
  /** The locked scope (the subscription, a resource group or a resource), as the lock's id gives it. */
  scope: z.string(),
  notes: z.string().optional(),
});
export type LockInfo = z.output<typeof LockInfoSchema>;

/**
 * The app identity's own permissions at one resource group (Permissions - List For Resource Group,
 * Microsoft.Authorization 2022-04-01): one entry per role it holds there, each with actions and notActions.
 */
const GroupPermissionsSchema = z.object({
  resourceGroupId: z.string().min(1),
  permissions: z.array(z.object({ actions: z.array(z.string()), notActions: z.array(z.string()).default([]) })),
  /** The listing was refused: nothing is known of the group, so no subnet there is written. */
  unreadable: z.string().optional(),
});
export type GroupPermissions = z.output<typeof GroupPermissionsSchema>;

/** Who the subnet role is granted to and under which name, for the command a `noSubnetPermission` skip prints. */
const SubnetGrantSchema = z.object({ assignee: z.string().min(1).optional(), roleName: z.string().min(1).optional() });
export type SubnetGrant = z.output<typeof SubnetGrantSchema>;

export const DiscoverySchema = z.object({
  subscriptionId: SubscriptionIdSchema,
  resourceGroups: z.array(ResourceGroupInfoSchema),
  vms: z.array(VmInfoSchema),
  scaleSets: z.array(ScaleSetInfoSchema),
  vnets: z.array(VnetInfoSchema),
  networkWatchers: z.array(NetworkWatcherInfoSchema),
  /** Every management lock of the subscription, whatever its scope; undefined when not read. */
  locks: z.array(LockInfoSchema).optional(),
  /** The subscription's NICs and route tables, listed once each (not per VM): they give each VM's egress path. */
  nics: z.array(NicInfoSchema).optional(),
  routeTables: z.array(RouteTableInfoSchema).optional(),
  /** The permissions of each resource group holding a VNet with a delegated subnet; undefined when not read. */
  subnetPermissions: z.array(GroupPermissionsSchema).optional(),
  /** The subnet role and its assignee, as the deployment configured them; undefined: named generically. */
  subnetGrant: SubnetGrantSchema.optional(),
});
export type Discovery = z.output<typeof DiscoverySchema>;

/** One extension of a VM as the extensions list (or the instance view) gives it. */
export const VmExtensionInfoSchema = z.object({
  name: z.string(),
  /** The handler's publisher, e.g. Microsoft.Azure.NetworkWatcher. */
  publisher: z.string().optional(),
  /** The handler's type, e.g. NetworkWatcherAgentLinux. */
  type: z.string().optional(),
});
export type VmExtensionInfo = z.output<typeof VmExtensionInfoSchema>;

/** A power operation recorded in the Activity Log (Microsoft.Insights), reduced to what re-verification uses. */
export const PowerEventSchema = z.object({
  /** The resource the event is about: a VM, a scale set, or a scale-set instance. */
  resourceId: z.string(),
  /**
   * Subscription-wide reads keep deallocate and start only. A read of one resource's events (who changed it during
   * a run) also keeps powerOff, delete and the platform's evictSpotVM.
   */
  operation: z.enum(["deallocate", "start", "powerOff", "delete", "evictSpotVM"]),
  /** Subscription-wide reads keep Succeeded events only; a read of one resource also keeps Started ones. */
  at: z.iso.datetime({ offset: true }),
  /** Who: the event's `caller` (a UPN, an application id, or the platform), when the log gave it. */
  caller: z.string().optional(),
});
export type PowerEvent = z.output<typeof PowerEventSchema>;
