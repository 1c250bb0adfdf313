// The port25-remediation deployment: one resource group with the Functions app and its dependencies, plus
// the least-privilege remediation role, assigned to the app's identity at every target subscription, and the subnet
// role, assigned only at the resource groups of delegated-subnet VNets the operator lists.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of the resource group and every resource in it (must offer Flex Consumption).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group name; empty means rg-<environmentName>.')
param resourceGroupName string = ''

@description('Subscriptions the app remediates, as a JSON array of subscription ids (empty: none yet). The custom role is made assignable there and assigned to the app identity. A string, so that azd passes the environment value, set or unset, as it is.')
param targetSubscriptionIdsJson string = '[]'

@description('The management group campaigns run over, as a JSON array of at most one management group id (empty: none; Azure allows one management group in a custom role\'s assignable scopes: choose the group above every subscription to remediate). The custom role is made assignable there; an owner of the group assigns it to the app identity at the group (docs/deploy.md), which covers every subscription beneath. A string, as targetSubscriptionIdsJson.')
param targetManagementGroupIdsJson string = '[]'

@description('Resource groups holding VNets with delegated subnets, as a JSON array of resource-group ids (/subscriptions/…/resourceGroups/…; empty: none). The subnet role (adding and deleting the temporary subnet) is assigned to the app identity there and nowhere else; a VNet in any other group is planned "no permission" with the command that grants it. A string, as targetSubscriptionIdsJson.')
param subnetResourceGroupIdsJson string = '[]'

@description('Assign the remediation role at each target subscription. False: the role is only made assignable there, for an owner to assign by hand.')
param assignTargetRole bool = true

@description('App Service authentication (Microsoft Entra ID) in front of the HTTP API, with the app roles Port25.Operator and Port25.Auditor. On by default; false leaves function keys alone (closed networks only, docs/deploy.md).')
param authEnabled bool = true

@description('Client id of an existing app registration to use instead of the one the deployment creates; it must define both app roles (checked at deployment). Empty: the deployment creates and maintains the registration.')
param authClientId string = ''

@description('Object id of the principal running the deployment (azd sets AZURE_PRINCIPAL_ID): owner of the created registration and its first Port25.Operator.')
param deployerPrincipalId string = ''

@description('Start a remediation on its own for stragglers found by the scheduled re-verification.')
param autoRemediate bool = false

@description('Let that auto-remediation include resources whose start since the exemption cannot be established.')
param autoRemediateUnknownStarts bool = false

@description('Six-field NCRONTAB schedule of the re-verification.')
param reverifySchedule string = '0 0 6 * * *'

@description('Host the canary probes on TCP 25 when a run does not name one.')
param probeHost string = 'smtp.office365.com'

@description('Email addresses the alert rules notify (approval needed, canary halted, resources left down), as a JSON array (empty: none yet). A string, as targetSubscriptionIdsJson.')
param alertEmailsJson string = '[]'

@secure()
@description('Webhooks told of every notification event, as a JSON array of https URLs (empty: none). Secret: the URLs embed their receivers\' tokens.')
param notifyWebhooks string = ''

@description('Body of the webhook posts: json (the event as JSON), teams (Adaptive Card) or slack (incoming-webhook text).')
@allowed([
  'json'
  'teams'
  'slack'
])
param notifyFormat string = 'json'

@description('Durable Functions task hub name (letters and digits).')
param taskHubName string = 'port25'

@description('Prefix of the audit table names.')
param auditTablePrefix string = 'port25'

@description('Lock the storage account that holds the audit tables against deletion (CanNotDelete). `azd down` then stops at the lock: docs/deploy.md says how to keep the audit and tear the rest down.')
param protectAudit bool = true

@description('Upper bound of Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

// An empty or blank value is no target; anything else must be a JSON array (concat fails the deployment otherwise).
var targetSubscriptionIds = empty(trim(targetSubscriptionIdsJson)) ? [] : concat([], json(targetSubscriptionIdsJson))
var targetManagementGroupIds = empty(trim(targetManagementGroupIdsJson)) ? [] : concat([], json(targetManagementGroupIdsJson))

var subnetResourceGroupIds = empty(trim(subnetResourceGroupIdsJson)) ? [] : concat([], json(subnetResourceGroupIdsJson))

var alertEmails = empty(trim(alertEmailsJson)) ? [] : concat([], json(alertEmailsJson))

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-port25-${resourceToken}'
// Flex Consumption reads the deployed package from this container with the app's identity.
var deploymentContainerName = 'app-package-${take(resourceToken, 13)}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-port25-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-port25-${resourceToken}'
    applicationInsightsName: 'appi-port25-${resourceToken}'
    location: location
    tags: tags
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    location: location
    tags: tags
    actionGroupName: 'ag-port25-${resourceToken}'
    alertEmails: alertEmails
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stport25${take(resourceToken, 16)}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    protectAudit: protectAudit
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: identity.outputs.principalId
  }
}

