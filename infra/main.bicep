// The port25-remediation deployment: one resource group with the Functions app and its dependencies, plus
// the least-privilege remediation role, assigned to the app's identity at every target subscription.
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

@description('Assign the remediation role at each target subscription. False: the role is only made assignable there, for an owner to assign by hand.')
param assignTargetRole bool = true

@description('Turn on App Service authentication (Microsoft Entra ID) in front of the HTTP API.')
param authEnabled bool = false

@description('Client id of the Entra app registration that carries the Port25.Operator and Port25.Auditor app roles. Required when authEnabled: the deployment fails without it.')
param authClientId string = ''

@description('Start a remediation on its own for stragglers found by the scheduled re-verification.')
param autoRemediate bool = false

@description('Let that auto-remediation include resources whose start since the exemption cannot be established.')
param autoRemediateUnknownStarts bool = false

@description('Six-field NCRONTAB schedule of the re-verification.')
param reverifySchedule string = '0 0 6 * * *'

@description('Host the canary probes on TCP 25 when a run does not name one.')
param probeHost string = 'smtp.office365.com'

@description('Durable Functions task hub name (letters and digits).')
param taskHubName string = 'port25'

@description('Prefix of the audit table names.')
param auditTablePrefix string = 'port25'

@description('Upper bound of Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

// An empty or blank value is no target; anything else must be a JSON array (concat fails the deployment otherwise).
var targetSubscriptionIds = empty(trim(targetSubscriptionIdsJson)) ? [] : concat([], json(targetSubscriptionIdsJson))

// Authentication without the app registration's client id would deploy an app that answers 401 to every caller.
var checkedAuthClientId = authEnabled && empty(trim(authClientId)) ? fail('authEnabled is true but authClientId is empty: set PORT25_AUTH_CLIENT_ID to the client id of the app registration (docs/deploy.md), or set PORT25_AUTH_ENABLED to false.') : trim(authClientId)

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

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stport25${take(resourceToken, 16)}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
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
    authEnabled: authEnabled
    authClientId: checkedAuthClientId
  }
  // The host starts with identity-based storage; its roles must exist before the first start.
  dependsOn: [
    rbac
  ]
}

module remediationRole 'app/remediation-role.bicep' = {
  name: 'remediation-role'
  params: {
    environmentName: environmentName
    assignableSubscriptionIds: targetSubscriptionIds
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

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output PORT25_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output PORT25_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output PORT25_ROLE_DEFINITION_NAME string = remediationRole.outputs.roleDefinitionName
output PORT25_STORAGE_ACCOUNT string = storage.outputs.name
