// The Entra app registration in front of the HTTP API, created by the deployment (Microsoft Graph Bicep extension):
// the Port25.Operator and Port25.Auditor app roles (infra/auth/app-roles.json), an API scope the Azure CLI may ask a
// token for without a consent prompt (infra/auth/api.json), its service principal, which issues tokens only to
// principals holding one of the roles, and the Operator role for the person (or pipeline) running the deployment.
extension microsoftGraphV1

@description('Unique name of the registration in the tenant (its idempotent key: a second deployment updates it).')
param uniqueName string

param displayName string

@description('Object id of the deploying principal (azd sets AZURE_PRINCIPAL_ID): owner of the registration and Port25.Operator. Empty: no owner is added and no one holds a role yet.')
param operatorPrincipalId string = ''

var appRoles = loadJsonContent('../auth/app-roles.json')
var api = loadJsonContent('../auth/api.json')
var operatorRole = filter(appRoles, r => r.value == 'Port25.Operator')[0]
var owners = empty(operatorPrincipalId) ? [] : [operatorPrincipalId]

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  // The tenant-scoped form new registrations may use without a verified domain.
  identifierUris: [
    'api://${tenant().tenantId}/${uniqueName}'
  ]
  appRoles: appRoles
  api: {
    // v2 access tokens: their audience is the client id, which App Service authentication validates.
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      api.scope
    ]
    preAuthorizedApplications: [for client in api.preAuthorizedClients: {
      appId: client.appId
      delegatedPermissionIds: [
        api.scope.id
      ]
    }]
  }
  owners: {
    relationships: owners
  }
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
  // Only principals assigned an app role get a token for the API at all.
  appRoleAssignmentRequired: true
  owners: {
    relationships: owners
  }
}

resource operatorAssignment 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (!empty(operatorPrincipalId)) {
  appRoleId: operatorRole.id
  principalId: operatorPrincipalId
  resourceId: servicePrincipal.id
}

output clientId string = application.appId
output identifierUri string = 'api://${tenant().tenantId}/${uniqueName}'
output servicePrincipalId string = servicePrincipal.id
