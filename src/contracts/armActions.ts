/**
 * Every ARM authorization action the gateway needs. The two custom roles in infra/ are checked against this table
 * and ARM_ACTION_ROLE (one source of truth): adding a gateway operation without its action here, or here without its
 * role, fails a test.
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

type ArmActionKey = keyof typeof ARM_ACTIONS;

/**
 * Which custom role grants each action. `target`: the role assigned at the target subscriptions (and management
 * group): reads and power. `subnet`: the role assigned only at the resource groups of delegated-subnet VNets, so
 * that subnet writes are not granted on every VNet of every target. Learn "Add, change, or delete a virtual network
 * subnet" (Permissions): creating a subnet needs virtualNetworks/subnets/write, deleting it …/subnets/delete,
 * associating a network security group networkSecurityGroups/join/action. virtualNetworks/subnets/join/action is
 * what a NIC or service needs to be placed in a subnet; the temporary subnet holds nothing, so it is not granted.
 */
export const ARM_ACTION_ROLE: Readonly<Record<ArmActionKey, "target" | "subnet">> = {
  readSubscription: "target",
  readBillingProperty: "target",
  readResourceGroups: "target",
  readVms: "target",
  readVmInstanceView: "target",
  readVmExtensions: "target",
  powerOffVm: "target",
  deallocateVm: "target",
  startVm: "target",
  readScaleSets: "target",
  readScaleSetVms: "target",
  powerOffScaleSet: "target",
  deallocateScaleSet: "target",
  startScaleSet: "target",
  readOperationStatus: "target",
  readVnets: "target",
  readSubnets: "target",
  writeSubnet: "subnet",
  deleteSubnet: "subnet",
  readNetworkOperationStatus: "target",
  readNetworkOperationResults: "target",
  readNetworkWatchers: "target",
  connectivityCheck: "target",
  readActivityLog: "target",
  readManagementGroupDescendants: "target",
  readLocks: "target",
  joinNetworkSecurityGroup: "subnet",
  readRouteTables: "target",
  readNetworkInterfaces: "target",
  readEffectiveRoutes: "target",
};

/** The actions of one custom role, by operation (the gateway's table filtered by ARM_ACTION_ROLE). */
export function roleActions(role: "target" | "subnet"): Partial<Record<ArmActionKey, string>> {
  return Object.fromEntries(
    (Object.keys(ARM_ACTIONS) as ArmActionKey[])
      .filter((k) => ARM_ACTION_ROLE[k] === role)
      .map((k) => [k, ARM_ACTIONS[k]]),
  );
}

/** The subnet actions a VNet's resource group must grant before the plan lets a run refresh its delegated subnets. */
export const SUBNET_REFRESH_ACTIONS = [ARM_ACTIONS.writeSubnet, ARM_ACTIONS.deleteSubnet] as const;
