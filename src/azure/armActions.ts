/**
 * Every ARM authorization action the gateway needs. The custom role in infra/ is checked against this table
 * (one source of truth): adding a gateway operation without its action here, or here without the role, fails a test.
 */
export const ARM_ACTIONS = {
  readSubscription: "Microsoft.Resources/subscriptions/read",
  readBillingProperty: "Microsoft.Billing/billingProperty/read",
  readResourceGroups: "Microsoft.Resources/subscriptions/resourceGroups/read",
  readVms: "Microsoft.Compute/virtualMachines/read",
  readVmInstanceView: "Microsoft.Compute/virtualMachines/instanceView/read",
  readVmExtensions: "Microsoft.Compute/virtualMachines/extensions/read",
  powerOffVm: "Microsoft.Compute/virtualMachines/powerOff/action",
  deallocateVm: "Microsoft.Compute/virtualMachines/deallocate/action",
  startVm: "Microsoft.Compute/virtualMachines/start/action",
  readScaleSets: "Microsoft.Compute/virtualMachineScaleSets/read",
  readScaleSetVms: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read",
  powerOffScaleSet: "Microsoft.Compute/virtualMachineScaleSets/powerOff/action",
  deallocateScaleSet: "Microsoft.Compute/virtualMachineScaleSets/deallocate/action",
  startScaleSet: "Microsoft.Compute/virtualMachineScaleSets/start/action",
  readOperationStatus: "Microsoft.Compute/locations/operations/read",
  readVnets: "Microsoft.Network/virtualNetworks/read",
  readSubnets: "Microsoft.Network/virtualNetworks/subnets/read",
  writeSubnet: "Microsoft.Network/virtualNetworks/subnets/write",
  deleteSubnet: "Microsoft.Network/virtualNetworks/subnets/delete",
  readNetworkOperationStatus: "Microsoft.Network/locations/operations/read",
  /** The connectivity check's result is read from its Location URL (…/locations/{region}/operationResults/{id}). */
  readNetworkOperationResults: "Microsoft.Network/locations/operationResults/read",
  readNetworkWatchers: "Microsoft.Network/networkWatchers/read",
  connectivityCheck: "Microsoft.Network/networkWatchers/connectivityCheck/action",
  /** Re-verification reads deallocate and start events from the Activity Log. */
  readActivityLog: "Microsoft.Insights/eventtypes/values/read",
  /**
   * A campaign over a management group lists the subscriptions beneath it (ManagementGroups_GetDescendants). ARM
   * checks it at the group: the role must be assigned at that management group (or above it).
   */
  readManagementGroupDescendants: "Microsoft.Management/managementGroups/descendants/read",
  /** Discovery lists the subscription's management locks, so that the plan skips what a lock would refuse. */
  readLocks: "Microsoft.Authorization/locks/read",
  /** The temporary subnet carries the delegated subnet's network security group (a landing zone's policy may demand one). */
  joinNetworkSecurityGroup: "Microsoft.Network/networkSecurityGroups/join/action",
  /**
   * Egress paths: the subscription's route tables (a subnet's user routes) and NICs (a VM's subnet), each listed once
   * (Learn "Virtual network traffic routing"; peerings come with virtualNetworks/read).
   */
  readRouteTables: "Microsoft.Network/routeTables/read",
  readNetworkInterfaces: "Microsoft.Network/networkInterfaces/read",
  /**
   * The canary's path is confirmed from its NIC's effective routes (NetworkInterfaces_GetEffectiveRouteTable, a POST;
   * Learn "Create, change, or delete a network interface" and "Create, change, or delete an Azure route table",
   * Permissions: "Get network interface effective route table").
   */
  readEffectiveRoutes: "Microsoft.Network/networkInterfaces/effectiveRouteTable/action",
} as const;

export type ArmActionKey = keyof typeof ARM_ACTIONS;
