/**
 * ArmGateway over the real SDK clients, composed of one module per ARM operation group (src/azure/arm/), as
 * @azure/arm-compute splits its operations: every answer parsed into the plain-data contracts.
 */
import type { ArmClientSet } from "./clientSet";
import type { ArmGateway, VmListPage, ManagementGroupSubscription } from "./gateway";
import { ArmRequests } from "./arm/requests";
import { ManagementGroupReads } from "./arm/managementGroups";
import { ResourceReads } from "./arm/resources";
import { ComputeReads } from "./arm/computeReads";
import { ComputePower } from "./arm/computePower";
import { OperationStatusReads } from "./arm/operations";
import { NetworkOperationsImpl } from "./arm/network";
import { NetworkWatcherOperationsImpl } from "./arm/networkWatcher";
import { ActivityLogReads } from "./arm/activityLog";
import type {
  VmPowerStatus,
  VmAgentReadiness,
  VmPowerListing,
  VmState,
  OperationHandle,
  ScaleSetState,
  OperationStatus,
  SubnetState,
  EffectiveRoutesStart,
  ConnectivityStart,
  ConnectivityResult,
} from "../contracts/azure";
import type {
  SubscriptionInfo,
  BillingRead,
  ResourceGroupInfo,
  LockInfo,
  GroupPermissions,
  VmInfo,
  VmExtensionInfo,
  ScaleSetInfo,
  VnetInfo,
  NetworkWatcherInfo,
  PowerEvent,
} from "../contracts/discovery";
import type { EffectiveRoute, NicInfo, RouteTableInfo } from "../contracts/egress";
import type { PowerStep } from "../contracts/plan";

export class ArmGatewayImpl implements ArmGateway {
  private readonly managementGroups: ManagementGroupReads;
  private readonly resources: ResourceReads;
  private readonly computeReads: ComputeReads;
  private readonly computePower: ComputePower;
  private readonly operations: OperationStatusReads;
  private readonly network: NetworkOperationsImpl;
  private readonly networkWatcher: NetworkWatcherOperationsImpl;
  private readonly activityLog: ActivityLogReads;

  constructor(clients: ArmClientSet) {
    const arm = new ArmRequests(clients);
    this.managementGroups = new ManagementGroupReads(arm);
    this.resources = new ResourceReads(arm);
    this.computeReads = new ComputeReads(arm);
    this.computePower = new ComputePower(arm);
    this.operations = new OperationStatusReads(arm);
    this.network = new NetworkOperationsImpl(arm);
    this.networkWatcher = new NetworkWatcherOperationsImpl(arm);
    this.activityLog = new ActivityLogReads(arm);
  }

  listManagementGroupSubscriptions(managementGroupId: string): Promise<ManagementGroupSubscription[]> {
    return this.managementGroups.listManagementGroupSubscriptions(managementGroupId);
  }

  getSubscription(subscriptionId: string): Promise<SubscriptionInfo> {
    return this.resources.getSubscription(subscriptionId);
  }

  getBillingProperty(subscriptionId: string): Promise<BillingRead> {
    return this.resources.getBillingProperty(subscriptionId);
  }

  listResourceGroups(subscriptionId: string): Promise<ResourceGroupInfo[]> {
    return this.resources.listResourceGroups(subscriptionId);
  }

  listLocks(subscriptionId: string): Promise<LockInfo[]> {
    return this.resources.listLocks(subscriptionId);
  }

  listResourceGroupPermissions(
    subscriptionId: string,
    resourceGroup: string,
  ): Promise<GroupPermissions["permissions"]> {
    return this.resources.listResourceGroupPermissions(subscriptionId, resourceGroup);
  }

  listVms(subscriptionId: string): Promise<VmInfo[]> {
    return this.computeReads.listVms(subscriptionId);
  }

  listVmModelPage(subscriptionId: string, nextLink?: string): Promise<VmListPage<VmInfo>> {
    return this.computeReads.listVmModelPage(subscriptionId, nextLink);
  }

