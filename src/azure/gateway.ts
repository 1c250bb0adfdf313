/** The ARM gateway: every Azure operation the product performs, as plain data in and out. */
import type {
  BillingRead,
  GroupPermissions,
  LockInfo,
  NetworkWatcherInfo,
  PowerEvent,
  ResourceGroupInfo,
  ScaleSetInfo,
  SubscriptionInfo,
  VmExtensionInfo,
  VmInfo,
  VnetInfo,
} from "../contracts/discovery";
import type {
  ConnectivityResult,
  ConnectivityStart,
  OperationHandle,
  OperationStatus,
  ScaleSetState,
  SubnetState,
  VmPowerListing,
  VmAgentReadiness,
  VmPowerStatus,
  VmState,
} from "../contracts/azure";
import type { PowerStep } from "../contracts/plan";
import type { EffectiveRoute, NicInfo, RouteTableInfo } from "../contracts/egress";
import type { EffectiveRoutesStart } from "../contracts/azure";

/** A subscription found under a management group: its id, display name and the management group directly above it. */
export interface ManagementGroupSubscription {
  subscriptionId: string;
  displayName: string;
  /** The id (name) of the management group it sits in directly. */
  parentManagementGroupId?: string;
}

/** A page of a paged listing and where the next one is (absent after the last). */
export interface VmListPage<T> {
  items: T[];
  nextLink?: string;
}

/** Management groups (Microsoft.Management). */
export interface ManagementGroupOperations {
  /**
   * Every subscription under a management group, at any depth (Management Groups API, descendants; every page
   * followed): id and display name, each once.
   */
  listManagementGroupSubscriptions(managementGroupId: string): Promise<ManagementGroupSubscription[]>;
}

/** Resources, billing and authorization: the subscription, its billing property, resource groups, locks, permissions. */
export interface ResourceOperations {
  getSubscription(subscriptionId: string): Promise<SubscriptionInfo>;
  /** Never throws for 401/403/404: returns `{status:"unreadable"}` with the missing permission named. */
  getBillingProperty(subscriptionId: string): Promise<BillingRead>;
  listResourceGroups(subscriptionId: string): Promise<ResourceGroupInfo[]>;
  /** Every management lock of the subscription, at any scope (each with the scope it locks), every page followed. */
  listLocks(subscriptionId: string): Promise<LockInfo[]>;
  /** The caller's own permission entries (actions, notActions) at a resource group, every page followed. */
  listResourceGroupPermissions(subscriptionId: string, resourceGroup: string): Promise<GroupPermissions["permissions"]>;
}

/** Compute reads (Microsoft.Compute): VMs, extensions, agents, scale sets, power-state listings. */
export interface ComputeReadOperations {
  /**
   * Every VM (flexible scale-set members included) with its power state and `timeCreated`. The Network Watcher
   * agent is left unread (undefined): ARM's listings name extensions by id only (listVmExtensions reads them).
   */
  listVms(subscriptionId: string): Promise<VmInfo[]>;
  /**
   * One page of the subscription's VM listing (VirtualMachines_ListAll): from the start, or from a `nextLink`
   * an earlier page returned (only ARM's own endpoint is followed). `model` gives each VM's model with its power
   * state unknown; `status` (`statusOnly=true`) gives every VM's power and provisioning state only, a VM the listing
   * gave none read on its own unless `rereadUnknown` is false (then its state stays unknown).
   */
  listVmModelPage(subscriptionId: string, nextLink?: string): Promise<VmListPage<VmInfo>>;
  listVmStatusPage(
    subscriptionId: string,
    nextLink?: string,
    rereadUnknown?: boolean,
  ): Promise<VmListPage<VmPowerStatus>>;
  /** A VM's extensions, from its extensions list (`GET …/virtualMachines/{vm}/extensions`). */
  listVmExtensions(vmId: string): Promise<VmExtensionInfo[]>;
  /**
   * Whether a VM's VM agent and Network Watcher agent extension report ready, from its instance view (Compute's
   * Low Cost Get: one request). A VM that does not exist answers `exists: false`.
   */
  getVmAgentReadiness(vmId: string): Promise<VmAgentReadiness>;
  /** Uniform scale sets with their instances' power states. */
  listScaleSets(subscriptionId: string): Promise<ScaleSetInfo[]>;
  /**
   * The run-time status of every VM of the subscription, from one paged `statusOnly=true` listing
   * (VirtualMachines_ListAll; Compute's High Cost Get, one token a page): power state and provisioning state only.
   * With `maxPages`, stops after that many pages when more remain and says so (`truncated`).
   */
  listVmPowerStates(subscriptionId: string, maxPages?: number): Promise<VmPowerListing>;
}