// With authentication on, the deployment creates the app registration (Microsoft Graph Bicep extension) unless one is
// given, in which case it checks that registration defines the app roles.
var createAppRegistration = authEnabled && empty(trim(authClientId))
var checkAppRegistration = authEnabled && !empty(trim(authClientId))

module appRegistration 'app/entra.bicep' = if (createAppRegistration) {
  name: 'app-registration'
  scope: rg
  params: {
    uniqueName: 'port25-${resourceToken}'
    displayName: 'port25-remediation (${environmentName})'
    operatorPrincipalId: trim(deployerPrincipalId)
  }
}

module existingAppRegistration 'app/entra-existing.bicep' = if (checkAppRegistration) {
  name: 'app-registration-check'
  scope: rg
  params: {
    clientId: trim(authClientId)
  }
}

var registrationClientId = createAppRegistration ? appRegistration!.outputs.clientId : checkAppRegistration ? existingAppRegistration!.outputs.clientId : ''

// Authentication without a working app registration would deploy an app that answers 401 to every caller.
var checkedAuthClientId = authEnabled && empty(registrationClientId) ? fail('authEnabled is true but no app registration was created or found: unset PORT25_AUTH_CLIENT_ID to let the deployment create it (docs/deploy.md), set it to the client id of a registration with the Port25 app roles, or set PORT25_AUTH_ENABLED to false for function keys alone.') : registrationClientId

module keyVault 'app/keyvault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: 'kv-port25-${take(resourceToken, 13)}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    notifyWebhooks: notifyWebhooks
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-port25-${resourceToken}'
    location: location
    tags: union(tags, {
      'azd-service-name': 'api'
    })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    maximumInstanceCount: maximumInstanceCount
    armEndpoint: environment().resourceManager
    taskHubName: taskHubName
    auditTablePrefix: auditTablePrefix
    reverifySchedule: reverifySchedule
    autoRemediate: autoRemediate
    autoRemediateUnknownStarts: autoRemediateUnknownStarts
    probeHost: probeHost
    identityPrincipalId: identity.outputs.principalId
    subnetRoleName: subnetRole.outputs.roleName
    notifyWebhooksSecretUri: keyVault.outputs.webhooksSecretUri
    notifyFormat: notifyFormat
    authEnabled: authEnabled
    authClientId: checkedAuthClientId
    authIdentifierUri: createAppRegistration ? appRegistration!.outputs.identifierUri : ''
  }
  // The host starts with identity-based storage; its roles must exist before the first start.
  dependsOn: [
    rbac
    keyVault
  ]
}

module remediationRole 'app/remediation-role.bicep' = {
  name: 'remediation-role'
  params: {
    environmentName: environmentName
    assignableSubscriptionIds: targetSubscriptionIds
    assignableManagementGroupIds: targetManagementGroupIds
  }
}

module targetAccess 'app/target-access.bicep' = [for targetSubscriptionId in targetSubscriptionIds: if (assignTargetRole) {
  name: 'port25-access-${take(uniqueString(targetSubscriptionId, environmentName), 8)}'
  scope: subscription(targetSubscriptionId)
  params: {
    principalId: identity.outputs.principalId
    roleDefinitionName: remediationRole.outputs.roleDefinitionName
  }
}]

module subnetRole 'app/subnet-role.bicep' = {
  name: 'subnet-role'
  params: {
    environmentName: environmentName
    assignableSubscriptionIds: targetSubscriptionIds
    assignableManagementGroupIds: targetManagementGroupIds
    assignableResourceGroupIds: subnetResourceGroupIds
  }
}

// Subnet rights only where subnets change: at each listed resource group (/subscriptions/{id}/resourceGroups/{name}).
module subnetAccess 'app/subnet-access.bicep' = [for subnetResourceGroupId in subnetResourceGroupIds: if (assignTargetRole) {
  name: 'port25-subnets-${take(uniqueString(subnetResourceGroupId, environmentName), 8)}'
  scope: resourceGroup(split(subnetResourceGroupId, '/')[2], split(subnetResourceGroupId, '/')[4])
  params: {
    principalId: identity.outputs.principalId
    roleDefinitionName: subnetRole.outputs.roleDefinitionName
  }
}]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output PORT25_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output PORT25_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output PORT25_ROLE_DEFINITION_NAME string = remediationRole.outputs.roleDefinitionName
output PORT25_SUBNET_ROLE_DEFINITION_NAME string = subnetRole.outputs.roleDefinitionName
output PORT25_SUBNET_ROLE_NAME string = subnetRole.outputs.roleName
output PORT25_STORAGE_ACCOUNT string = storage.outputs.name
// What a caller asks Entra for a token to the API (docs/deploy.md); empty with function keys alone.
output PORT25_API_CLIENT_ID string = checkedAuthClientId
output PORT25_API_SCOPE string = createAppRegistration ? '${appRegistration!.outputs.identifierUri}/user_impersonation' : authEnabled ? '${checkedAuthClientId}/.default' : ''