  listVmStatusPage(
    subscriptionId: string,
    nextLink?: string,
    rereadUnknown = true,
  ): Promise<VmListPage<VmPowerStatus>> {
    return this.computeReads.listVmStatusPage(subscriptionId, nextLink, rereadUnknown);
  }

  listVmExtensions(vmId: string): Promise<VmExtensionInfo[]> {
    return this.computeReads.listVmExtensions(vmId);
  }

  getVmAgentReadiness(vmId: string): Promise<VmAgentReadiness> {
    return this.computeReads.getVmAgentReadiness(vmId);
  }

  listScaleSets(subscriptionId: string): Promise<ScaleSetInfo[]> {
    return this.computeReads.listScaleSets(subscriptionId);
  }

  listVmPowerStates(subscriptionId: string, maxPages?: number): Promise<VmPowerListing> {
    return this.computeReads.listVmPowerStates(subscriptionId, maxPages);
  }

  getVmState(vmId: string): Promise<VmState> {
    return this.computePower.getVmState(vmId);
  }

  beginVmPowerOperation(vmId: string, step: PowerStep): Promise<OperationHandle> {
    return this.computePower.beginVmPowerOperation(vmId, step);
  }

  getScaleSetState(scaleSetId: string): Promise<ScaleSetState> {
    return this.computePower.getScaleSetState(scaleSetId);
  }

  beginScaleSetPowerOperation(scaleSetId: string, step: PowerStep, instanceIds: string[]): Promise<OperationHandle> {
    return this.computePower.beginScaleSetPowerOperation(scaleSetId, step, instanceIds);
  }

  getOperationStatus(handle: OperationHandle): Promise<OperationStatus> {
    return this.operations.getOperationStatus(handle);
  }

  listVnets(subscriptionId: string): Promise<VnetInfo[]> {
    return this.network.listVnets(subscriptionId);
  }

  listNics(subscriptionId: string): Promise<NicInfo[]> {
    return this.network.listNics(subscriptionId);
  }

  listRouteTables(subscriptionId: string): Promise<RouteTableInfo[]> {
    return this.network.listRouteTables(subscriptionId);
  }

  getVnet(vnetId: string): Promise<VnetInfo | undefined> {
    return this.network.getVnet(vnetId);
  }

  getSubnet(vnetId: string, subnetName: string): Promise<SubnetState> {
    return this.network.getSubnet(vnetId, subnetName);
  }

  beginCreateSubnet(
    vnetId: string,
    subnetName: string,
    addressPrefix: string,
    networkSecurityGroupId?: string,
  ): Promise<OperationHandle> {
    return this.network.beginCreateSubnet(vnetId, subnetName, addressPrefix, networkSecurityGroupId);
  }

  beginDeleteSubnet(vnetId: string, subnetName: string): Promise<OperationHandle> {
    return this.network.beginDeleteSubnet(vnetId, subnetName);
  }

  beginGetEffectiveRoutes(nicId: string): Promise<EffectiveRoutesStart> {
    return this.network.beginGetEffectiveRoutes(nicId);
  }

  getEffectiveRoutesResult(handle: OperationHandle): Promise<EffectiveRoute[]> {
    return this.network.getEffectiveRoutesResult(handle);
  }

  listNetworkWatchers(subscriptionId: string): Promise<NetworkWatcherInfo[]> {
    return this.networkWatcher.listNetworkWatchers(subscriptionId);
  }

  beginConnectivityCheck(
    watcher: NetworkWatcherInfo,
    vmId: string,
    host: string,
    port: number,
  ): Promise<ConnectivityStart> {
    return this.networkWatcher.beginConnectivityCheck(watcher, vmId, host, port);
  }

  getConnectivityResult(handle: OperationHandle): Promise<ConnectivityResult> {
    return this.networkWatcher.getConnectivityResult(handle);
  }

  listPowerEvents(subscriptionId: string, from: string, to: string): Promise<PowerEvent[]> {
    return this.activityLog.listPowerEvents(subscriptionId, from, to);
  }

  listResourcePowerEvents(resourceId: string, from: string, to: string): Promise<PowerEvent[]> {
    return this.activityLog.listResourcePowerEvents(resourceId, from, to);
  }
}
