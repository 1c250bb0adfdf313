// Assigns the subnet role to the app identity at one resource group of delegated-subnet VNets (deployed at that group).
targetScope = 'resourceGroup'

param principalId string

@description('Name (GUID) of the subnet role definition.')
param roleDefinitionName string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleDefinitionName)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionName)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'port25-remediation: add and delete the temporary subnet beside delegated subnets'
  }
}

output roleAssignmentId string = assignment.id
