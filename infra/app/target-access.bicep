// Assigns the remediation role to the app identity in one target subscription (deployed at that subscription).
targetScope = 'subscription'

param principalId string

@description('Name (GUID) of the remediation role definition.')
param roleDefinitionName string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roleDefinitionName)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionName)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'port25-remediation: cycle VMs and scale sets, refresh delegated-subnet VNets, probe TCP 25'
  }
}

output roleAssignmentId string = assignment.id