/** Compute power (Microsoft.Compute): a VM's or scale set's state and the operations that change it. */
export interface ComputePowerOperations {
  getVmState(vmId: string): Promise<VmState>;
  beginVmPowerOperation(vmId: string, step: PowerStep): Promise<OperationHandle>;
  getScaleSetState(scaleSetId: string): Promise<ScaleSetState>;
  beginScaleSetPowerOperation(scaleSetId: string, step: PowerStep, instanceIds: string[]): Promise<OperationHandle>;
}

/** Long-running operations: one poll of a handle a `begin*` method returned. */
export interface OperationStatusOperations {
  getOperationStatus(handle: OperationHandle): Promise<OperationStatus>;
}

/** Network (Microsoft.Network): VNets, subnets, NICs, route tables, effective routes. */
export interface NetworkOperations {
  listVnets(subscriptionId: string): Promise<VnetInfo[]>;
  /** Every NIC of the subscription, reduced to the subnets of its IP configurations. */
  listNics(subscriptionId: string): Promise<NicInfo[]>;
  /** Every route table of the subscription with its user routes. */
  listRouteTables(subscriptionId: string): Promise<RouteTableInfo[]>;
  getVnet(vnetId: string): Promise<VnetInfo | undefined>;
  getSubnet(vnetId: string, subnetName: string): Promise<SubnetState>;
  /** The subnet carries `networkSecurityGroupId` when given (joining it needs networkSecurityGroups/join/action). */
  beginCreateSubnet(
    vnetId: string,
    subnetName: string,
    addressPrefix: string,
    networkSecurityGroupId?: string,
  ): Promise<OperationHandle>;
  beginDeleteSubnet(vnetId: string, subnetName: string): Promise<OperationHandle>;
  /** Starts reading a NIC's effective routes (its VM must be running): the list (200) or a handle (202). */
  beginGetEffectiveRoutes(nicId: string): Promise<EffectiveRoutesStart>;
  /** The list once `getOperationStatus` says Succeeded (reads the Location URL). */
  getEffectiveRoutesResult(handle: OperationHandle): Promise<EffectiveRoute[]>;
}

/** Network Watcher (Microsoft.Network): watchers and connectivity checks. */
export interface NetworkWatcherOperations {
  listNetworkWatchers(subscriptionId: string): Promise<NetworkWatcherInfo[]>;
  /** Starts a Network Watcher connectivity check from a VM to host:port over TCP: its result (200) or a handle (202). */
  beginConnectivityCheck(
    watcher: NetworkWatcherInfo,
    vmId: string,
    host: string,
    port: number,
  ): Promise<ConnectivityStart>;
  /** The check's result once `getOperationStatus` says Succeeded (reads the Location URL). */
  getConnectivityResult(handle: OperationHandle): Promise<ConnectivityResult>;
}

/** Monitor: the Activity Log (Microsoft.Insights). */
export interface ActivityLogOperations {
  /**
   * Succeeded deallocate and start events of VMs, scale sets and scale-set instances in the Activity Log
   * (Microsoft.Insights, kept 90 days) between `from` and `to`, oldest first; every page followed.
   */
  listPowerEvents(subscriptionId: string, from: string, to: string): Promise<PowerEvent[]>;
  /**
   * One resource's power events (powerOff, deallocate, start, delete, evictSpotVM; Started or Succeeded) between
   * `from` and `to`, oldest first, with the caller: who changed a resource during a run, and when.
   */
  listResourcePowerEvents(resourceId: string, from: string, to: string): Promise<PowerEvent[]>;
}

/**
 * Every method throws AzureOperationError (src/errors.ts) on failure, with ARM's error code, the HTTP status,
 * `retryable` (429, 5xx, AnotherOperationInProgress, RetryableError[DueToAnotherOperation], an OperationNotAllowed
 * that names no quota, policy or unsupported operation) and Retry-After.
 * `begin*` methods send the initial request only and return a handle; callers poll with `getOperationStatus`.
 */
export interface ArmGateway
  extends
    ManagementGroupOperations,
    ResourceOperations,
    ComputeReadOperations,
    ComputePowerOperations,
    OperationStatusOperations,
    NetworkOperations,
    NetworkWatcherOperations,
    ActivityLogOperations {}
