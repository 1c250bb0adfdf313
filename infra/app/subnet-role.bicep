// The remediation identity's second custom role: adding and deleting the temporary subnet beside a VNet's delegated
// subnets, with the delegated subnet's network security group. Its actions are exactly the ARM_ACTIONS whose
// ARM_ACTION_ROLE is `subnet` (src/contracts/armActions.ts; test/infra checks it). It is assigned only at the resource
// groups the operator lists (subnet-access.bicep), never at a whole subscription.
targetScope = 'subscription'

param environmentName string

@description('Subscriptions where the role may be assigned, at any of their resource groups (an owner can grant it later to a group not listed at deployment).')
param assignableSubscriptionIds array

@description('The management group where the role may be assigned (at most one, as for the target role).')
@maxLength(1)
param assignableManagementGroupIds array = []

@description('Resource groups (full ids) where the deployment assigns the role.')
param assignableResourceGroupIds array = []

var actions = [
  'Microsoft.Network/virtualNetworks/subnets/write'
  'Microsoft.Network/virtualNetworks/subnets/delete'
  'Microsoft.Network/networkSecurityGroups/join/action'
]

var deploymentSubscriptionId = subscription().subscriptionId
var scopeSubscriptionIds = union([
  deploymentSubscriptionId
], assignableSubscriptionIds)
var subscriptionScopes = [for id in scopeSubscriptionIds: '/subscriptions/${id}']
var managementGroupScopes = [for id in assignableManagementGroupIds: '/providers/Microsoft.Management/managementGroups/${id}']
// A group under a listed subscription is covered already; one elsewhere must be a scope of its own.
var resourceGroupScopes = filter(assignableResourceGroupIds, id => !contains(scopeSubscriptionIds, split(id, '/')[2]))

var roleGuid = guid(subscription().id, 'port25-remediation-subnets', environmentName)

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: roleGuid
  properties: {
    // Unique in the tenant, as the target role's name.
    roleName: 'Port25 Subnet Refresh (${environmentName}, ${roleGuid})'
    description: 'Adds and deletes the temporary subnet beside delegated subnets, carrying a delegated subnet\'s network security group. Assigned only at the resource groups of delegated-subnet VNets.'
    type: 'CustomRole'
    permissions: [
      {
        actions: actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: concat(subscriptionScopes, managementGroupScopes, resourceGroupScopes)
  }
}

output roleDefinitionName string = role.name
output roleName string = role.properties.roleName
