// The least-privilege custom role of the remediation identity at its targets: reads and power. Its actions are
// exactly the ARM_ACTIONS whose ARM_ACTION_ROLE is `target` (src/contracts/armActions.ts; test/infra checks it). Subnet
// writes live in subnet-role.bicep, assigned only at the resource groups of delegated-subnet VNets.
targetScope = 'subscription'

param environmentName string

@description('Subscriptions where the role may be assigned (the subscriptions the app remediates).')
param assignableSubscriptionIds array

@description('The management group where the role may be assigned (at most one: Azure allows one management group in a custom role\'s assignable scopes): for campaigns over a management group, assign it there, so that it covers every subscription beneath and lets the app list them (the descendants read is checked at the group).')
@maxLength(1)
param assignableManagementGroupIds array = []

var actions = [
  'Microsoft.Resources/subscriptions/read'
  'Microsoft.Billing/billingProperty/read'
  'Microsoft.Resources/subscriptions/resourceGroups/read'
  'Microsoft.Compute/virtualMachines/read'
  'Microsoft.Compute/virtualMachines/instanceView/read'
  'Microsoft.Compute/virtualMachines/extensions/read'
  'Microsoft.Compute/virtualMachines/powerOff/action'
  'Microsoft.Compute/virtualMachines/deallocate/action'
  'Microsoft.Compute/virtualMachines/start/action'
  'Microsoft.Compute/virtualMachineScaleSets/read'
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read'
  'Microsoft.Compute/virtualMachineScaleSets/powerOff/action'
  'Microsoft.Compute/virtualMachineScaleSets/deallocate/action'
  'Microsoft.Compute/virtualMachineScaleSets/start/action'
  'Microsoft.Compute/locations/operations/read'
  'Microsoft.Network/virtualNetworks/read'
  'Microsoft.Network/virtualNetworks/subnets/read'
  'Microsoft.Network/locations/operations/read'
  'Microsoft.Network/locations/operationResults/read'
  'Microsoft.Network/networkWatchers/read'
  'Microsoft.Network/networkWatchers/connectivityCheck/action'
  'Microsoft.Insights/eventtypes/values/read'
  'Microsoft.Management/managementGroups/descendants/read'
  'Microsoft.Authorization/locks/read'
  'Microsoft.Network/routeTables/read'
  'Microsoft.Network/networkInterfaces/read'
  'Microsoft.Network/networkInterfaces/effectiveRouteTable/action'
]

// The definition lives in the deployment subscription, so that subscription is always one of its scopes.
var deploymentSubscriptionId = subscription().subscriptionId
var scopeSubscriptionIds = union([
  deploymentSubscriptionId
], assignableSubscriptionIds)
var subscriptionScopes = [for id in scopeSubscriptionIds: '/subscriptions/${id}']
var managementGroupScopes = [for id in assignableManagementGroupIds: '/providers/Microsoft.Management/managementGroups/${id}']

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  // Role definition names (GUIDs) and display names are both unique in the tenant: one role per hosting
  // subscription and azd environment, and the display name carries the same GUID, so that two hosting
  // subscriptions with the same environment name never collide.
  name: guid(subscription().id, 'port25-remediation', environmentName)
  properties: {
    roleName: 'Port25 Remediation (${environmentName}, ${guid(subscription().id, 'port25-remediation', environmentName)})'
    description: 'Reads subscriptions, VMs, scale sets and VNets; powers off, deallocates and starts VMs and scale sets; runs Network Watcher connectivity checks; reads power events from the Activity Log; lists the subscriptions under a management group; reads management locks.'
    type: 'CustomRole'
    permissions: [
      {
        actions: actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: concat(subscriptionScopes, managementGroupScopes)
  }
}

output roleDefinitionName string = role.name
output roleDefinitionId string = role.id
