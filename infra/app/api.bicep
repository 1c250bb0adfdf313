// The Functions app on Flex Consumption (Node 22), its settings, and optional App Service authentication.
param name string
param planName string
param location string
param tags object = {}

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string
@description('Client id of that identity (AzureWebJobsStorage, DefaultAzureCredential, Application Insights).')
param identityClientId string

@description('Primary blob endpoint of the storage account, with its trailing slash.')
param blobEndpoint string
@description('Primary queue endpoint of the storage account (Durable Functions task hub).')
param queueEndpoint string
@description('Primary table endpoint of the storage account (task hub, audit tables).')
param tableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Resource Manager endpoint of the cloud the app runs in.')
param armEndpoint string
param taskHubName string
param auditTablePrefix string
param reverifySchedule string
param autoRemediate bool
param autoRemediateUnknownStarts bool
param probeHost string
@description('Principal id of the app identity and the subnet role\'s name: the grant command a plan prints for a VNet whose group lacks the role.')
param identityPrincipalId string
param subnetRoleName string
@description('Versionless URI of the Key Vault secret holding the webhooks (a JSON array of URLs that embed tokens).')
param notifyWebhooksSecretUri string
param notifyFormat string = 'json'

param authEnabled bool
@description('Client id of the Entra app registration that defines the app roles; used only when authEnabled.')
param authClientId string
@description('Application ID URI of that registration, when the deployment created it (a further accepted audience).')
param authIdentifierUri string = ''

// Tokens for the API name it by client id (v2 tokens), or by an Application ID URI (v1 tokens).
var authAudiences = union([
  authClientId
  'api://${authClientId}'
], empty(authIdentifierUri) ? [] : [
  authIdentifierUri
])

// environment().resourceManager ends with a slash; the app's default and its URL joins expect none.
var armEndpointBase = endsWith(armEndpoint, '/') ? substring(armEndpoint, 0, length(armEndpoint) - 1) : armEndpoint

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (the default would be a system-assigned one).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // Keys named exactly as src/config.ts parses them; Flex Consumption takes the worker runtime and version
  // from functionAppConfig, so FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not set here.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Service URIs rather than the account name: the account name implies the public cloud's storage suffix,
      // the URIs are the account's own endpoints in any cloud.
      AzureWebJobsStorage__blobServiceUri: blobEndpoint
      AzureWebJobsStorage__queueServiceUri: queueEndpoint
      AzureWebJobsStorage__tableServiceUri: tableEndpoint
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      AZURE_CLIENT_ID: identityClientId
      PORT25_ARM_ENDPOINT: armEndpointBase
      PORT25_AUDIT_TABLE_ENDPOINT: tableEndpoint
      PORT25_AUDIT_TABLE_PREFIX: auditTablePrefix
      PORT25_REVERIFY_SCHEDULE: reverifySchedule
      PORT25_AUTO_REMEDIATE: autoRemediate ? 'true' : 'false'
      PORT25_AUTO_REMEDIATE_UNKNOWN: autoRemediateUnknownStarts ? 'true' : 'false'
      PORT25_AUTH_ENABLED: authEnabled ? 'true' : 'false'
      PORT25_PROBE_HOST: probeHost
      PORT25_IDENTITY_PRINCIPAL_ID: identityPrincipalId
      PORT25_SUBNET_ROLE_NAME: subnetRoleName
      // A Key Vault reference, resolved by the platform with keyVaultReferenceIdentity: the URLs never sit in the
      // site's configuration.
      PORT25_NOTIFY_WEBHOOKS: '@Microsoft.KeyVault(SecretUri=${notifyWebhooksSecretUri})'
      PORT25_NOTIFY_FORMAT: notifyFormat
      PORT25_NOTIFY_TIMEOUT_MS: '5000'
      // Links in notifications: the app's own address (a Flex Consumption host name carries a unique suffix).
      PORT25_PUBLIC_URL: 'https://${site.properties.defaultHostName}'
      PORT25_TASK_HUB: taskHubName
    }
  }

  // App Service authentication validates the Entra token and passes the caller's app roles to the triggers
  // (x-ms-client-principal), which enforce Port25.Operator and Port25.Auditor when PORT25_AUTH_ENABLED is true.
  resource authSettings 'config' = if (authEnabled) {
    name: 'authsettingsV2'
    properties: {
      platform: {
        enabled: true
      }
      globalValidation: {
        requireAuthentication: true
        unauthenticatedClientAction: 'Return401'
      }
      httpSettings: {
        requireHttps: true
      }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: {
            clientId: authClientId
            openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          }
          validation: {
            allowedAudiences: authAudiences
          }
        }
      }
      login: {
        tokenStore: {
          enabled: false
        }
      }
    }
  }
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
