// Checks an app registration brought by the operator (PORT25_AUTH_CLIENT_ID) before the app trusts it: its service
// principal must exist in this tenant and define both app roles the triggers check. Anything else fails the
// deployment here, rather than deploying an app that answers 401 or 403 to everyone.
extension microsoftGraphV1

@description('Client (application) id of the registration.')
param clientId string

var requiredRoles = map(loadJsonContent('../auth/app-roles.json'), r => r.value)

// Reading a service principal that does not exist fails the deployment with Graph's "not found".
resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: clientId
}

var definedRoles = map(filter(servicePrincipal.appRoles, r => r.isEnabled), r => r.value)
var missingRoles = filter(requiredRoles, r => !contains(definedRoles, r))

output clientId string = empty(missingRoles) ? clientId : fail('The app registration ${clientId} does not define the enabled app roles ${join(missingRoles, ', ')}: add them from infra/auth/app-roles.json (docs/deploy.md), or unset PORT25_AUTH_CLIENT_ID to let the deployment create the registration.')
